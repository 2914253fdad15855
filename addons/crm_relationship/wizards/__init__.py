from . import crm_sync_user_wizard
from . import crm_customer_document_register
from . import crm_lead_lost
