from . import test_mailing_history
from . import test_mailing_demo
