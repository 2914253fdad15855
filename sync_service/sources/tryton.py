"""Customer invoices and credit notes from Tryton (``account_invoice``) over
its JSON-RPC.

Login with ``common.db.login`` on ``<url>/<database>/``, then
``model.account.invoice.search_read`` with the session in the
``Authorization: Session`` header and the user's preferences as context.

What is read: customer invoices (``type = 'out'``) that are posted, paid, or
cancelled after being posted. Drafts and validated invoices are not real yet;
supplier invoices are not sales. Tryton has no credit-note type: an invoice
whose total is negative is a credit note, sent with positive amounts
(``kind = credit_note``; Odoo signs it).

Status: ``paid`` and ``cancelled`` from the state; a posted invoice is
``open``, ``partly_paid`` when its amount to pay is below its total, ``paid``
when nothing is left to pay. Due date: the earliest maturity of the lines
still to pay, else the latest one.

Incremental reads: the bookmark is a cursor ``<write_date>#<id>`` on the
invoices ordered by (write_date, id). Posting, paying (payment lines or the
reconciliation that makes it paid) and cancelling all write the invoice, so
an invoice paid after a run comes again. Several invoices written in one
transaction share a write date; the id breaks the tie, so no page boundary
loses any. Tryton stamps ``write_date`` with the start of the writing
transaction, so an invoice can commit later than a newer stamp already read:
each run starts ``overlap`` (10 minutes by default) before the bookmark and
Odoo skips what did not change. The bookmark never moves back.

Lines: the invoices' lines of type ``line`` (not subtotals, titles or
comments) are read with one ``model.account.invoice.line.search_read`` per
page and kept in the invoice's payload (``lines.``), so a retry has them:
key the line id, product code ``product.code``, description, quantity, unit
price and amount. A credit note (negative total) has negative quantities in
Tryton; Odoo stores them positive and the amounts negative.

Credited invoice: Tryton's credit wizard gives each line of a credit note an
``origin``, the ``account.invoice.line`` it credits. Those lines' invoices
are read with one more ``search_read`` per page (only when a page has such
lines) and kept on the line (``origin.invoice``); a credit note whose lines
credit one invoice sends it as ``origin`` (its id, the invoice's
``external_id`` here), so Odoo returns the credited products from that
invoice's assets. A credit note of lines of several invoices, or of none,
names no origin.
"""

import base64
import itertools
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from .. import http
from ..config import SourceConfig
from ..errors import SourceError
from . import Page, Row
from .base import Bookmark

# (write_date, id) of the last invoice read
Cursor = tuple[datetime, int]

__all__ = ["TrytonSource"]

DEFAULT_OVERLAP = timedelta(minutes=10)
STATES = ("posted", "paid", "cancelled")
FIELDS = [
    "number",
    "type",
    "state",
    "invoice_date",
    "payment_term_date",
    "reference",
    "currency",
    "currency.code",
    "untaxed_amount",
    "tax_amount",
    "total_amount",
    "amount_to_pay",
    "party",
    "party.name",
    "party.code",
    "party.email",
    "party.tax_identifier.code",
    "party_tax_identifier.code",
    "lines_to_pay.maturity_date",
    "lines_to_pay.reconciliation",
    "create_date",
    "write_date",
]
LINE_FIELDS = [
    "invoice",
    "sequence",
    "type",
    "product",
    "product.code",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "origin",
]
CREDITED_LINE = "account.invoice.line,"


class TrytonSource:
    def __init__(
        self,
        config: SourceConfig,
        sleep: Callable[[float], None] = time.sleep,
        overlap: timedelta | None = None,
    ) -> None:
        self.config = config
        self.sleep = sleep
        self.http = http.session(config, pause=lambda seconds: self.sleep(seconds))
        if overlap is None:
            minutes = getattr(config, "overlap_minutes", None)
            overlap = DEFAULT_OVERLAP if minutes is None else timedelta(minutes=minutes)
        self.overlap = overlap
        database = urllib.parse.quote(str(config.database), safe="")
        self.endpoint = f"{config.url}/{database}/"
        self.session: str | None = None
        self.context: dict[str, Any] | None = None
        self._ids = itertools.count(1)

    def _name(self, method: str) -> str:
        return f"Tryton {self.config.url} database {self.config.database} {method}"

    # -- JSON-RPC -----------------------------------------------------------

    def _call(self, method: str, params: list[Any], auth: bool = True) -> Any:
        """The result of one JSON-RPC call. Every call here reads (or logs
        in or out), so each may be sent again (``sync_service.http``); an
        expired session logs in again once."""
        answer = self._send(method, params, auth)
        if answer.status_code == 401 and auth:
            self.session = None
            answer = self._send(method, params, auth)
        status = answer.status_code
        if status == 401:
            raise SourceError(
                f"{self._name(method)}: login refused for user "
                f"{self.config.username!r} (HTTP 401): check the "
                "username and password"
            )
        if status == 404 and not auth:
            raise SourceError(
                f"{self._name(method)}: HTTP 404: no database "
                f"{self.config.database!r} on this server"
            )
        if status != 200:
            raise SourceError(
                f"{self._name(method)}: {http.describe(answer)} "
                f"{answer.content[:200].decode(errors='replace')}".strip()
            )
        try:
            payload = json.loads(answer.content, object_hook=_decode)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not {"result", "error"} & set(payload):
            raise SourceError(
                f"{self._name(method)}: not a JSON-RPC answer: "
                f"{answer.content[:100]!r}"
            )
        if payload.get("error"):
            raise SourceError(f"{self._name(method)}: {_error_text(payload['error'])}")
        return payload["result"]

    def _send(self, method: str, params: list[Any], auth: bool) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = self._authorization()
        body = json.dumps(
            {"id": next(self._ids), "method": method, "params": params},
            default=_encode,
        ).encode()
        try:
            return self.http.request(
                "POST", self.endpoint, data=body, headers=headers, retry_safe=True
            )
        except requests.RequestException as error:
            raise SourceError(
                f"{self._name(method)}: {self.http.explain(error)}"
            ) from None

    def _authorization(self) -> str:
        if not self.session:
            return self._login()
        return self.session

    def _login(self) -> str:
        """Logs in; the session's Authorization header."""
        assert self.config.password is not None  # required for Tryton
        result = self._call(
            "common.db.login",
            [self.config.username, {"password": self.config.password.reveal()}, "en"],
            auth=False,
        )
        try:
            user_id, session = result
        except (TypeError, ValueError):
            raise SourceError(
                f"{self._name('common.db.login')}: unexpected answer {result!r}"
            ) from None
        token = f"{self.config.username}:{user_id}:{session}".encode()
        self.session = session_header = "Session " + base64.b64encode(token).decode()
        self.context = self._call("model.res.user.get_preferences", [True, {}])
        return session_header

    def _logout(self) -> None:
        if not self.session:
            return
        try:
            self._call("common.db.logout", [])
        except SourceError:
            pass  # the session expires by itself
        self.session = None
        self.http.close()

    def probe(self) -> str:
        """For ``crm-sync status``: log in and out; SourceError if refused."""
        self._login()
        self._logout()
        return f"logged in as {self.config.username}"

    # -- pages --------------------------------------------------------------

    def _domain(self, cursor: Cursor | None) -> list[Any]:
        domain: list[Any] = [
            ("type", "=", "out"),
            [
                "OR",
                ("state", "in", ["posted", "paid"]),
                [("state", "=", "cancelled"), ("move", "!=", None)],
            ],
            ("write_date", "!=", None),
        ]
        if self.config.start_date:
            domain.append(("invoice_date", ">=", self.config.start_date))
        if cursor:
            stamp, last_id = cursor
            domain.append(
                [
                    "OR",
                    ("write_date", ">", stamp),
                    [("write_date", "=", stamp), ("id", ">", last_id)],
                ]
            )
        return domain

    def _search(self, cursor: Cursor | None, size: int) -> Any:
        if not self.session:
            self._login()
        return self._call(
            "model.account.invoice.search_read",
            [
                self._domain(cursor),
                0,
                size,
                [["write_date", "ASC"], ["id", "ASC"]],
                list(FIELDS),
                self.context or {},
            ],
        )

    def _count(self, cursor: Cursor | None) -> int:
        """How many invoices the run reads (written meanwhile: more)."""
        if not self.session:
            self._login()
        count = self._call(
            "model.account.invoice.search_count",
            [self._domain(cursor), self.context or {}],
        )
        return count if isinstance(count, int) else 0

    def pages(self, bookmark: Bookmark, page_size: int) -> Iterator[Page]:
        floor = _parse_bookmark(bookmark)
        cursor = floor
        if floor and self.overlap:
            cursor = (floor[0] - self.overlap, 0)
        size = min(page_size, self.config.page_size)
        first = True
        total = self._count(cursor)
        done = 0
        while True:
            items = self._search(cursor, size)
            if not isinstance(items, list):
                raise SourceError(
                    f"{self._name('search_read')}: expected a list, got "
                    f"{type(items).__name__}"
                )
            if items:
                cursor = _cursor_of(items[-1], self._name("search_read"))
                self._attach_lines(items)
            mark = max(filter(None, (cursor, floor)), default=None)
            done += len(items)
            if items or first:
                yield Page(
                    rows=[row for row in map(self._normalise, items) if row],
                    bookmark=_format_bookmark(mark) if mark else (bookmark or ""),
                    progress=(done, max(total, done)),
                )
            first = False
            if len(items) < size:
                break
        self._logout()

    def _attach_lines(self, items: list[Any]) -> None:
        """Each customer invoice of the page gets its lines (``lines.``)."""
        ids = [
            item["id"]
            for item in items
            if isinstance(item, dict)
            and item.get("type") in (None, "out")
            and isinstance(item.get("id"), int)
        ]
        if not ids:
            return
        lines = self._call(
            "model.account.invoice.line.search_read",
            [
                [["invoice", "in", ids], ["type", "=", "line"]],
                0,
                None,
                [["invoice", "ASC"], ["sequence", "ASC"], ["id", "ASC"]],
                list(LINE_FIELDS),
                self.context or {},
            ],
        )
        if not isinstance(lines, list):
            raise SourceError(
                "model.account.invoice.line.search_read: expected a list, got "
                f"{type(lines).__name__}"
            )
        self._attach_origins(lines)
        by_invoice: dict[int, list[dict[str, Any]]] = {
            invoice_id: [] for invoice_id in ids
        }
        for line in lines:
            if isinstance(line, dict) and line.get("invoice") in by_invoice:
                by_invoice[line["invoice"]].append(line)
        for item in items:
            if isinstance(item, dict) and item.get("id") in by_invoice:
                item["lines."] = by_invoice[item["id"]]

    def _attach_origins(self, lines: list[Any]) -> None:
        """Each line crediting an invoice line gets that line's invoice
        (``origin.invoice``), read once for the page."""
        credited: dict[int, int] = {}
        for line in lines:
            origin = line.get("origin") if isinstance(line, dict) else None
            if isinstance(origin, str) and origin.startswith(CREDITED_LINE):
                try:
                    credited[line["id"]] = int(origin[len(CREDITED_LINE) :])
                except ValueError:
                    continue
        if not credited:
            return
        # search_read, not read: an origin line the user may not see (a
        # record rule) is left out, never an error
        origins = self._call(
            "model.account.invoice.line.search_read",
            [
                [["id", "in", sorted(set(credited.values()))]],
                0,
                None,
                None,
                ["invoice"],
                self.context or {},
            ],
        )
        if not isinstance(origins, list):
            raise SourceError(
                "model.account.invoice.line.search_read: expected a list, got "
                f"{type(origins).__name__}"
            )
        invoice_of = {
            origin["id"]: origin.get("invoice")
            for origin in origins
            if isinstance(origin, dict)
        }
        for line in lines:
            if isinstance(line, dict) and line.get("id") in credited:
                line["origin.invoice"] = invoice_of.get(credited[line["id"]])

    def retry_row(self, payload: dict[str, Any]) -> Row | None:
        """The row of a rejected invoice queued for retry."""
        return self._normalise(payload) if isinstance(payload, dict) else None

    # -- rows ---------------------------------------------------------------

    def _normalise(self, item: Any) -> Row | None:
        if not isinstance(item, dict):
            return {
                "external_id": None,
                "reject_reason": f"not an invoice record: {item!r:.100}",
                "payload": item,
            }
        if item.get("type") not in (None, "out"):
            return None  # supplier invoices are not sales
        key = str(item.get("id") or "") or None
        label = f"invoice {item.get('number') or key}"
        state = item.get("state")
        currency = (item.get("currency.") or {}).get("code")
        reason: str | None = None
        amounts: dict[str, Decimal] = {}
        to_pay = Decimal(0)
        try:
            amounts = {
                name: _amount(item, name)
                for name in ("untaxed_amount", "tax_amount", "total_amount")
            }
            to_pay = _amount(item, "amount_to_pay", default=Decimal(0))
        except ValueError as error:
            reason = f"{label}: {error}"
        else:
            if state not in STATES:
                reason = f"{label}: state {state!r} is not {', '.join(STATES)}"
            elif not item.get("invoice_date"):
                reason = f"{label}: no invoice date"
            elif not currency:
                reason = f"{label}: no currency code"
        lines: list[dict[str, Any]] | None = None
        if not reason and item.get("lines.") is not None:
            try:
                lines = _lines(item["lines."])
            except ValueError as error:
                reason = f"{label}: {error}"
        if reason:
            return {"external_id": key, "reject_reason": reason, "payload": item}
        total = amounts["total_amount"]
        sign = -1 if total < 0 else 1
        due = sign * to_pay if state == "posted" else Decimal(0)
        if state != "posted":
            status = state
        elif due <= 0:
            status = "paid"
        elif due < sign * total:
            status = "partly_paid"
        else:
            status = "open"
        due = max(due, Decimal(0))  # overpaid: nothing due
        party = item.get("party.") or {}
        tax_identifier = item.get("party_tax_identifier.") or party.get(
            "tax_identifier."
        )
        row: Row = {
            "external_id": key,
            "number": str(item.get("number") or key),
            "kind": "credit_note" if sign < 0 else "invoice",
            "issued_on": str(item["invoice_date"])[:10],
            "due_on": _due_on(item),
            "currency": currency,
            "amount_untaxed": _text(sign * amounts["untaxed_amount"]),
            "amount_tax": _text(sign * amounts["tax_amount"]),
            "amount_total": _text(sign * total),
            "amount_due": _text(due),
            "status": status,
            "customer": {
                "external_id": str(item.get("party") or "") or None,
                "vat": (tax_identifier or {}).get("code"),
                "email": party.get("email") or None,
                "name": party.get("name"),
            },
            "source_url": (
                f"{self.config.url}/#{urllib.parse.quote(str(self.config.database))}"
                f"/model/account.invoice/{key}"
            ),
            "payload": item,
        }
        if lines is not None:
            row["lines"] = lines
        origin = _credited_invoice(item) if sign < 0 else None
        if origin:
            row["origin"] = origin
        return row


def _credited_invoice(item: dict[str, Any]) -> str | None:
    """The id of the one invoice a credit note's lines credit, else None."""
    invoices = {
        line.get("origin.invoice")
        for line in item.get("lines.") or []
        if isinstance(line, dict)
    }
    invoices.discard(None)
    if len(invoices) != 1:
        return None
    [invoice] = invoices
    return str(invoice)


def _lines(items: list[Any]) -> list[dict[str, Any]]:
    """The invoice lines of Tryton's lines; ValueError names the line."""
    lines: list[dict[str, Any]] = []
    for line in items:
        if not isinstance(line, dict):
            raise ValueError(f"invoice line {line!r:.50}: not a record")
        where = f"line {line.get('id')}"
        try:
            values = {
                name: _amount(line, name, default=Decimal(0))
                for name in ("quantity", "unit_price", "amount")
            }
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        product = line.get("product.") or {}
        lines.append(
            {
                "key": str(line.get("id")),
                "sequence": line.get("sequence") or len(lines) + 1,
                "product_code": product.get("code") or None,
                "description": str(line.get("description") or "").strip() or None,
                "quantity": str(values["quantity"]),
                "price_unit": str(values["unit_price"]),
                "amount": str(values["amount"]),
            }
        )
    return lines


def _amount(item: dict[str, Any], name: str, default: Decimal | None = None) -> Decimal:
    value = item.get(name)
    if value is None and default is not None:
        return default
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"{name} {value!r} is not a number")
    return amount


def _text(amount: Decimal) -> str:
    exponent = amount.as_tuple().exponent
    # finite amounts only (_amount): the exponent is a number
    return f"{amount:.2f}" if int(exponent) >= -2 else str(amount)


def _due_on(item: dict[str, Any]) -> str | None:
    lines = [line for line in item.get("lines_to_pay.") or [] if isinstance(line, dict)]
    unpaid = sorted(
        str(line["maturity_date"])[:10]
        for line in lines
        if line.get("maturity_date") and not line.get("reconciliation")
    )
    if unpaid:
        return unpaid[0]
    every = sorted(
        str(line["maturity_date"])[:10] for line in lines if line.get("maturity_date")
    )
    if every:
        return every[-1]
    term_date = item.get("payment_term_date")
    return str(term_date)[:10] if term_date else None


def _cursor_of(item: dict[str, Any], where: str) -> Cursor:
    try:
        return (datetime.fromisoformat(item["write_date"]), int(item["id"]))
    except (KeyError, TypeError, ValueError):
        raise SourceError(
            f"{where}: invoice {item.get('id')!r} has no usable write_date "
            f"({item.get('write_date')!r})"
        ) from None


def _format_bookmark(cursor: Cursor) -> str:
    stamp, last_id = cursor
    return f"{stamp:%Y-%m-%dT%H:%M:%S.%f}#{last_id}"


def _parse_bookmark(bookmark: Bookmark) -> Cursor | None:
    """(write_date, id) of a bookmark; None (read from the start) for none or
    one this source did not write (e.g. after a change of kind)."""
    if not bookmark:
        return None
    stamp, _sep, last_id = bookmark.rpartition("#")
    try:
        return datetime.fromisoformat(stamp), int(last_id)
    except ValueError:
        return None


# Tryton's JSON encodes dates, datetimes and decimals as {"__class__": ...};
# rows keep them as ISO text and decimal strings, so payloads stay plain JSON.


DATE_PARTS = ("year", "month", "day")
DATETIME_PARTS = (*DATE_PARTS, "hour", "minute", "second", "microsecond")


def _encode(value: object) -> dict[str, Any]:
    if isinstance(value, datetime):
        parts = {part: getattr(value, part) for part in DATETIME_PARTS}
        return {"__class__": "datetime", **parts}
    if isinstance(value, date):
        return {
            "__class__": "date",
            **{part: getattr(value, part) for part in DATE_PARTS},
        }
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    raise TypeError(f"cannot send {type(value).__name__} to Tryton")


def _decode(dct: dict[str, Any]) -> Any:
    kind = dct.get("__class__")
    try:
        if kind == "Decimal":
            return dct["decimal"]
        if kind == "date":
            return date(dct["year"], dct["month"], dct["day"]).isoformat()
        if kind == "datetime":
            stamp = datetime(
                **{part: dct[part] for part in DATETIME_PARTS[:-1]},
                microsecond=dct.get("microsecond", 0),
            )
            return f"{stamp:%Y-%m-%dT%H:%M:%S.%f}"
        if kind == "timedelta":
            return dct["seconds"]
        if kind == "bytes":
            return None  # not read
    except (KeyError, TypeError, ValueError):
        return dct
    return dct


def _error_text(error: object) -> str:
    """The message of a JSON-RPC error: ["UserError", [message, description,
    domain]] for Tryton's exceptions, [text, traceback] for others."""
    if isinstance(error, list) and error:
        if len(error) > 1 and isinstance(error[1], list | tuple) and error[1]:
            details = " - ".join(str(part) for part in error[1][:2] if part)
            return f"{error[0]}: {details}"
        return str(error[0])[:500]
    return str(error)[:500]
