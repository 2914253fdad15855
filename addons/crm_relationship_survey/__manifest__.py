{
    "name": "Customer Relationship: Surveys",
    "summary": "Completed surveys and NPS answers in the customer history, "
    "the latest NPS on the customer",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "author": "crm_relationship developers",
    "license": "LGPL-3",
    "maintainers": ["crm-relationship"],
    "development_status": "Beta",
    "depends": ["crm_relationship", "survey"],
    "data": [
        "security/crm_relationship_survey_security.xml",
        "views/crm_customer_timeline_views.xml",
        "views/survey_user_input_views.xml",
        "views/res_partner_views.xml",
    ],
    "demo": ["demo/survey_demo.xml"],
    "uninstall_hook": "uninstall_hook",
    "auto_install": True,
    "installable": True,
}
