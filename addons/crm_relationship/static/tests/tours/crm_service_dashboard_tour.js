import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_service_dashboard_tour", {
    steps: () => [
        {
            content: "The team's card counts its breached ticket",
            trigger:
                ".o_kanban_record:contains('Dashboard Team') .o_dashboard_breached:contains('1')",
        },
        {
            content: "The service level of the last 30 days is shown",
            trigger: ".o_kanban_record:contains('Dashboard Team') [name='last_30_days']:contains('0%')",
        },
        {
            content: "Open the breached tickets",
            trigger: ".o_kanban_record:contains('Dashboard Team') .o_dashboard_breached",
            run: "click",
        },
        {
            content: "The breached ticket is listed",
            trigger: ".o_kanban_record:contains('Late ticket'), .o_data_row:contains('Late ticket')",
        },
    ],
});
