from . import crm_customer_timeline
from . import crm_service_sla_report
from . import crm_service_ticket_report
from . import crm_asset_fault_report
from . import crm_service_renewal_report
from . import crm_customer_timeline_account
from . import crm_cadence_report
