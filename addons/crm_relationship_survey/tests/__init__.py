from . import test_survey_history
