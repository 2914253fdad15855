from . import crm_customer_timeline
