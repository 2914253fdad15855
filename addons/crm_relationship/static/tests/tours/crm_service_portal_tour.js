import { registry } from "@web/core/registry";

/** A customer without any request yet opens the first one from /my. */
registry.category("web_tour.tours").add("crm_relationship_portal_first_request_tour", {
    steps: () => [
        {
            content: "The Service Requests card shows although there is no request yet",
            trigger: ".o_portal_index_card:not(.d-none) a[href='/my/tickets']",
            run: "click",
        },
        {
            content: "Open a new request",
            trigger: "a.btn[href='/my/tickets/new']",
            run: "click",
        },
        {
            content: "Give it a title",
            trigger: "form[action='/my/tickets/new'] input[name='name']",
            run: "edit Our first request",
        },
        {
            content: "Send it",
            trigger: "form[action='/my/tickets/new'] button[type='submit']",
            run: "click",
        },
        {
            content: "The request is open and shown",
            trigger: ".o_portal_ticket:contains('Our first request')",
        },
    ],
});
