import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_log_call_tour", {
    steps: () => [
        {
            content: "Log a call from the customer",
            trigger: ".o_form_view button[name='action_log_interaction']",
            run: "click",
        },
        {
            content: "Write what the call was about",
            trigger: ".modal .o_form_view div[name='name'] input",
            run: "edit Called about the renewal",
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
            content: "Show the smart buttons that do not fit",
            trigger: ".o_form_view .o-form-buttonbox",
            run() {
                if (!this.anchor.querySelector("button[name='action_view_history']")) {
                    this.anchor.querySelector(".o_button_more").click();
                }
            },
        },
        {
            content: "Open the customer's history",
            trigger: "button[name='action_view_history']",
            run: "click",
        },
        {
            content: "The call is the newest row of the history: open it",
            trigger: ".o_list_view .o_data_row:first-child td[name='title']:contains('Called about the renewal')",
            run: "click",
        },
        {
            content: "The row opens the interaction itself",
            trigger: ".o_form_view div[name='name'] input:value('Called about the renewal')",
        },
    ],
});
