import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_answer_ticket_tour", {
    steps: () => [
        {
            content: "The first response is still awaited",
            trigger: ".o_form_view .o_field_widget[name='sla_status']:contains('On Track')",
        },
        {
            content: "Answer the customer from the chatter",
            trigger: ".o-mail-Chatter button:contains(Send message)",
            run: "click",
        },
        {
            content: "Write the answer",
            trigger: ".o-mail-Composer-input",
            run: "edit A technician is on his way.",
        },
        {
            content: "Send it",
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The answer is in the thread",
            trigger: ".o-mail-Message:contains('A technician is on his way.')",
        },
        {
            content: "The first response is recorded on the ticket",
            trigger: ".o_form_view .o_field_widget[name='first_response_at'] :not(:empty)",
        },
        {
            content: "Open the SLA tab",
            trigger: ".o_notebook .nav-link:contains('SLA')",
            run: "click",
        },
        {
            content: "The first response target shows met",
            trigger:
                ".o_field_widget[name='sla_ids'] .o_data_row:contains('First Response') .o_field_widget[name='status']:contains('Met')",
        },
    ],
});
