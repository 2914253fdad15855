import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { ListController } from "@web/views/list/list_controller";
import { listView } from "@web/views/list/list_view";

/**
 * A history row stands for another record (an interaction, an invoice...):
 * clicking it opens that record, not the read-only history row.
 */
export class CustomerTimelineListController extends ListController {
    setup() {
        super.setup();
        this.orm = useService("orm");
    }

    async openRecord(record) {
        const action = await this.orm.call(
            "crm.customer.timeline",
            "action_open_source",
            [[record.resId]],
            { context: this.props.context }
        );
        return this.actionService.doAction(action);
    }
}

registry.category("views").add("crm_customer_timeline_list", {
    ...listView,
    Controller: CustomerTimelineListController,
});
