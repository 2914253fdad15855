from . import test_survey_history
from . import test_survey_demo
