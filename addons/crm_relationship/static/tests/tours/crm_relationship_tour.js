import { registry } from "@web/core/registry";

const SUBJECT = "Called about invoice INV/2026/00042 and the renewal of the maintenance plan";

registry.category("web_tour.tours").add("crm_relationship_log_call_tour", {
    steps: () => [
        {
            content: "Log a call from the customer",
            trigger: ".o_form_view button[name='action_log_interaction']",
            run: "click",
        },
        {
            content: "The subject is as wide as the dialog: an invoice number reads whole",
            trigger: ".modal .o_form_view div[name='name'] input",
            run() {
                const input = this.anchor.getBoundingClientRect();
                const sheet = this.anchor.closest(".modal-body").getBoundingClientRect();
                if (input.width < sheet.width * 0.6) {
                    throw new Error(
                        `The subject is ${input.width}px wide in a ${sheet.width}px dialog`
                    );
                }
            },
        },
        {
            content: "Write what the call was about",
            trigger: ".modal .o_form_view div[name='name'] input",
            run: `edit ${SUBJECT}`,
        },
        {
            content: "Save the call",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The interactions button says the customer was contacted today",
            trigger: ".o-form-buttonbox button[name='action_view_interactions'] .o_stat_value:contains('Today')",
        },
        {
            content: "Open the History tab",
            trigger: ".o_form_view .o_notebook a[name='crm_history']",
            run: "click",
        },
        {
            content: "The call is already the newest row of the history: open it",
            trigger: `.o_form_view div[name='history_ids'] .o_data_row:first-child td[name='title']:contains('${SUBJECT}')`,
            run: "click",
        },
        {
            content: "The row opens the interaction itself",
            trigger: `.o_form_view div[name='name'] input:value('${SUBJECT}')`,
        },
    ],
});

registry.category("web_tour.tours").add("crm_relationship_history_tab_tour", {
    steps: () => [
        {
            content: "History is the first smart button, not under More",
            trigger: ".o-form-buttonbox > .oe_stat_button:first-child[name='action_view_history']",
        },
        {
            content: "The interactions button tells when and how many",
            trigger: ".o-form-buttonbox button[name='action_view_interactions']:contains('3 days ago'):contains('2 Interactions')",
        },
        {
            content: "Open the History tab",
            trigger: ".o_form_view .o_notebook a[name='crm_history']",
            run: "click",
        },
        {
            content: "Newest first: the call of three days ago, then the invoice",
            trigger: ".o_form_view div[name='history_ids'] .o_data_row:first-child td[name='title']:contains('Asked for a discount')",
            run() {
                const titles = [
                    ...document.querySelectorAll(
                        ".o_form_view div[name='history_ids'] .o_data_row td[name='title']"
                    ),
                ].map((cell) => cell.textContent.trim());
                if (!titles[1].startsWith("INV/")) {
                    throw new Error(`History rows: ${titles.join(", ")}`);
                }
            },
        },
        {
            content: "One click to the financial history",
            trigger: ".o_form_view button[name='action_view_financial_history']",
            run: "click",
        },
        {
            content: "The Financial filter is on",
            trigger: ".o_control_panel .o_searchview_facet:contains('Financial')",
        },
        {
            content: "Only the invoice is listed",
            trigger: ".o_list_view .o_data_row td[name='title']:contains('INV/')",
            run() {
                const rows = document.querySelectorAll(".o_list_view .o_data_row");
                if (rows.length !== 1) {
                    throw new Error(`${rows.length} rows under the Financial filter`);
                }
            },
        },
    ],
});
