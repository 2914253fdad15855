{
    "name": "Customer Relationship",
    "summary": "Log every interaction with a customer and see it, with invoices, "
    "in one customer history",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "author": "crm_relationship developers",
    "license": "LGPL-3",
    "depends": [
        "contacts",
        "crm",
        "account",
        "product",
        "resource",
        "portal",
        "rating",
    ],
    "data": [
        "security/crm_relationship_security.xml",
        "security/ir.model.access.csv",
        "data/mail_template_data.xml",
        "data/crm_service_ticket_data.xml",
        "views/crm_interaction_views.xml",
        "views/res_partner_views.xml",
        "views/crm_lead_views.xml",
        "report/crm_customer_timeline_views.xml",
        "views/crm_service_ticket_views.xml",
        "views/crm_service_team_views.xml",
        "views/crm_service_portal_templates.xml",
        "views/crm_relationship_menus.xml",
    ],
    "demo": [
        "demo/res_partner_demo.xml",
        "demo/crm_interaction_demo.xml",
        "demo/account_move_demo.xml",
        "demo/crm_service_ticket_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_relationship/static/src/**/*",
        ],
        "web.assets_tests": [
            "crm_relationship/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
