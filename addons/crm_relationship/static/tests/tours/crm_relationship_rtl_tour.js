import { registry } from "@web/core/registry";

function box(selector) {
    const element = document.querySelector(selector);
    if (!element) {
        throw new Error(`${selector} is not on the page`);
    }
    return element.getBoundingClientRect();
}

function center(rect) {
    return rect.left + rect.width / 2;
}

/**
 * The customer form of a user who reads Hebrew: right to left, and laid out
 * as a mirror of the English form (Odoo's RTL styles, built by rtlcss).
 */
registry.category("web_tour.tours").add("crm_relationship_rtl_tour", {
    steps: () => [
        {
            content: "The customer form is open, in Hebrew",
            trigger: "body.o_rtl .o_form_view .o_form_sheet .oe_avatar img",
            timeout: 60000,
        },
        {
            content: "The page reads right to left",
            trigger: ".o_form_view .oe_title div[name='name'] input",
            run() {
                const manager = document.querySelector(".o_action_manager");
                const direction = getComputedStyle(manager).direction;
                if (direction !== "rtl") {
                    throw new Error(
                        `The page reads ${direction}: Odoo served left-to-right styles (is rtlcss on its PATH?)`
                    );
                }
            },
        },
        {
            content: "Title on the right, picture on the left, labels right of their fields",
            trigger: ".o-form-buttonbox .oe_stat_button[name='action_view_history']",
            run() {
                const sheet = box(".o_form_view .o_form_sheet");
                const avatar = box(".o_form_view .o_form_sheet .oe_avatar");
                const title = box(".o_form_view .oe_title div[name='name'] input");
                const sheetCenter = center(sheet);
                if (center(avatar) >= sheetCenter) {
                    throw new Error(
                        `The picture is on the right (its center ${center(avatar)} > ${sheetCenter}): not mirrored`
                    );
                }
                if (title.right < avatar.right || sheet.right - title.right > sheet.width / 10) {
                    throw new Error("The name does not start at the right edge of the sheet");
                }
                const labelCell = document.querySelector(".o_form_view .o_inner_group .o_wrap_label");
                const label = labelCell.getBoundingClientRect();
                const field = labelCell.nextElementSibling.getBoundingClientRect();
                if (center(label) <= center(field)) {
                    throw new Error("A label is left of its field: not mirrored");
                }
                const menuBrand = box(".o_main_navbar .o_menu_brand");
                if (center(menuBrand) <= window.innerWidth / 2) {
                    throw new Error("The main menu starts on the left: not mirrored");
                }
                // the first smart button (History) is the rightmost one
                const buttons = [...document.querySelectorAll(".o-form-buttonbox .oe_stat_button")];
                const history = box(".o-form-buttonbox .oe_stat_button[name='action_view_history']");
                if (buttons.some((button) => button.getBoundingClientRect().right > history.right + 1)) {
                    throw new Error("The smart buttons do not start on the right");
                }
            },
        },
    ],
});
