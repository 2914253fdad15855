"""What the operator sees: a progress bar on a terminal, JSON lines otherwise."""

import io
import json

from sync_service import log
from sync_service.cli import main, parse_args
from sync_service.config import (
    Config,
    OdooConfig,
    Secret,
    SourceConfig,
    TargetConfig,
)
from sync_service.job import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    Job,
    TerminalProgress,
    pull_invoices,
    push_customers,
)
from sync_service.sources import Page


def test_terminal_progress_redraws_one_line_then_reports():
    screen = io.StringIO()
    progress = TerminalProgress(screen)
    progress.show("page", {"source": "finance", "progress": (1, 4), "created": 100})
    progress.show("page", {"source": "finance", "progress": (4, 4), "created": 400})
    progress.show("done", {"source": "finance", "status": "done", "created": 400})
    text = screen.getvalue()
    first, second = text.split("\r\x1b[K")[1:3]
    assert first.startswith("finance [######..................] 1/4 created=100")
    assert second.startswith("finance [########################] 4/4 created=400")
    # the bar line ends before the final report, which has a line of its own
    assert text.endswith("\nfinance: done status=done created=400\n")
    assert "bookmark" not in text


def test_json_log_lines_when_not_on_a_terminal(capsys):
    job = Job(config=None, client=object())
    job.log("page", source="finance", bookmark="a.csv@1#500", progress=(500, 900))
    job.log("done", source="finance", status="done", created=900)
    lines = capsys.readouterr().err.splitlines()
    events = [json.loads(line) for line in lines]
    assert [event["event"] for event in events] == ["page", "done"]
    assert events[0]["progress"] == [500, 900]
    assert events[0]["bookmark"] == "a.csv@1#500"
    assert events[1]["created"] == 900


class FakeClient:
    """The Odoo client as the job sees it; ``finish_answer`` is what
    sync_finish answers (True from a server before it counted)."""

    def __init__(self, finish_answer=True, push_pages=()):
        self.finish_answer = finish_answer
        self.push_pages = list(push_pages)
        self.calls = []

    def sync_start(self, job, kind, dry_run=False):
        self.calls.append(("sync_start", job, kind, dry_run))
        return {"run_id": 5, "bookmark": False}

    def sync_finish(self, run_id, status, error=False):
        self.calls.append(("sync_finish", run_id, status, error))
        return self.finish_answer

    def sync_pending_retries(self, job):
        return []

    def sync_import_page(self, run_id, job, rows, before, after, dry_run=False):
        self.calls.append(("sync_import_page", len(rows), after, dry_run))
        rejected = sum(1 for row in rows if row.get("reject_reason"))
        return {
            "created": len(rows) - rejected,
            "updated": 0,
            "unchanged": 0,
            "rejected": rejected,
            "bookmark": before if dry_run else after,
            "applied": not dry_run,
        }

    def sync_push_changes(
        self,
        job,
        run_id,
        after,
        limit,
        full_refresh=False,
        fields=None,
        everyone_if_changed=False,
    ):
        self.calls.append(
            ("sync_push_changes", after, limit, full_refresh, everyone_if_changed)
        )
        return self.push_pages.pop(0)

    def sync_push_record(self, job, run_id, results):
        self.calls.append(("sync_push_record", results, run_id))


def csv_source(folder, name="finance"):
    return SourceConfig(
        name=name,
        kind="csv",
        folder=folder,
        processed_folder=folder / "processed",
        columns={"external_id": "id", "issued_on": "date", "amount_total": "total"},
    )


def make_job(tmp_path, client, sources=(), targets=(), dry_run=False):
    odoo = OdooConfig("http://127.0.0.1:9", "crm", "sync", Secret("k"), page_size=2)
    config = Config(odoo, list(sources), list(targets), tmp_path / "lock", tmp_path)
    return Job(config, client=client, dry_run=dry_run, terminal=False)


def test_pull_exit_code_and_counts_come_from_the_server(tmp_path, capsys):
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "a.csv").write_text("id,date,total\n1,2026-11-01,5\n")
    server_counts = {
        "read": 3,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,  # a re-sent page's rejections, not in the client's sums
        "pushed": 0,
        "deleted": 0,
        "failed": 0,
    }
    source = csv_source(tmp_path / "drop")
    job = make_job(tmp_path, FakeClient(server_counts), [source])
    totals = pull_invoices(job, source)
    assert totals["rejected"] == 2 and job.exit_code() == EXIT_REJECTED
    done = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert (done["event"], done["read"], done["rejected"]) == ("done", 3, 2)
    # a server that answers True: the client's own sums
    (tmp_path / "drop" / "b.csv").write_text("id,date,total\n2,2026-11-01,5\n")
    job = make_job(tmp_path, FakeClient(True), [source])
    assert pull_invoices(job, source)["created"] == 1
    assert job.exit_code() == EXIT_OK


def test_a_source_failing_inside_its_pages_is_reported_not_a_traceback(
    tmp_path, capsys
):
    class Broken:
        def retry_row(self, payload):
            return None

        def pages(self, bookmark, page_size):
            yield Page(rows=[], bookmark="x#1")
            raise KeyError("documents")

    source = csv_source(tmp_path)
    client = FakeClient()
    job = make_job(tmp_path, client, [source])
    pull_invoices(job, source, Broken())
    assert job.exit_code() == EXIT_FAILED
    assert job.failures == ["finance: KeyError: 'documents'"]
    assert client.calls[-1] == ("sync_finish", 5, "failed", "KeyError: 'documents'")
    assert "Traceback" not in capsys.readouterr().err


def test_dry_run_writes_nothing_and_moves_no_file(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.csv").write_text("id,date,total\n1,2026-11-01,5\n2,2026-11-02,6\n")
    source = csv_source(drop)
    client = FakeClient()
    job = make_job(tmp_path, client, [source], dry_run=True)
    assert pull_invoices(job, source)["created"] == 2
    assert ("sync_start", "finance", "pull", True) in client.calls
    pages = [call for call in client.calls if call[0] == "sync_import_page"]
    assert pages and all(call[3] is True for call in pages), "every page a dry run"
    assert (drop / "a.csv").exists() and not (drop / "processed").exists()


def test_a_missing_drop_folder_creates_no_run(tmp_path):
    source = csv_source(tmp_path / "nowhere")
    client = FakeClient()
    job = make_job(tmp_path, client, [source])
    pull_invoices(job, source)
    assert client.calls == []
    assert job.failures == [f"sources[0].folder: {tmp_path / 'nowhere'} does not exist"]
    assert job.exit_code() == EXIT_FAILED


class Refusing:
    """A target refusing the customers in ``refuse``."""

    def __init__(self, refuse):
        self.refuse = refuse
        self.seen = []
        self.finished = False

    def apply(self, changes):
        results = []
        for customer in changes["upserts"]:
            self.seen.append(customer["partner_id"])
            if customer["partner_id"] in self.refuse:
                results.append({"partner_id": customer["partner_id"], "error": "413"})
            else:
                results.append({"partner_id": customer["partner_id"], "etag": "e"})
        return results

    def finish(self):
        self.finished = True


class WholeFile(Refusing):
    """A target that holds every customer at once, as a file does."""

    full_refresh = True


def _page(ids, after, full_refresh=False):
    return {
        "upserts": [{"partner_id": i} for i in ids],
        "deletes": [],
        "after": after,
        "more": after is not None,
        "full_refresh": full_refresh,
    }


def test_push_pages_by_the_position_odoo_answers_and_exits_2(tmp_path, capsys):
    target = TargetConfig(name="phones", kind="carddav", url="http://x/")
    # Odoo pages by customer id: the next page starts after the refused ones
    client = FakeClient(
        finish_answer={"pushed": 3, "deleted": 0, "failed": 2},
        push_pages=[
            _page([1, 2], "2:end:0"),
            _page([3, 4], "4:end:0"),
            _page([5], None),
        ],
    )
    job = make_job(tmp_path, client, targets=[target])
    refusing = Refusing({1, 2})
    totals = push_customers(job, target, refusing)
    assert refusing.seen == [1, 2, 3, 4, 5]
    asked = [c[1:3] for c in client.calls if c[0] == "sync_push_changes"]
    assert asked == [(False, 2), ("2:end:0", 2), ("4:end:0", 2)]
    recorded = [c for c in client.calls if c[0] == "sync_push_record"]
    assert recorded[0][1] == [
        {"partner_id": 1, "error": "413"},
        {"partner_id": 2, "error": "413"},
    ]
    assert all(call[2] == 5 for call in recorded), "with the run id"
    assert totals == {"pushed": 3, "deleted": 0, "failed": 2}
    assert client.calls[-1] == ("sync_finish", 5, "done_with_rejects", False)
    assert job.exit_code() == EXIT_REJECTED
    err = capsys.readouterr().err
    assert err.count('"event": "refused"') == 2


def test_a_file_is_left_as_it_is_when_nothing_changed(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("Name\n")
    target = TargetConfig(name="office", kind="csv_file", path=path)
    client = FakeClient(push_pages=[_page([], None)])
    whole = WholeFile(set())
    push_customers(make_job(tmp_path, client, targets=[target]), target, whole)
    [asked] = [c for c in client.calls if c[0] == "sync_push_changes"]
    assert asked[3:] == (False, True), "everyone, if anything changed"
    assert not whole.finished, "the file is not written again"
    # something changed: Odoo sends everyone, the file is written
    client = FakeClient(push_pages=[_page([1, 2], None, full_refresh=True)])
    push_customers(make_job(tmp_path, client, targets=[target]), target, whole)
    assert whole.finished
    # no file yet: everyone, whatever changed
    path.unlink()
    client = FakeClient(push_pages=[_page([1, 2], None, full_refresh=True)])
    push_customers(
        make_job(tmp_path, client, targets=[target]), target, WholeFile(set())
    )
    [asked] = [c for c in client.calls if c[0] == "sync_push_changes"]
    assert asked[3] is True


def test_dry_run_push_goes_through_every_page_and_says_so(tmp_path, capsys):
    target = TargetConfig(name="phones", kind="carddav", url="http://x/")
    client = FakeClient(push_pages=[_page([1, 2], "2:end:0"), _page([3], None)])
    job = make_job(tmp_path, client, targets=[target], dry_run=True)
    refusing = Refusing(set())
    assert push_customers(job, target, refusing)["pushed"] == 3
    assert refusing.seen == [] and not refusing.finished
    assert not [c for c in client.calls if c[0] == "sync_push_record"]
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert events and all(event["dry_run"] is True for event in events)


def test_quiet_keeps_errors_verbose_adds_debug(capsys):
    job = Job(config=None, client=object(), terminal=False)
    try:
        log.setup(-1)
        job.log("page", source="finance", created=1)
        log.LOGGER.error("failed: %s", "the reason")
        assert capsys.readouterr().err == "crm-sync: failed: the reason\n"
        log.setup(1)
        log.LOGGER.debug("a detail")
        job.log("done", source="finance", status="done")
        lines = capsys.readouterr().err.splitlines()
        assert lines[0] == "crm-sync: a detail"
        assert json.loads(lines[1])["event"] == "done"
    finally:
        log.setup(0)


def test_cli_takes_v_and_q(tmp_path, capsys):
    args = parse_args(["-vv", "-q", "status"])
    assert (args.verbose, args.quiet) == (2, 1)
    try:
        assert main(["-q", "--config", str(tmp_path / "none.toml"), "status"]) == 1
        assert capsys.readouterr().err.startswith("crm-sync: configuration error:")
    finally:
        log.setup(0)
