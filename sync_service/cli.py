"""crm-sync: the command line over the sync library."""

import argparse
import os
import sys

from . import __version__
from .config import ConfigError, load
from .job import (
    EXIT_FAILED,
    AlreadyRunning,
    Job,
    RunLock,
    nightly,
    pull_invoices,
    push_customers,
)
from .odoo import OdooError


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="crm-sync",
        description="Sync invoices into Odoo and customers out of it.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--config",
        default=os.environ.get("CRM_SYNC_CONFIG"),
        help="TOML configuration file (default: $CRM_SYNC_CONFIG)",
    )
    parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
    parser.add_argument(
        "--full-refresh", action="store_true", help="read sources from the start"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    pull = commands.add_parser("pull-invoices", help="pull invoices into Odoo")
    pull.add_argument("--source", help="only this source")
    push = commands.add_parser("push-customers", help="push customers to targets")
    push.add_argument("--target", help="only this target")
    commands.add_parser("nightly", help="every source, then every target")
    commands.add_parser("status", help="check the configuration and Odoo")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.config:
        print(
            "crm-sync: no configuration: use --config or CRM_SYNC_CONFIG",
            file=sys.stderr,
        )
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
        print(f"crm-sync: configuration error: {error}", file=sys.stderr)
        return EXIT_FAILED
    job = Job(config, dry_run=args.dry_run, full_refresh=args.full_refresh)
    try:
        with RunLock(config.lock_file):
            if args.command == "status":
                uid = job.client.transport.login()
                print(
                    f"Odoo {config.odoo.url} database {config.odoo.db}: "
                    f"logged in as uid {uid}"
                )
                print(f"sources: {', '.join(s.name for s in config.sources) or '-'}")
                print(f"targets: {', '.join(t.name for t in config.targets) or '-'}")
                return 0
            if args.command == "pull-invoices":
                for source in sources:
                    pull_invoices(job, source)
            elif args.command == "push-customers":
                for target in targets:
                    push_customers(job, target)
            else:
                nightly(job)
    except AlreadyRunning as error:
        print(f"crm-sync: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OdooError as error:
        print(f"crm-sync: {error}", file=sys.stderr)
        return EXIT_FAILED
    for failure in job.failures:
        print(f"crm-sync: failed: {failure}", file=sys.stderr)
    return job.exit_code()


if __name__ == "__main__":
    sys.exit(main())
