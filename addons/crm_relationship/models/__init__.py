from . import crm_interaction
from . import res_partner
from . import crm_lead
from . import account_move
