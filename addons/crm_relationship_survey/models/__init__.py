from . import survey_question
from . import survey_user_input
from . import res_partner
from . import crm_customer_value
