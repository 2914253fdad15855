{
    "name": "Customer Relationship: Email Marketing",
    "summary": "Mailings sent to a customer, opened, clicked, replied and bounced "
    "in the customer history, with a 90-day engagement summary",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "author": "crm_relationship developers",
    "license": "LGPL-3",
    "maintainers": ["crm-relationship"],
    "development_status": "Beta",
    "depends": ["crm_relationship", "mass_mailing"],
    "data": [
        "security/crm_relationship_mass_mailing_security.xml",
        "views/crm_customer_timeline_views.xml",
        "views/res_partner_views.xml",
    ],
    "demo": ["demo/mailing_demo.xml"],
    "uninstall_hook": "uninstall_hook",
    "auto_install": True,
    "installable": True,
}
