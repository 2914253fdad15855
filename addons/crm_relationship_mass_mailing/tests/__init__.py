from . import test_mailing_history
