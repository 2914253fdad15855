import { registry } from "@web/core/registry";

/**
 * A customer sharing its tax ID with another: the form warns, saving stays
 * possible, and Merge opens Odoo's merge wizard with both.
 */
registry.category("web_tour.tours").add("crm_relationship_hygiene_tour", {
    steps: () => [
        {
            content: "The form warns of the possible duplicate",
            trigger:
                ".o_form_view div[name='warning_duplicates'] .o_tag:contains('Hygiene Tour Original')",
        },
        {
            content: "Saving is not blocked",
            trigger: ".o_form_view .oe_title div[name='name'] input",
            run: "edit Hygiene Tour Copy Renamed",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            content: "Merge opens Odoo's merge wizard",
            trigger: "div[name='warning_duplicates'] button[name='action_merge_duplicates']",
            run: "click",
        },
        {
            content: "with both customers",
            trigger:
                ".modal .o_field_widget[name='partner_ids'] .o_data_row:contains('Hygiene Tour Original')",
        },
        {
            trigger: ".modal .o_field_widget[name='partner_ids'] .o_data_row:contains('Renamed')",
        },
    ],
});
