import { registry } from "@web/core/registry";

function pdfFiles(...names) {
    const transfer = new DataTransfer();
    for (const name of names) {
        transfer.items.add(new File([`%PDF-1.4 ${name}`], name, { type: "application/pdf" }));
    }
    return transfer;
}

registry.category("web_tour.tours").add("crm_customer_document_drop_tour", {
    steps: () => [
        {
            content: "Drag two files over the customer form",
            trigger: ".o_form_view .o_form_sheet .o_crm_customer_document_drop",
            run() {
                const sheet = this.anchor.closest(".o_form_sheet");
                sheet.dispatchEvent(
                    new DragEvent("dragenter", {
                        dataTransfer: pdfFiles("offer.pdf", "signed-order.pdf"),
                        bubbles: true,
                    })
                );
            },
        },
        {
            content: "Drop them on the sheet",
            trigger: ".o-Dropzone.o_crm_document_dropzone",
            run() {
                this.anchor.dispatchEvent(
                    new DragEvent("drop", {
                        dataTransfer: pdfFiles("offer.pdf", "signed-order.pdf"),
                        bubbles: true,
                        cancelable: true,
                    })
                );
            },
        },
        {
            content: "Both became documents of the customer",
            trigger: ".o_notification:contains('2 file(s) registered as draft documents')",
        },
        {
            content: "Show the smart buttons that do not fit",
            trigger: ".o_form_view .o-form-buttonbox",
            run() {
                if (!this.anchor.querySelector("button[name='action_view_customer_documents']")) {
                    this.anchor.querySelector(".o_button_more").click();
                }
            },
        },
        {
            content: "The Documents button counts them",
            trigger: "button[name='action_view_customer_documents'] .o_stat_value:contains('2')",
            run: "click",
        },
        {
            content: "The two drafts are listed",
            trigger: ".o_list_view .o_data_row:contains('signed-order.pdf')",
        },
        {
            content: "Upload a third file on the customer's documents list",
            trigger: ".o_list_view input.document_file_uploader.o_input_file:not(:visible)",
            run() {
                this.anchor.files = pdfFiles("receipt.pdf").files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "It opens as a draft of the customer",
            trigger: ".o_form_view div[name='name'] input:value('receipt.pdf')",
        },
    ],
});
