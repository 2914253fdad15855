"""crm-sync: the command line over the sync library.

Exit codes: 0 done, 1 failed (a configuration error, a usage error, Odoo or a
source or target failing, another run going on), 2 done but with rejected
rows (pull) or customers a target refused (push).
"""

import argparse
import os
import sys
from typing import NoReturn

from . import __version__, log
from .config import Config, load
from .errors import AlreadyRunning, ConfigError, OdooError, PreflightError
from .job import (
    EXIT_FAILED,
    EXIT_OK,
    Job,
    RunLock,
    nightly,
    preflight,
    pull_invoices,
    push_customers,
)
from .status import check_items, check_odoo


class _Parser(argparse.ArgumentParser):
    """A usage error exits 1 (2 means "done with rejected rows")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_FAILED, f"{self.prog}: error: {message}\n")


def _run_options(parser: argparse.ArgumentParser, default: object) -> None:
    """--dry-run and --full-refresh, before or after the command."""
    parser.add_argument(
        "--dry-run", action="store_true", default=default, help="count, write nothing"
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        default=default,
        help="read sources from the start, push every customer",
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = _Parser(
        prog="crm-sync",
        description="Sync invoices into Odoo and customers out of it.",
        epilog="Exit codes: 0 done, 1 failed, 2 done with rejected rows or "
        "refused customers.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="say more (debug)"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="only warnings and errors, no progress events",
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("CRM_SYNC_CONFIG"),
        help="TOML configuration file (default: $CRM_SYNC_CONFIG)",
    )
    _run_options(parser, False)
    commands = parser.add_subparsers(dest="command", required=True)
    # after the command the options must not reset what came before it
    pull = commands.add_parser("pull-invoices", help="pull invoices into Odoo")
    pull.add_argument("--source", help="only this source")
    _run_options(pull, argparse.SUPPRESS)
    push = commands.add_parser("push-customers", help="push customers to targets")
    push.add_argument("--target", help="only this target")
    _run_options(push, argparse.SUPPRESS)
    _run_options(
        commands.add_parser("nightly", help="every source, then every target"),
        argparse.SUPPRESS,
    )
    commands.add_parser(
        "status", help="check Odoo and try every source and target, writing nothing"
    )
    return parser.parse_args(argv)


_logger = log.LOGGER


def _status(config: Config, job: Job) -> int:
    """Odoo logged in, every source and target opened and tried (see
    ``status.py``); no lock needed, nothing written."""
    failed = False
    for check in [check_odoo(job.client), *check_items(config)]:
        if check.ok:
            print(check)
        else:
            failed = True
            _logger.error("%s", check)
    return EXIT_FAILED if failed else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    log.setup(args.verbose - args.quiet)
    if not args.config:
        _logger.error("no configuration: use --config or CRM_SYNC_CONFIG")
        return EXIT_FAILED
    try:
        config = load(args.config)
        sources = (
            [config.source(args.source)]
            if getattr(args, "source", None)
            else config.sources
        )
        targets = (
            [config.target(args.target)]
            if getattr(args, "target", None)
            else config.targets
        )
    except ConfigError as error:
        _logger.error("configuration error: %s", error)
        return EXIT_FAILED
    for warning in config.warnings:
        _logger.warning("warning: %s", warning)
    job = Job(config, dry_run=args.dry_run, full_refresh=args.full_refresh)
    if args.command == "status":
        return int(_status(config, job))
    if args.command == "pull-invoices":
        targets = []
    elif args.command == "push-customers":
        sources = []
    try:
        # nothing reaches Odoo before every source and target is checked
        opened = preflight(config, sources, targets)
    except PreflightError as error:
        for problem in error.problems:
            _logger.error("configuration error: %s", problem)
        return EXIT_FAILED
    try:
        with RunLock(config.lock_file):
            if args.command == "nightly":
                nightly(job, opened)
            for source in sources if args.command == "pull-invoices" else ():
                pull_invoices(job, source, opened["sources", source.name])
            for target in targets if args.command == "push-customers" else ():
                push_customers(job, target, opened["targets", target.name])
    except (AlreadyRunning, OdooError) as error:
        _logger.error("%s", error)
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - a message, never a traceback
        _logger.error("failed: %s: %s", type(error).__name__, error)
        _logger.debug("the traceback", exc_info=True)
        return EXIT_FAILED
    for failure in job.failures:
        _logger.error("failed: %s", failure)
    if job.dry_run:
        _logger.info(
            "dry run: the counts are what a run would do; no invoice, "
            "customer, bookmark or file was written (Odoo lists the run as a "
            "dry run)"
        )
    return int(job.exit_code())


if __name__ == "__main__":
    sys.exit(main())
