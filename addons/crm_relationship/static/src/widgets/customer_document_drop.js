import { Component, useRef, useState } from "@odoo/owl";
import { Dropzone } from "@web/core/dropzone/dropzone";
import { useCustomDropzone } from "@web/core/dropzone/dropzone_hook";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { getDataURLFromFile } from "@web/core/utils/urls";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/** The overlay shown on the customer's sheet while files are dragged. */
export class CustomerDocumentDropzone extends Dropzone {
    static template = "crm_relationship.CustomerDocumentDropzone";
}

/**
 * Customer form: files dropped on the sheet (several at once), or picked with
 * "Upload Documents", become draft documents of the customer — one each.
 * The chatter keeps its own drop zone for plain attachments.
 */
export class CustomerDocumentDrop extends Component {
    static template = "crm_relationship.CustomerDocumentDrop";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.root = useRef("root");
        this.fileInput = useRef("fileInput");
        this.state = useState({ uploading: false });
        const root = this.root;
        const sheetRef = {
            get el() {
                return root.el?.closest(".o_form_sheet") || null;
            },
        };
        useCustomDropzone(
            sheetRef,
            CustomerDocumentDropzone,
            {
                extraClass: "o_crm_document_dropzone",
                onDrop: (ev) => this.upload(ev.dataTransfer?.files),
            },
            () => Boolean(this.props.record.resId) && !this.state.uploading
        );
    }

    onClickUpload() {
        this.fileInput.el.click();
    }

    async onFileChange(ev) {
        await this.upload(ev.target.files);
        ev.target.value = "";
    }

    async upload(fileList) {
        const files = [...(fileList || [])];
        const record = this.props.record;
        if (!files.length || !record.resId || this.state.uploading) {
            return;
        }
        if ((await record.isDirty()) && !(await record.save())) {
            return;
        }
        this.state.uploading = true;
        try {
            const values = await Promise.all(
                files.map(async (file) => ({
                    name: file.name,
                    mimetype: file.type,
                    datas: (await getDataURLFromFile(file)).split(",")[1],
                }))
            );
            const attachmentIds = await this.orm.create("ir.attachment", values);
            await this.orm.call(
                "crm.customer.document",
                "create_document_from_attachment",
                [[], attachmentIds],
                { context: { default_partner_id: record.resId } }
            );
            this.notification.add(
                _t("%s file(s) registered as draft documents of this customer.", files.length),
                { type: "success" }
            );
            await record.load();
        } finally {
            this.state.uploading = false;
        }
    }
}

registry.category("view_widgets").add("crm_customer_document_drop", {
    component: CustomerDocumentDrop,
});
