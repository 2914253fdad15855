"""Sources of invoices: each yields pages of normalised rows with the bookmark
after them (see the addon's ``sync_import_page``).

A page goes to Odoo in one request, which Odoo refuses over its size limit:
``row_bytes`` is what a row adds to that request, and a row that alone
weighs more than a page may is sent as a rejection instead
(``reject_too_big``), naming its file, line and PDF."""

import functools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from ..config import SourceConfig
from .base import Bookmark, Page, Row, SizedSource, Source

__all__ = ["Page", "Row", "Source", "cut_rows", "open_source", "row_bytes"]


def row_bytes(row: Row) -> int:
    """What ``row`` adds to the JSON body of a request: its JSON with
    non-ASCII text escaped (as ``json.dumps`` writes it, never less than
    UTF-8) and the separator after it."""
    return len(json.dumps(row, default=str)) + 2


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def cut_rows(
    rows: Iterable[Row], page_size: int, max_bytes: int | None = None
) -> Iterator[list[Row]]:
    """Lists of at most ``page_size`` of ``rows`` (any iterable, read as it
    goes) weighing at most ``max_bytes`` together (``row_bytes``); a row
    that alone weighs more is replaced by its rejection. At least one list,
    maybe empty."""
    chunk: list[Row] = []
    weight = 0
    for row in rows:
        size = row_bytes(row) if max_bytes else 0
        if max_bytes and size > max_bytes:
            row = reject_too_big(row, size, max_bytes)
            size = row_bytes(row)
        too_heavy = max_bytes and weight + size > max_bytes
        if chunk and (len(chunk) >= page_size or too_heavy):
            yield chunk
            chunk, weight = [], 0
        chunk.append(row)
        weight += size
    yield chunk


def reject_too_big(row: Row, size: int, max_bytes: int) -> Row:
    """The rejection sent instead of a row that alone weighs ``size`` bytes,
    more than the rows of a page may (``max_bytes``, from
    ``odoo.max_page_bytes``): names the file and line it came from and its
    PDF with the PDF's size."""
    payload: dict[str, Any] = (
        row["payload"] if isinstance(row.get("payload"), dict) else {}
    )
    key = row.get("external_id")
    if payload.get("file") and payload.get("line"):
        where = f"{payload['file']} line {payload['line']}"
    else:
        where = f"record {key!r}"
    pdf = row.get("pdf_base64") or ""
    weight = f"weighs {human_size(size)}"
    if pdf:
        pdf_size = len(pdf) * 3 // 4 - pdf[-2:].count("=")
        weight = (
            f"with the PDF {row.get('pdf_name') or ''} ({human_size(pdf_size)}) "
            f"{weight}"
        )
    return {
        "external_id": key,
        "record_key": row.get("record_key") or key or where,
        "reject_reason": f"{where}: the row {weight} as JSON, more than the "
        f"{human_size(max_bytes)} of rows a request to Odoo may carry "
        f"(odoo.max_page_bytes)",
        "payload": payload or {"external_id": key},
    }


class FolderSource:
    """A source reading the files of a folder (``folder``), moving the read
    ones to ``processed_folder``; the configuration requires both."""

    def __init__(self, config: SourceConfig) -> None:
        self.config = config

    @property
    def _folder(self) -> Path:
        assert self.config.folder is not None  # required for this kind
        return self.config.folder

    @property
    def _processed_folder(self) -> Path:
        assert self.config.processed_folder is not None  # made from the folder
        return self.config.processed_folder

    def _move_aside(self, item: Path) -> None:
        """Move the file or export ``item`` to the processed folder."""
        raise NotImplementedError

    def _move_all(self, items: tuple[Path, ...]) -> None:
        """Move ``items`` (read as one) to the processed folder, in order."""
        for item in items:
            self._move_aside(item)

    def _page(
        self,
        rows: list[Row],
        key: str,
        end: int,
        total: int,
        item: Path,
        *others: Path,
        **more: Any,
    ) -> Page:
        """The page of ``rows`` ending at row ``end`` of the ``total`` of
        ``item`` (a file, an export), which moves aside (``others`` read with
        it first) once its last page is applied."""
        last = end >= total
        return Page(
            rows=rows,
            bookmark=f"{key}#{'end' if last else end}",
            acknowledge=functools.partial(self._move_all, (*others, item))
            if last
            else (lambda: None),
            **more,
        )


def parse_bookmark(
    bookmark: Bookmark, strict: bool = False
) -> tuple[str | None, int | Literal["end"]]:
    """(the file or export, the rows of it applied or ``end``) of a folder
    source's bookmark ``<key>#<done>``; (None, 0) to read from the start. A
    count that is no number is 0, or with ``strict`` a ValueError."""
    if not bookmark or "#" not in bookmark:
        return None, 0
    name, _sep, done = bookmark.rpartition("#")
    if done == "end":
        return name, "end"
    if strict or done.isdigit():
        return name, int(done or 0)
    return name, 0


def open_source(config: SourceConfig) -> Source | SizedSource:
    """The source of a source configuration; each kind's module is imported
    only when used."""
    if config.kind in ("csv", "xlsx"):
        from .dropfolder import DropFolderSource  # noqa: PLC0415

        return DropFolderSource(config)
    if config.kind == "morning":
        from .morning import MorningSource  # noqa: PLC0415

        return MorningSource(config)
    if config.kind == "tryton":
        from .tryton import TrytonSource  # noqa: PLC0415

        return TrytonSource(config)
    if config.kind == "uniform":
        from .uniform import UniformSource  # noqa: PLC0415

        return UniformSource(config)
    raise ValueError(f"unknown source kind {config.kind!r}")
