"""What the operator sees: a progress bar on a terminal, JSON lines otherwise."""

import io
import json

from sync_service.job import Job, TerminalProgress


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
