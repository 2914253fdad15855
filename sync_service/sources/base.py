"""What a source is: the pages of typed rows it yields, each with the
bookmark after it, and what it answers when a queued row is retried.

``job.pull_invoices`` uses a source only through ``Source`` (and
``SizedSource`` when the source cuts its pages by size itself); a new kind
of source needs these methods and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

# A row as Odoo's crm.sync.api.import_page takes it: the invoice columns
# (``config.INVOICE_COLUMNS``: external_id, number, kind, dates, currency,
# amounts, status, the customer's keys), ``payload`` (what the row came
# from, kept on a sync issue to retry it), ``record_key``, and for a row
# that cannot go in ``reject_reason`` instead of the values.
Row = dict[str, Any]
# where a source is: what a page's bookmark was, or False (Odoo's answer
# before the first page) or None to read from the start
Bookmark = str | Literal[False] | None


def _nothing() -> None:
    return None


@dataclass
class Page:
    """Rows read after a bookmark, and the bookmark after them."""

    rows: list[Row]
    bookmark: str
    # called once the page is applied in Odoo (e.g. to move a finished file)
    acknowledge: Callable[[], object] = field(default=_nothing)
    # (done, total) of the file or window being read, for the progress bar
    progress: tuple[int, int] | None = None
    # something the run should record although no row says it (an empty file)
    note: str | None = None


@runtime_checkable
class Source(Protocol):
    """A source of invoices."""

    def pages(self, bookmark: Bookmark, page_size: int) -> Iterable[Page]:
        """The pages after ``bookmark`` (None: from the start), each of at
        most ``page_size`` rows, in order; applying them in order and keeping
        each page's bookmark resumes exactly where a stopped run stopped."""
        ...

    def retry_row(self, payload: dict[str, Any]) -> Row | None:
        """The row of a sync issue's ``payload`` read again (a manager
        pressed Retry), or None when it is no longer there."""
        ...


@runtime_checkable
class SizedSource(Protocol):
    """A source that cuts its pages by weight itself (``cuts_by_size``),
    reading no more than a page's worth of PDFs at once."""

    cuts_by_size: bool

    def pages(
        self, bookmark: Bookmark, page_size: int, max_bytes: int | None = None
    ) -> Iterable[Page]: ...

    def retry_row(self, payload: dict[str, Any]) -> Row | None: ...


@runtime_checkable
class Checked(Protocol):
    """A source or target that can say before any run that it cannot be
    used (``ConfigError`` naming the key inside its section)."""

    def check(self) -> None: ...


@runtime_checkable
class Probed(Protocol):
    """A source or target that ``crm-sync status`` can ask: a short text of
    what answered, or an error saying what is wrong."""

    def probe(self) -> str: ...
