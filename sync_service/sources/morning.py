"""Invoices from Morning (Green Invoice) over its REST API.

Token auth (``POST /account/token`` with the API id and secret), then
``POST /documents/search`` by document date, a page at a time. The API has no
"updated since", so each run searches a window that starts ``overlap_days``
before the end of the previous one: documents paid or cancelled meanwhile come
again and Odoo updates them; unchanged ones are skipped there. The bookmark is
``<from>..<to>#<page>`` while a window is read, ``<from>..<to>#end`` after.

A document's income rows (``income``: ``catalogNum``, ``description``,
``quantity``, ``price``, ``amount``) become its ``lines``, keyed by their
position, product code the catalogue number, prices as Morning writes them (a
credit note's signed by Odoo). A document without ``income`` in the answer
sends no ``lines``, which leaves the lines Odoo has. A row that cannot be read
rejects its document, naming the row and the field.
"""

import json
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import requests

from .. import http
from ..config import SourceConfig
from ..errors import SourceError
from . import Page, Row
from .base import Bookmark

DOCUMENT_KINDS: dict[Any, str] = {
    305: "invoice",
    320: "invoice",
    330: "credit_note",
    400: "receipt",
}
# 0 open, 1 closed, 2 manually closed, 3 cancelling, 4 cancelled
DOCUMENT_STATUSES: dict[Any, str] = {
    0: "open",
    1: "paid",
    2: "paid",
    3: "cancelled",
    4: "cancelled",
}


class MorningSource:
    def __init__(
        self,
        config: SourceConfig,
        today: date | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.today = today or date.today()
        self.sleep = sleep
        self.http = http.session(config, pause=lambda seconds: self.sleep(seconds))
        self.token: str | None = None

    # -- HTTP ---------------------------------------------------------------

    def _post(self, path: str, payload: dict[str, Any], auth: bool = True) -> Any:
        """The JSON answer of one POST; an expired token is renewed once."""
        answer = self._send(path, payload, auth)
        if answer.status_code == 401 and auth:
            self.token = None
            answer = self._send(path, payload, auth)
        if answer.status_code != 200:
            raise SourceError(
                f"Morning {path}: {http.describe(answer)} "
                f"{answer.content[:200].decode(errors='replace')}".strip()
            )
        try:
            return answer.json()
        except ValueError:
            raise SourceError(
                f"Morning {path}: not a JSON answer: {answer.content[:100]!r}"
            ) from None

    def _send(
        self, path: str, payload: dict[str, Any], auth: bool
    ) -> requests.Response:
        # every call here only reads (a token, a search): safe to send again
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self._token()}"
        try:
            return self.http.request(
                "POST",
                f"{self.config.url}{path}",
                data=json.dumps(payload).encode(),
                headers=headers,
                retry_safe=True,
            )
        except requests.RequestException as error:
            raise SourceError(f"Morning {path}: {self.http.explain(error)}") from None

    def _token(self) -> str:
        if not self.token:
            assert self.config.api_secret is not None  # required for Morning
            answer = self._post(
                "/account/token",
                {"id": self.config.api_id, "secret": self.config.api_secret.reveal()},
                auth=False,
            )
            self.token = answer.get("token")
            if not self.token:
                raise SourceError("Morning /account/token: no token in the answer")
        return self.token

    def probe(self) -> str:
        """For ``crm-sync status``: ask for a token; SourceError if refused."""
        self.token = None
        self._token()
        return "API key accepted"

    # -- pages --------------------------------------------------------------

    def _window(self, bookmark: Bookmark) -> tuple[date, date, int]:
        """(from, to, first page) of the window to read after ``bookmark``."""
        if bookmark and ".." in bookmark:
            window, _sep, page = bookmark.partition("#")
            first, _sep, end = window.partition("..")
            if page != "end":
                return date.fromisoformat(first), date.fromisoformat(end), int(page) + 1
            start = date.fromisoformat(end) - timedelta(days=self.config.overlap_days)
        else:
            # the configuration sets it (2000-01-01 when not given)
            assert self.config.start_date is not None
            start = self.config.start_date
        return start, self.today, 1

    def pages(self, bookmark: Bookmark, page_size: int) -> Iterator[Page]:
        start, end, page = self._window(bookmark)
        window = f"{start.isoformat()}..{end.isoformat()}"
        size = min(page_size, self.config.page_size)
        while True:
            answer = self._post(
                "/documents/search",
                {
                    "page": page,
                    "pageSize": size,
                    "fromDate": start.isoformat(),
                    "toDate": end.isoformat(),
                    "sort": "documentDate",
                },
            )
            items = answer.get("items") or []
            pages = int(answer.get("pages") or 1)
            last = page >= pages or not items
            yield Page(
                rows=[row for row in map(self._normalise, items) if row],
                bookmark=f"{window}#{'end' if last else page}",
                progress=(page, pages),
            )
            if last:
                return
            page += 1

    def retry_row(self, payload: dict[str, Any]) -> Row | None:
        """The row of a rejected document queued for retry."""
        return self._normalise(payload) if isinstance(payload, dict) else None

    def _normalise(self, item: dict[str, Any]) -> Row | None:
        kind = DOCUMENT_KINDS.get(item.get("type"))
        if kind is None:
            return None  # quotes, orders, delivery notes: not invoices
        key = str(item.get("id") or "") or None
        try:
            total = float(item["amount"])
            vat = float(item.get("vat") or 0)
        except (KeyError, TypeError, ValueError):
            return {
                "external_id": key,
                "reject_reason": f"document {key}: amount {item.get('amount')!r} "
                "is not a number",
                "payload": item,
            }
        try:
            lines = _income_lines(item.get("income"))
        except ValueError as error:
            return {
                "external_id": key,
                "reject_reason": f"document {key}: {error}",
                "payload": item,
            }
        status = DOCUMENT_STATUSES.get(item.get("status"), "open")
        if item.get("type") == 320 and status == "open":
            status = "paid"  # an invoice-receipt is paid when issued
        client = item.get("client") or {}
        emails = client.get("emails") or []
        urls = item.get("url") or {}
        row: Row = {
            "external_id": key,
            "number": str(item.get("number") or key),
            "kind": kind,
            "issued_on": item.get("documentDate"),
            "due_on": item.get("dueDate"),
            "currency": item.get("currency") or "ILS",
            "amount_untaxed": f"{total - vat:.2f}",
            "amount_tax": f"{vat:.2f}",
            "amount_total": f"{total:.2f}",
            "amount_due": f"{total:.2f}" if status == "open" else "0",
            "status": status,
            "customer": {
                "external_id": str(client.get("id") or "") or None,
                "vat": client.get("taxId"),
                "email": emails[0] if emails else None,
                "name": client.get("name"),
            },
            "source_url": urls.get("origin") or urls.get("he"),
            "payload": item,
        }
        if lines is not None:
            row["lines"] = lines
        return row


def _income_lines(income: object) -> list[dict[str, Any]] | None:
    """The invoice lines of a document's income rows; None without them."""
    if income is None:
        return None
    if not isinstance(income, list):
        raise ValueError("income: not a list")
    lines: list[dict[str, Any]] = []
    for index, item in enumerate(income, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"income row {index}: not a record")
        numbers: dict[str, str | None] = {}
        for field, name in (
            ("quantity", "quantity"),
            ("price", "price_unit"),
            ("amount", "amount"),
        ):
            raw = item.get(field)
            if raw in (None, ""):
                numbers[name] = None
                continue
            try:
                value = float(raw)
            except (TypeError, ValueError):
                value = float("nan")
            if (
                isinstance(raw, bool)
                or value != value
                or value
                in (
                    float("inf"),
                    float("-inf"),
                )
            ):
                raise ValueError(f"income row {index}: {field} {raw!r} is not a number")
            numbers[name] = str(raw)
        if numbers["price_unit"] is None and numbers["amount"] is None:
            raise ValueError(f"income row {index}: price: missing")
        lines.append(
            {
                "key": str(index),
                "sequence": index,
                "product_code": str(item.get("catalogNum") or "").strip() or None,
                "description": str(item.get("description") or "").strip() or None,
                "quantity": numbers["quantity"] or "1",
                "price_unit": numbers["price_unit"],
                "amount": numbers["amount"],
            }
        )
    return lines
