import { registry } from "@web/core/registry";

/** Throws unless every cell of the column passes ``check``. */
function checkCells(name, check) {
    const rows = document.querySelectorAll(".o_list_view .o_data_row");
    if (!rows.length) {
        throw new Error("the history list has no rows");
    }
    for (const row of rows) {
        const kind = row.querySelector("td[name='kind']");
        const cell = row.querySelector(`td[name='${name}']`);
        const problem = check(cell, kind.innerText.trim());
        if (problem) {
            throw new Error(`${kind.innerText.trim()} row, ${name}: ${problem}`);
        }
    }
}

registry.category("web_tour.tours").add("crm_relationship_history_list_tour", {
    steps: () => [
        {
            content: "Find the History button, under More on a full button box",
            trigger: ".o_form_view .o-form-buttonbox",
            run() {
                if (!document.querySelector("button[name='action_view_history']")) {
                    document.querySelector(".o-form-buttonbox .o_button_more").click();
                }
            },
        },
        {
            content: "Open the customer's history",
            trigger: "button[name='action_view_history']",
            run: "click",
        },
        {
            content: "The history of this customer does not repeat the customer",
            trigger:
                ".o_list_view:has(.o_data_row):has(th[data-name='title']):not(:has(th[data-name='partner_id']))",
        },
        {
            content: "Kinds fit their badges",
            trigger: ".o_list_view .o_data_row td[name='kind'] .badge",
            run() {
                checkCells("kind", (cell) => {
                    const badge = cell.querySelector(".badge");
                    const cut =
                        badge.scrollWidth > badge.clientWidth ||
                        badge.getBoundingClientRect().right >
                            cell.getBoundingClientRect().right + 1 ||
                        cell.scrollWidth > cell.clientWidth;
                    return cut && `badge "${badge.innerText}" is cut off`;
                });
            },
        },
        {
            content: "Invoices show their date, interactions their time without seconds",
            trigger: ".o_list_view .o_data_row td[name='date']",
            run() {
                checkCells("date", (cell, kind) => {
                    const text = cell.innerText.trim();
                    const colons = (text.match(/:/g) || []).length;
                    if (kind === "Interaction") {
                        return colons !== 1 && `"${text}" is not a time in minutes`;
                    }
                    return colons !== 0 && `"${text}" shows a time`;
                });
            },
        },
    ],
});
