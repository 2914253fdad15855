"""`make test`: lint, the tests that need no Odoo, then the addon's Odoo tests,
Odoo's own crm, test_mail and account tests and, last, the bridge modules' tests
(with the Odoo apps they join) on one fresh database. Last line:
`N passed, M failed`; skipped tests are counted apart on the line before.

REQUIRE_ODOO=1 turns a missing Odoo into a failure instead of a skip.
"""

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from odoo_env import (
    ADDON,
    BRIDGES,
    REPO,
    VAR,
    drop_database,
    free_port,
    odoo_bin,
    odoo_command,
    odoo_path,
    venv_python,
    write_config,
)

ODOO_RESULT = re.compile(
    r"odoo\.tests\.result: (?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) "
    r"of (?P<run>\d+) tests"
)
ODOO_SKIP = re.compile(r" skipped (?P<test>\S+) : (?P<reason>.*)$")
ODOO_FAILURE = re.compile(
    r" (?P<module>odoo\.addons\.\S+): (?:FAIL|ERROR): (?:Subtest )?(?P<test>\S+)"
)
KNOWN_FAILURES = REPO / "tools" / "known_odoo_failures.txt"
BROWSER_SKIP = re.compile(r"websocket|chrome|chromium|browser", re.IGNORECASE)
# OCA's module and po checks, in their own venv (made by `make test`)
OCA_VENV = REPO / ".venv-oca"


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    known: int = 0
    problems: list = field(default_factory=list)

    def add(self, stage, passed, failed, problems=(), skipped=0, known=()):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        self.known += len(known)
        self.problems.extend(f"{stage}: {problem}" for problem in problems)
        self.problems.extend(
            f"{stage}: known failure, also without the addon: {test}" for test in known
        )
        extra = f", {skipped} skipped" if skipped else ""
        extra += f", {len(known)} known failures" if known else ""
        print(f"== {stage}: {passed} passed, {failed} failed{extra}", flush=True)


def known_failures():
    """Odoo's own tests that fail on this machine without the addon installed
    (tools/known_odoo_failures.txt: `module:Class.test  # why`)."""
    if not KNOWN_FAILURES.exists():
        return {}
    known = {}
    for line in KNOWN_FAILURES.read_text().splitlines():
        test, _, why = line.partition("#")
        if test.strip():
            known[test.strip()] = why.strip()
    return known


def run_logged(command, log_path, env=None):
    """Run a command with its output going to log_path; return (exit code, output)."""
    with open(log_path, "w") as log:
        process = subprocess.run(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
            cwd=REPO,
        )
    return process.returncode, log_path.read_text(errors="replace")


def lint(tally):
    addons = [REPO / "addons" / module for module in (ADDON, *BRIDGES)]
    addon_dirs = [str(addon) for addon in addons]
    ruff = str(REPO / ".venv" / "bin" / "ruff")
    checks = {
        "ruff": [ruff, "check", "--quiet", "."],
        "ruff format": [ruff, "format", "--check", "--quiet", "."],
        "pylint-odoo": [
            str(venv_python()),
            "-m",
            "pylint",
            "--rcfile",
            str(REPO / ".pylintrc"),
            *addon_dirs,
        ],
        "mypy": [str(venv_python()), "-m", "mypy"],
        "oca-checks-odoo-module": [
            str(OCA_VENV / "bin" / "oca-checks-odoo-module"),
            *(str(addon / "__manifest__.py") for addon in addons),
        ],
        "oca-checks-po": [
            str(OCA_VENV / "bin" / "oca-checks-po"),
            *sorted(
                str(path) for addon in addons for path in (addon / "i18n").glob("*.po*")
            ),
        ],
    }
    for name, command in checks.items():
        result = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            tally.add(f"lint {name}", 1, 0)
        else:
            print(result.stdout[-5000:] + result.stderr[-2000:])
            tally.add(f"lint {name}", 0, 1, [f"{name} reported problems (see above)"])


def pytest_tests(tally, odoo_env=None):
    """pytest tests/; with odoo_env (ODOO_TEST_CONFIG, ODOO_TEST_DB) the tests
    that start an Odoo server run on the database of this run, else they skip."""
    VAR.mkdir(exist_ok=True)
    report = VAR / "pytest-report.xml"
    report.unlink(missing_ok=True)
    # pytest-odoo imports Odoo when pytest starts; the tests here start their
    # own Odoo server processes instead, so plugins are not auto-loaded.
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **(odoo_env or {}))
    command = [
        str(venv_python()),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        "tests",
    ]
    result = subprocess.run(command, cwd=REPO, env=env, check=False)
    if result.returncode == 5:  # no test collected
        tally.add("pytest tests/", 0, 0)
        return
    if not report.exists():
        tally.add("pytest tests/", 0, 1, [f"pytest exited with {result.returncode}"])
        return
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failures, errors, skipped = (
        int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")
    )
    problems = []
    passed = total - failures - errors - skipped
    if skipped and odoo_env:
        failures += skipped
        problems.append(f"{skipped} skipped although Odoo is available (see above)")
        skipped = 0
    elif skipped:
        print(f"SKIPPED: {skipped} tests in tests/ that need a running Odoo")
    tally.add("pytest tests/", passed, failures + errors, problems, skipped=skipped)
    if result.returncode not in (0, 1) and not failures + errors:
        tally.add("pytest tests/", 0, 1, [f"pytest exited with {result.returncode}"])


def failure_key(line):
    """`module:Class.test` of a FAIL/ERROR log line of a test, else None."""
    match = ODOO_FAILURE.search(line)
    return f"{match['module']}:{match['test']}" if match else None


def parse_odoo_log(output, strict_skips, known=None):
    """Counts from an odoo-bin --test-enable log:
    (passed, failed, problems, skipped, known failures that failed).

    A skipped browser test is a failure: Odoo skips tours and exits 0 when
    Chromium or websocket-client is missing. With strict_skips any skip is.
    A failure of a test in `known` (one that fails without the addon too) is
    reported apart and not counted as failed.
    """
    errors = [
        line for line in output.splitlines() if re.search(r" (ERROR|CRITICAL) ", line)
    ][:20]
    results = [match.groupdict() for match in ODOO_RESULT.finditer(output)]
    if not results:
        return (
            0,
            1,
            ["no test result line: Odoo failed before running the tests"] + errors,
            0,
            [],
        )
    last = {key: int(value) for key, value in results[-1].items()}
    skips = [match for match in map(ODOO_SKIP.search, output.splitlines()) if match]
    bad_skips = [
        f"skipped {skip['test']}: {skip['reason']}"
        for skip in skips
        if strict_skips or BROWSER_SKIP.search(skip["reason"])
    ]
    failing = set(map(failure_key, output.splitlines())) - {None}
    known_failed = sorted(failing & set(known or ()))
    errors = [line for line in errors if failure_key(line) not in known_failed]
    failed = last["failed"] + last["errors"] - len(known_failed) + len(bad_skips)
    passed = last["run"] - last["failed"] - last["errors"] - len(skips)
    skipped = len(skips) - len(bad_skips)
    return max(passed, 0), failed, bad_skips + errors, skipped, known_failed


def run_odoo_stage(tally, stage, command, log_path, env, strict_skips):
    started = time.time()
    print(f"== {stage}", flush=True)
    code, output = run_logged(command, log_path, env)
    known = known_failures() if not strict_skips else {}
    passed, failed, problems, skipped, known_failed = parse_odoo_log(
        output, strict_skips, known
    )
    if code and not failed and not known_failed:
        failed, problems = 1, [f"odoo-bin exited with {code}"]
    tally.add(
        f"{stage} ({time.time() - started:.0f} s)",
        passed,
        failed,
        problems,
        skipped=skipped,
        known=[f"{test} ({known[test]})" for test in known_failed],
    )


def odoo_after_load_command(config, database, tags):
    """Odoo's own tests of some modules on the complete registry (see
    tools/odoo_tests_after_load.py), so that they meet this addon's overrides."""
    return [
        str(venv_python()),
        str(REPO / "tools" / "odoo_tests_after_load.py"),
        "-c",
        str(config),
        "-d",
        database,
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        "--log-level=info",
    ]


def bridges_command(config, database):
    """Install the Odoo apps the bridges join and the bridges (which would
    also come by themselves, auto_install) and run the bridges' tests."""
    return odoo_command(
        config,
        "-d",
        database,
        "-i",
        ",".join([*BRIDGES.values(), *BRIDGES]),
        "--test-enable",
        "--test-tags=" + ",".join(f"/{bridge}" for bridge in BRIDGES),
        "--stop-after-init",
        "--log-level=info",
    )


def odoo_tests(tally):
    database = f"{ADDON}_test_{os.getpid()}"
    config = write_config(f"test-{os.getpid()}", free_port(), db_name=database)
    logs = VAR / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(odoo_path()))
    try:
        run_odoo_stage(
            tally,
            f"{ADDON} tests, installing it on {database}",
            odoo_command(
                config,
                "-d",
                database,
                "-i",
                ADDON,
                "--test-enable",
                f"--test-tags=/{ADDON}",
                "--stop-after-init",
                "--log-level=info",
            ),
            logs / "addon.log",
            env,
            strict_skips=True,
        )
        run_odoo_stage(
            tally,
            "crm's own tests with the addon installed",
            odoo_after_load_command(config, database, "/crm"),
            logs / "crm.log",
            env,
            strict_skips=False,
        )
        # test_mail is a test-only module with its own models: installed here,
        # after the addon, without running tests at install
        code, _ = run_logged(
            odoo_command(
                config, "-d", database, "-i", "test_mail", "--stop-after-init"
            ),
            logs / "test_mail-install.log",
            env,
        )
        if code:
            tally.add("installing test_mail", 0, 1, [f"odoo-bin exited with {code}"])
        else:
            run_odoo_stage(
                tally,
                "test_mail's tests with the addon installed",
                odoo_after_load_command(config, database, "/test_mail"),
                logs / "test_mail.log",
                env,
                strict_skips=False,
            )
        run_odoo_stage(
            tally,
            "account's own tests with the addon installed",
            odoo_after_load_command(config, database, "/account"),
            logs / "account.log",
            env,
            strict_skips=False,
        )
        pytest_tests(tally, {"ODOO_TEST_CONFIG": str(config), "ODOO_TEST_DB": database})
        # last, so that the Odoo suites above run without the apps they join
        run_odoo_stage(
            tally,
            f"bridge tests, installing {', '.join(BRIDGES.values())} and the bridges",
            bridges_command(config, database),
            logs / "bridges.log",
            env,
            strict_skips=True,
        )
    finally:
        drop_database(database)
        config.unlink(missing_ok=True)


def main():
    tally = Tally()
    require_odoo = os.environ.get("REQUIRE_ODOO") == "1"
    odoo_available = odoo_bin() is not None
    lint(tally)
    if odoo_available:
        odoo_tests(tally)
    else:
        pytest_tests(tally)
        if require_odoo:
            missing = f"REQUIRE_ODOO=1 but there is no odoo-bin in {odoo_path()}"
            tally.add("Odoo", 0, 1, [missing])
        else:
            print(
                f"SKIPPED: the {ADDON} addon tests, Odoo's crm tests and the tests "
                f"in tests/ that need a running Odoo (no Odoo at {odoo_path()}; "
                "set ODOO_PATH)"
            )
    for problem in tally.problems:
        print(f"  - {problem}")
    print(f"logs: {VAR / 'test-logs'}")
    print(
        f"{tally.skipped} skipped, {tally.known} known failures of Odoo's own tests "
        "(counted in neither figure below)"
    )
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
