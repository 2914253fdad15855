from . import crm_customer_timeline
from . import crm_service_sla_report
from . import crm_service_ticket_report
from . import crm_analysis_mixin
from . import crm_lead_stage_time_report
from . import crm_lead_funnel_report
from . import crm_lead_outcome_report
from . import crm_campaign_yield_report
