import { PortalHomeCounters } from "@portal/js/portal";

PortalHomeCounters.include({
    /**
     * The Service Requests card shows with no request yet: it is where a
     * customer opens the first one.
     */
    _getCountersAlwaysDisplayed() {
        return this._super(...arguments).concat(["service_ticket_count"]);
    },
});
