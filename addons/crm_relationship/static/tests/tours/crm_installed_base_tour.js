import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_installed_base_invoice_tour", {
    steps: () => [
        {
            content: "Invoice the customer",
            trigger: ".o_form_view div[name='partner_id'] input",
            run: "edit Tour Solar",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour Solar Ltd')",
            run: "click",
        },
        {
            content: "Add a line",
            trigger:
                "div[name='invoice_line_ids'] .o_field_x2many_list_row_add a:contains('Add a line')",
            run: "click",
        },
        {
            content: "Sell an inverter, a product of the installed base",
            trigger:
                "div[name='invoice_line_ids'] .o_selected_row .o_list_many2one[name='product_id'] input",
            run: "edit Tour Inverter",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour Inverter SI-10K')",
            run: "click",
        },
        {
            content: "The line takes the product's price",
            trigger: ".o_form_view span[name='amount_total']:contains('9,000')",
        },
        {
            content: "Confirm the invoice",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_post']",
            run: "click",
        },
        {
            content: "Posted",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Posted')",
        },
        {
            content: "Open the customer",
            trigger: ".o_form_view div[name='partner_id'] a:contains('Tour Solar Ltd')",
            run: "click",
        },
        {
            content: "Show the smart buttons that do not fit",
            trigger: ".o_form_view:has(.o_breadcrumb:contains('Tour Solar Ltd')) .o-form-buttonbox",
            run() {
                if (!this.anchor.querySelector("button[name='action_view_customer_assets']")) {
                    this.anchor.querySelector(".o_button_more").click();
                }
            },
        },
        {
            content: "The customer has one asset, covered",
            trigger: "button[name='action_view_customer_assets']:contains('1 / 1')",
            run: "click",
        },
        {
            content: "The inverter is in the installed base, in warranty",
            trigger:
                ".o_list_view .o_data_row:has(td[name='name']:contains('Tour Inverter SI-10K')):has(td[name='coverage']:contains('In Warranty'))",
        },
        {
            content: "Its warranty ends in a year",
            trigger: ".o_list_view .o_data_row td[name='warranty_end_date']",
            run() {
                const expected = luxon.DateTime.now().plus({ years: 1, days: -1 });
                const shown = this.anchor.innerText.trim();
                if (shown !== expected.toFormat("MM/dd/yyyy")) {
                    throw new Error(`warranty ends on ${shown}, not a year from today`);
                }
            },
        },
        {
            content: "Open the asset",
            trigger: ".o_list_view .o_data_row td[name='name']:contains('Tour Inverter SI-10K')",
            run: "click",
        },
        {
            content: "Its form says until when it is in warranty",
            trigger: ".o_form_view div[name='coverage_label']:contains('In warranty until')",
        },
        {
            content: "and comes from the invoice",
            trigger: ".o_form_view div[name='move_id'] a:contains('INV/')",
        },
    ],
});
