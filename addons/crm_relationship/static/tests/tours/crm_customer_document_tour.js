import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_customer_document_tour", {
    steps: () => [
        {
            content: "Show the smart buttons that do not fit",
            trigger: ".o_form_view .o-form-buttonbox",
            run() {
                if (!this.anchor.querySelector("button[name='action_view_customer_documents']")) {
                    this.anchor.querySelector(".o_button_more").click();
                }
            },
        },
        {
            content: "Open the customer's documents",
            trigger: "button[name='action_view_customer_documents']",
            run: "click",
        },
        {
            content: "Register a new document",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_form_view div[name='name'] input",
            run: "edit Tour maintenance contract",
        },
        {
            content: "It is a contract",
            trigger: ".o_form_view div[name='type_id'] input",
            run: "edit Contract",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Contract')",
            run: "click",
        },
        {
            content: "Upload the signed contract",
            trigger: ".o_form_view div[name='upload_file'] input[type='file']:not(:visible)",
            run() {
                const file = new File(["%PDF-1.4 signed tour contract"], "contract.pdf", {
                    type: "application/pdf",
                });
                const transfer = new DataTransfer();
                transfer.items.add(file);
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The file is there",
            trigger: ".o_form_view div[name='upload_file'] input.o_input:value('contract.pdf')",
        },
        {
            content: "Set its validity",
            trigger: ".o_form_view div[name='valid_until'] input",
            run: "edit 12/31/2099",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved and in force",
            trigger: ".o_form_view .o_form_saved .o_statusbar_status .o_arrow_button_current:contains('Valid')",
        },
        {
            content: "Back to the customer",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Tour Documents Ltd'):not(:contains('Documents of'))",
            run: "click",
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
            content: "The contract's expiry is in the history",
            trigger: ".o_list_view .o_data_row td[name='title']:contains('Contract: Tour maintenance contract')",
        },
    ],
});
