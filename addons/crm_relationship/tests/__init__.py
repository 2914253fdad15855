from . import test_crm_interaction
from . import test_quick_log
from . import test_email_logging
from . import test_customer_timeline
from . import test_access
from . import test_performance
from . import test_ui
