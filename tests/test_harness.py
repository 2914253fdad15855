"""The harness must never report a green run that skipped or hid tests."""

from run_tests import bridges_command, parse_odoo_log

CLEAN = """\
2026-11-22 10:00:00,000 1 INFO db odoo.modules.loading: Modules loaded.
2026-11-22 10:00:09,000 1 INFO db odoo.tests.result: 0 failed, 0 error(s) of 12 tests \
when loading database 'db'
"""
BROWSER_SKIPPED = """\
2026-11-22 10:00:01,000 1 INFO db odoo.addons.crm_relationship.tests.test_ui: skipped \
TestUi.test_log_call_and_see_it_in_history : websocket-client module is not installed
2026-11-22 10:00:09,000 1 INFO db odoo.tests.result: 0 failed, 0 error(s) of 12 tests \
when loading database 'db'
"""
FAILED = """\
2026-11-22 10:00:01,000 1 ERROR db odoo.addons.crm_relationship.tests.test_x: FAIL: \
TestX.test_y
2026-11-22 10:00:09,000 1 ERROR db odoo.tests.result: 1 failed, 1 error(s) of 12 tests \
when loading database 'db'
"""
CRASHED = """\
2026-11-22 10:00:01,000 1 CRITICAL db odoo.service.server: Failed to initialize database
"""


def test_clean_run_counts_every_test():
    assert parse_odoo_log(CLEAN, strict_skips=True) == (12, 0, [], 0, [])


def test_skipped_browser_test_is_a_failure_even_when_not_strict():
    passed, failed, problems, *_ = parse_odoo_log(BROWSER_SKIPPED, strict_skips=False)
    assert (passed, failed) == (11, 1)
    assert "websocket-client" in problems[0]


def test_failures_and_errors_both_fail():
    passed, failed, problems, *_ = parse_odoo_log(FAILED, strict_skips=True)
    assert (passed, failed) == (10, 2)
    assert any("FAIL: TestX.test_y" in problem for problem in problems)


def test_odoo_that_never_ran_tests_is_a_failure():
    passed, failed, problems, *_ = parse_odoo_log(CRASHED, strict_skips=True)
    assert (passed, failed) == (0, 1)
    assert "Odoo failed before running the tests" in problems[0]


KNOWN_FAILED = """\
2026-11-22 10:00:01,000 1 INFO db odoo.addons.account.tests.test_x: skipped \
TestX.test_l10n : no chart template
2026-11-22 10:00:02,000 1 ERROR db odoo.addons.account.tests.test_seq: FAIL: \
TestSeq.test_year
2026-11-22 10:00:03,000 1 ERROR db odoo.addons.account.tests.test_x: ERROR: \
TestX.test_new
2026-11-22 10:00:09,000 1 ERROR db odoo.tests.result: 1 failed, 1 error(s) of 12 tests \
when loading database 'db'
"""


def test_skips_are_counted_apart_not_as_passed():
    passed, failed, _problems, skipped, _known = parse_odoo_log(
        BROWSER_SKIPPED.replace("websocket-client module", "l10n chart"),
        strict_skips=False,
    )
    assert (passed, failed, skipped) == (11, 0, 1)


def test_only_a_failure_that_fails_without_the_addon_too_is_forgiven():
    known = {"odoo.addons.account.tests.test_seq:TestSeq.test_year": "year"}
    passed, failed, problems, skipped, known_failed = parse_odoo_log(
        KNOWN_FAILED, strict_skips=False, known=known
    )
    assert (passed, failed, skipped) == (9, 1, 1)
    assert known_failed == ["odoo.addons.account.tests.test_seq:TestSeq.test_year"]
    assert any("TestX.test_new" in problem for problem in problems)
    assert not any("test_year" in problem for problem in problems)


def test_bridges_are_installed_with_their_apps_and_tested():
    command = bridges_command("var/x.conf", "db")
    installed = command[command.index("-i") + 1].split(",")
    assert {"survey", "mass_mailing"} <= set(installed)
    assert {"crm_relationship_survey", "crm_relationship_mass_mailing"} <= set(
        installed
    )
    assert "--test-enable" in command
    assert (
        "--test-tags=/crm_relationship_survey,/crm_relationship_mass_mailing" in command
    )
