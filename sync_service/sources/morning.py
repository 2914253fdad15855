"""Invoices from Morning (Green Invoice) over its REST API.

Token auth (``POST /account/token`` with the API id and secret), then
``POST /documents/search`` by document date, a page at a time. The API has no
"updated since", so each run searches a window that starts ``overlap_days``
before the end of the previous one: documents paid or cancelled meanwhile come
again and Odoo updates them; unchanged ones are skipped there. The bookmark is
``<from>..<to>#<page>`` while a window is read, ``<from>..<to>#end`` after.
"""

import json
import time
import urllib.error
import urllib.request
from datetime import date, timedelta

from ..odoo import retry_after_seconds
from . import Page

DOCUMENT_KINDS = {305: "invoice", 320: "invoice", 330: "credit_note", 400: "receipt"}
# 0 open, 1 closed, 2 manually closed, 3 cancelling, 4 cancelled
DOCUMENT_STATUSES = {0: "open", 1: "paid", 2: "paid", 3: "cancelled", 4: "cancelled"}


class SourceError(Exception):
    pass


class MorningSource:
    def __init__(self, config, today=None, sleep=time.sleep):
        self.config = config
        self.today = today or date.today()
        self.sleep = sleep
        self.token = None

    # -- HTTP ---------------------------------------------------------------

    def _post(self, path, payload, auth=True):
        body = json.dumps(payload).encode()
        last = None
        for attempt in range(self.config.max_retries + 1):
            headers = {"Content-Type": "application/json"}
            if auth:
                headers["Authorization"] = f"Bearer {self._token()}"
            request = urllib.request.Request(
                self.config.url + path, data=body, method="POST", headers=headers
            )
            backoff = min(2**attempt, 60)
            try:
                with urllib.request.urlopen(
                    request, timeout=self.config.timeout
                ) as answer:
                    return json.loads(answer.read())
            except urllib.error.HTTPError as error:
                if error.code == 401 and auth and attempt == 0:
                    self.token = None  # expired: log in again once
                    continue
                if error.code != 429 and error.code < 500:
                    raise SourceError(
                        f"Morning {path}: HTTP {error.code} "
                        f"{error.read()[:200].decode(errors='replace')}"
                    ) from None
                last = f"HTTP {error.code}"
                backoff = _retry_after(error.headers.get("Retry-After"), backoff)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                last = str(getattr(error, "reason", error))
            if attempt < self.config.max_retries:
                self.sleep(backoff)
        raise SourceError(
            f"Morning {path}: gave up after {self.config.max_retries + 1} "
            f"attempts ({last})"
        )

    def _token(self):
        if not self.token:
            answer = self._post(
                "/account/token",
                {"id": self.config.api_id, "secret": self.config.api_secret.reveal()},
                auth=False,
            )
            self.token = answer.get("token")
            if not self.token:
                raise SourceError("Morning /account/token: no token in the answer")
        return self.token

    # -- pages --------------------------------------------------------------

    def _window(self, bookmark):
        """(from, to, first page) of the window to read after ``bookmark``."""
        if bookmark and ".." in bookmark:
            window, _sep, page = bookmark.partition("#")
            start, _sep, end = window.partition("..")
            if page != "end":
                return date.fromisoformat(start), date.fromisoformat(end), int(page) + 1
            start = date.fromisoformat(end) - timedelta(days=self.config.overlap_days)
        else:
            start = self.config.start_date
        return start, self.today, 1

    def pages(self, bookmark, page_size):
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

    def retry_row(self, payload):
        """The row of a rejected document queued for retry."""
        return self._normalise(payload) if isinstance(payload, dict) else None

    def _normalise(self, item):
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
        status = DOCUMENT_STATUSES.get(item.get("status"), "open")
        if item.get("type") == 320 and status == "open":
            status = "paid"  # an invoice-receipt is paid when issued
        client = item.get("client") or {}
        emails = client.get("emails") or []
        urls = item.get("url") or {}
        return {
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


# kept under this name for the sources that import it
_retry_after = retry_after_seconds
