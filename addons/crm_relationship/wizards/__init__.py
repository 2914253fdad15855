from . import crm_sync_user_wizard
