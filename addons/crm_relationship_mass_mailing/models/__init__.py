from . import mailing_trace
from . import res_partner
