import { formatDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import {
    ListDateTimeField,
    listDateTimeField,
} from "@web/views/fields/datetime/list_datetime_field";

/**
 * The moment of a history row: a row with no time of day (an invoice is
 * dated, not timed) shows its date only, instead of a made-up time.
 * Options: ``time_field``, the boolean field telling that the row has a time.
 */
export class HistoryDateField extends ListDateTimeField {
    static props = {
        ...ListDateTimeField.props,
        timeField: { type: String, optional: true },
    };

    getFormattedValue(valueIndex) {
        const value = this.values[valueIndex];
        const { record, timeField } = this.props;
        if (value && timeField && !record.data[timeField]) {
            return formatDate(value);
        }
        return super.getFormattedValue(valueIndex);
    }
}

export const historyDateField = {
    ...listDateTimeField,
    component: HistoryDateField,
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...listDateTimeField.extractProps(fieldInfo, dynamicInfo),
        timeField: fieldInfo.options.time_field,
    }),
};

registry.category("fields").add("crm_history_date", historyDateField);
