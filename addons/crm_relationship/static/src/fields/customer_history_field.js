import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { X2ManyField, x2ManyField } from "@web/views/fields/x2many/x2many_field";

/**
 * The History tab of the customer form: a row stands for another record (an
 * interaction, an invoice...), so clicking it opens that record, as in the
 * full history list.
 */
export class CustomerHistoryField extends X2ManyField {
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
        return this.action.doAction(action);
    }
}

registry.category("fields").add("crm_customer_history", {
    ...x2ManyField,
    component: CustomerHistoryField,
});
