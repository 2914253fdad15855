import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_account_dashboard_tour", {
    steps: () => [
        {
            content: "Tier C's card counts my overdue customers",
            trigger: ".o_kanban_record:contains('Tier C') .o_account_overdue:not(:contains('0 '))",
        },
        {
            content: "Open them",
            trigger: ".o_kanban_record:contains('Tier C') .o_account_overdue",
            run: "click",
        },
        {
            content: "The overdue customer is listed, my customers only",
            trigger: ".o_data_row:contains('Dashboard Customer Ltd')",
        },
        {
            content: "The My Customers filter is on and can be removed",
            trigger: ".o_searchview_facet:contains('My Customers')",
        },
    ],
});
