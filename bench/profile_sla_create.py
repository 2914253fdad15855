"""Where ticket creation spends its SLA time: a profile, not a test.

Copies a database with the addon installed without demo data, sets it up as
``bench_sla_vs_oca.py`` does (Sunday–Thursday calendar, two holidays, a policy
of 4 h / 24 h on one team, a team without policy), then creates tickets in
batches of 1,000 with and without SLA targets, interleaved, and prints the SLA
cost per ticket (with minus without) and a cProfile of the SLA part of one
batch with SLA.

CPU time (this process and its PostgreSQL backend) is the figure to read on a
shared machine. Two measures of the SLA cost are printed: the difference
between batches with and without SLA targets, honest but noisy (a batch's CPU
time varies by more than the SLA costs), and the CPU time spent inside the SLA
step of ticket creation (``_sla_apply_policies``), steady, and if anything
high: it may compute ticket fields the flush would compute anyway.

    .venv/bin/python bench/profile_sla_create.py -c var/dev.conf -d <db with the addon>
"""

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import subprocess
import sys

import bench_sla_vs_oca as bench
from odoo_env import drop_database, odoo_path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo config file")
    parser.add_argument(
        "-d", "--database", required=True, help="database with the addon installed"
    )
    parser.add_argument("--batches", type=int, default=10, help="timed batch pairs")
    parser.add_argument("--lines", type=int, default=30, help="profile lines")
    parser.add_argument(
        "--whole",
        action="store_true",
        help="profile whole batches with and without SLA instead",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the copy <database>_profile"
    )
    return parser.parse_args()


def print_profile(profile, lines):
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(lines)
    print(out.getvalue())


def main():
    args = parse_args()
    copy = f"{args.database}_profile"
    drop_database(copy)
    subprocess.run(["createdb", "-T", args.database, copy], check=True)
    sys.path.insert(0, str(odoo_path()))
    import odoo  # noqa: PLC0415

    odoo.tools.config.parse_config(["-c", args.config])
    patch_now = bench.mock.patch.object(
        odoo.fields.Datetime, "now", staticmethod(lambda *_args: bench.BENCH_NOW)
    )
    side = None
    try:
        patch_now.start()
        side = bench.OursSide(odoo, copy)
        side.setup()
        gc.collect()
        gc.freeze()
        moments = bench.openings(bench.BATCH * (args.batches + 1), seed=1)
        chunks = [
            moments[i : i + bench.BATCH] for i in range(0, len(moments), bench.BATCH)
        ]
        # warm-up: the first batch of each kind fills the registry's caches
        side.create_batch(chunks[0], True)
        side.create_batch(chunks[0], False)
        seconds = {True: [], False: []}
        cpu = {True: [], False: []}
        step = []  # CPU seconds in the SLA step of each batch with SLA
        spent = [0.0]  # ... of the batch being created
        Ticket = side.env.registry["crm.service.ticket"]
        apply = Ticket._sla_apply_policies

        def measured(self, *a, **kw):
            before = side.cpu_seconds()
            try:
                return apply(self, *a, **kw)
            finally:
                if before is not None:
                    spent[0] += side.cpu_seconds() - before

        Ticket._sla_apply_policies = measured
        try:
            for index, chunk in enumerate(chunks[1:]):
                # with first in one pair, without first in the next: the
                # machine's drift weighs on both
                for with_sla in (True, False) if index % 2 == 0 else (False, True):
                    spent[0] = 0.0
                    seconds[with_sla].append(side.create_batch(chunk, with_sla))
                    cpu[with_sla].append(side.last_cpu)
                    if with_sla:
                        step.append(spent[0])
        finally:
            Ticket._sla_apply_policies = apply
        per_ticket = {
            kind: 1000 * min(values) / bench.BATCH for kind, values in seconds.items()
        }
        print(
            f"ms per ticket (best of {args.batches} batches of {bench.BATCH}): "
            f"with SLA {per_ticket[True]:.2f}, without {per_ticket[False]:.2f}, "
            f"SLA cost {per_ticket[True] - per_ticket[False]:.2f} "
            f"(load {bench.load_average()})"
        )
        if None not in cpu[True] + cpu[False]:
            # CPU seconds of this process and its PostgreSQL backend: the
            # median batch, as the load inflates wall time, not CPU time
            per_ticket = {
                kind: 1000 * statistics.median(values) / bench.BATCH
                for kind, values in cpu.items()
            }
            differences = [
                1000 * (w - wo) / bench.BATCH
                for w, wo in zip(cpu[True], cpu[False], strict=True)
            ]
            print(
                f"CPU ms per ticket (median of {args.batches} batches): "
                f"with SLA {per_ticket[True]:.3f}, without {per_ticket[False]:.3f}; "
                f"SLA cost, median of the differences per pair "
                f"{statistics.median(differences):.3f} ("
                + ", ".join(f"{d:.3f}" for d in differences)
                + ")"
            )
            in_step = [1000 * s / bench.BATCH for s in step]
            shares = [100 * s / total for s, total in zip(step, cpu[True], strict=True)]
            print(
                f"CPU ms per ticket in the SLA step: median "
                f"{statistics.median(in_step):.3f}, "
                f"{min(in_step):.3f} to {max(in_step):.3f}; "
                f"{statistics.median(shares):.1f} % of the ticket's creation "
                f"({min(shares):.1f} to {max(shares):.1f} %)"
            )
        if args.whole:
            # the whole batches, with and without SLA: the difference is where
            # the SLA costs, inside or outside _sla_apply_policies
            for with_sla in (True, False):
                profile = cProfile.Profile()
                chunk = bench.openings(bench.BATCH, seed=99)
                profile.runcall(side.create_batch, chunk, with_sla)
                print(f"--- whole batch {'with' if with_sla else 'without'} SLA")
                print_profile(profile, args.lines)
            return
        profile = cProfile.Profile()
        Ticket = side.env.registry["crm.service.ticket"]
        apply = Ticket._sla_apply_policies

        def profiled(self, *a, **kw):
            return profile.runcall(apply, self, *a, **kw)

        Ticket._sla_apply_policies = profiled
        try:
            chunk = bench.openings(bench.BATCH, seed=99)
            side.create_batch(chunk, True)
        finally:
            Ticket._sla_apply_policies = apply
        print_profile(profile, args.lines)
    finally:
        patch_now.stop()
        if side:
            side.close()
        if not args.keep:
            drop_database(copy)


if __name__ == "__main__":
    main()
