"""A CardDAV address book (phones, Thunderbird): one vCard per customer.

Creates with ``If-None-Match: *``, updates with ``If-Match: <etag>``;
archived or merged customers are deleted with ``If-Match`` too.

Conflicts. Odoo is the master of the fields it pushes (name, company, email,
phone, mobile, address, website, note), and a change made in the address
book is never lost silently. A 412 means the card there is not the one the
sync last wrote (someone edited it on a phone, or an earlier run that was
killed wrote it). The target then reads that card and compares each field
with the hashes the sync wrote into it (``X-CRM-SYNC-PUSHED``, see
``vcard.py``):

- no field changed there, or only to what Odoo has now: Odoo's card goes in
  (``If-Match`` the card's new ETag), keeping what the sync does not write
  (a photo, a birthday added on the phone);
- a field changed there to something else: the card is left as it is and the
  customer becomes a sync issue naming each such field with both values. It
  stays one until they agree: correct the customer in Odoo (the next push
  finds nothing to decide), or edit or delete the card in the address book
  (a card deleted there is written again from Odoo);
- a card gone from the address book is created again.

A card without the hashes (written before them, or a client dropped them)
counts every field that differs from Odoo's as changed there.

A delete answered 412 does the same: the card is deleted when no field
changed there since the push, else left with a sync issue.

What fails what: a card the server refuses (any other 4xx, e.g. 413 too large,
400/415 a vCard it does not take), or a customer whose vCard cannot be made,
is that customer's error entry (``{"partner_id": ..., "error": ...}``, a sync
issue in Odoo) and the others go on, until the same 404/405/409/410 comes
three times in a row: a wrong URL, which stops the target with one error.
401/403 (the credentials or rights of the whole book), no answer, and
408/429/5xx still there after the retries of ``sync_service.http`` fail the
whole target.
"""

import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from xml.etree import ElementTree

import requests

from .. import http
from ..config import TargetConfig
from ..errors import TargetError
from . import RefusalStreak
from . import vcard as vcards
from .base import Binding, Changes, Customer, Result

__all__ = ["CardDavTarget", "partner_of"]

FATAL_STATUSES = (401, 403)
DONE = (200, 201, 204)
PROPFIND = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<propfind xmlns="DAV:"><prop><resourcetype/><displayname/></prop></propfind>'
)
ADDRESS_BOOK = "{urn:ietf:params:xml:ns:carddav}addressbook"


def partner_of(binding: Binding) -> int | bool:
    """The partner id in a binding's uid (``crm-<db uuid>-partner-<id>``)."""
    match = re.search(r"-partner-(\d+)$", str(binding.get("uid") or ""))
    return int(match.group(1)) if match else False


class CardDavTarget:
    def __init__(
        self, config: TargetConfig, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.config = config
        self.base = str(config.url)
        self.sleep = sleep
        self.http = http.session(config, pause=lambda seconds: self.sleep(seconds))
        if config.username:
            password = config.password.reveal() if config.password else ""
            self.http.auth = (config.username, password)
        self.streak = RefusalStreak(config)

    def _request(
        self,
        method: str,
        href: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """(status, headers, body) of the server's answer after the retries
        of the HTTP policy; TargetError when the whole book fails."""
        url = urllib.parse.urljoin(self.base, href)
        try:
            answer = self.http.request(method, url, data=body, headers=headers)
        except requests.RequestException as error:
            raise TargetError(f"{method} {url}: {self.http.explain(error)}") from None
        if answer.status_code in FATAL_STATUSES:
            raise TargetError(
                f"{method} {url}: HTTP {answer.status_code}: the address book "
                "refused the credentials (check username and password)"
            )
        if answer.status_code in http.NOT_ACTED_ON | http.SERVER_FAILURES:
            raise TargetError(f"{method} {url}: {http.describe(answer)}")
        if answer.is_redirect:
            raise TargetError(
                f"{method} {url}: {http.describe(answer)}: set the target's url "
                "to where it points"
            )
        return answer.status_code, answer.headers, answer.content

    def _href(self, customer: Customer) -> str:
        binding = customer.get("binding") or {}
        if binding.get("href"):
            return str(binding["href"])
        return (
            urllib.parse.urlparse(self.base).path
            + urllib.parse.quote(customer["uid"])
            + ".vcf"
        )

    def _get(self, href: str) -> tuple[str | None, str] | None:
        """(ETag, vCard text) of the card at ``href``; None when it is gone."""
        status, headers, body = self._request("GET", href)
        if status in (404, 410):
            return None
        if status != 200:
            raise TargetError(f"GET {href}: HTTP {status}")
        return headers.get("ETag"), body.decode("utf-8", errors="replace")

    def _put(
        self, href: str, card: vcards.VCard | str, condition: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        """PUT the vobject ``card`` (or its text) under ``condition``."""
        text: str = card if isinstance(card, str) else card.serialize()
        return self._request(
            "PUT",
            href,
            text.encode(),
            {"Content-Type": "text/vcard; charset=utf-8", **condition},
        )

    def _refused(
        self,
        what: str,
        href: str,
        partner_id: int | bool,
        status: int,
        answer: bytes,
        binding_id: int | None = None,
    ) -> Result:
        detail = f"{what} {href}: HTTP {status}"
        self.streak.refused(status, detail)
        text = answer[:200].decode(errors="replace")
        result: Result = {"partner_id": partner_id, "error": f"{detail} {text}".strip()}
        if binding_id is not None:
            result["binding_id"] = binding_id
        return result

    # -- upserts -------------------------------------------------------------

    def upsert(self, customer: Customer) -> Result:
        try:
            card = vcards.card(customer, pushed=True)
            text = card.serialize()
        except Exception as error:  # noqa: BLE001 - this customer only
            return {
                "partner_id": customer.get("partner_id"),
                "error": f"cannot make the vCard: {type(error).__name__}: {error}",
            }
        href = self._href(customer)
        etag = (customer.get("binding") or {}).get("etag")
        condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        status, headers, answer = self._put(href, text, condition)
        if status == 412:
            return self._settle(customer, href, card)
        return self._pushed(customer, href, status, headers, answer)

    def _settle(self, customer: Customer, href: str, card: vcards.VCard) -> Result:
        """The card at ``href`` is not the one the sync last wrote: Odoo's
        goes in unless a field changed there to something else."""
        found = self._get(href)
        if found is None:  # deleted there: written again from Odoo
            status, headers, answer = self._put(href, card, {"If-None-Match": "*"})
        else:
            etag, text = found
            try:
                theirs = vcards.parse(text)
            except ValueError as error:
                return {
                    "partner_id": customer["partner_id"],
                    "error": f"{href}: the card in the address book changed since "
                    f"the last push and is {error}; left as it is",
                }
            conflicts = vcards.conflicts(theirs, card)
            if conflicts:
                return {
                    "partner_id": customer["partner_id"],
                    "error": _conflict_text(href, conflicts),
                }
            merged = vcards.merge(theirs, card)
            status, headers, answer = self._put(
                href, merged, {"If-Match": etag} if etag else {}
            )
        if status == 412:
            return {
                "partner_id": customer["partner_id"],
                "error": f"PUT {href}: the card changed again in the address book "
                "while it was pushed; the next run tries again",
            }
        return self._pushed(customer, href, status, headers, answer)

    def _pushed(
        self,
        customer: Customer,
        href: str,
        status: int,
        headers: Mapping[str, str],
        answer: bytes,
    ) -> Result:
        if status not in DONE:
            return self._refused("PUT", href, customer["partner_id"], status, answer)
        self.streak.accepted()
        etag = headers.get("ETag")
        if not etag:
            found = self._get(href)
            etag = found[0] if found else None
        return {
            "partner_id": customer["partner_id"],
            "external_id": customer["uid"],
            "href": href,
            "etag": etag,
            "content_hash": customer["content_hash"],
        }

    # -- deletes -------------------------------------------------------------

    def delete(self, binding: Binding) -> Result:
        href: str | None = binding.get("href")
        if not href:
            return {"binding_id": binding["binding_id"], "deleted": True}
        status, answer = self._delete(href, binding.get("etag"))
        if status == 412:
            return self._settle_delete(binding, href)
        return self._deleted(binding, href, status, answer)

    def _delete(self, href: str, etag: str | None) -> tuple[int, bytes]:
        status, _headers, answer = self._request(
            "DELETE", href, headers={"If-Match": etag} if etag else {}
        )
        return status, answer

    def _settle_delete(self, binding: Binding, href: str) -> Result:
        """The card at ``href`` is not the one the sync last wrote: deleted
        unless a field changed there since."""
        found = self._get(href)
        if found is None:
            return self._deleted(binding, href, 404, b"")
        etag, text = found
        reason = _why_kept(href, text)
        if reason is None:
            status, answer = self._delete(href, etag)
            if status != 412:
                return self._deleted(binding, href, status, answer)
            reason = (
                f"DELETE {href}: the card changed again in the address book "
                "while it was deleted; the next run tries again"
            )
        return {
            "binding_id": binding["binding_id"],
            "partner_id": partner_of(binding),
            "error": reason,
        }

    def _deleted(
        self, binding: Binding, href: str, status: int, answer: bytes
    ) -> Result:
        if status in (*DONE, 404, 410):
            self.streak.accepted()
            return {"binding_id": binding["binding_id"], "deleted": True}
        return self._refused(
            "DELETE",
            href,
            partner_of(binding),
            status,
            answer,
            binding_id=binding["binding_id"],
        )

    def apply(self, changes: Changes) -> list[Result]:
        results = [self.upsert(customer) for customer in changes["upserts"]]
        results += [self.delete(binding) for binding in changes["deletes"]]
        return results

    def finish(self) -> None:
        self.http.close()

    def probe(self) -> str:
        """For ``crm-sync status``: the URL is an address book these
        credentials may read (PROPFIND); TargetError naming what is wrong."""
        status, _headers, body = self._request(
            "PROPFIND",
            self.base,
            PROPFIND,
            {"Depth": "0", "Content-Type": "application/xml; charset=utf-8"},
        )
        if status != 207:
            raise TargetError(
                f"PROPFIND {self.base}: HTTP {status}: no address book there "
                "(check the url)"
            )
        try:
            tree = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise TargetError(
                f"PROPFIND {self.base}: not a WebDAV answer (check the url)"
            ) from None
        if tree.find(f".//{{DAV:}}resourcetype/{ADDRESS_BOOK}") is None:
            raise TargetError(
                f"PROPFIND {self.base}: a folder, not an address book "
                "(check the url)"
            )
        name = tree.findtext(".//{DAV:}displayname")
        return f"address book {name!r}" if name else "an address book"


def _why_kept(href: str, text: str) -> str | None:
    """Why the card ``text`` must not be deleted (a field changed in the
    address book since the last push), or None."""
    try:
        card = vcards.parse(text)
    except ValueError as error:
        return f"{href}: not deleted: the card in the address book is {error}"
    changed = vcards.changed_since_push(card)
    if not changed:
        return None
    theirs = vcards.values(card)
    shown = ", ".join(
        f"{field} {_short(', '.join(theirs[field])) or '(empty)'!r}"
        for field in changed
    )
    return (
        f"{href}: not deleted: the card was changed in the address book since "
        f"the last push ({shown}); delete it there, or bring the customer back "
        "in Odoo"
    )


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _conflict_text(href: str, conflicts: list[tuple[str, str, str]]) -> str:
    fields = "; ".join(
        f"{field}: address book {_short(theirs) or '(empty)'!r}, "
        f"Odoo {_short(ours) or '(empty)'!r}"
        for field, theirs, ours in conflicts
    )
    return (
        f"{href}: changed in the address book since the last push, left as it "
        f"is: {fields}. Correct the customer in Odoo, or edit or delete the "
        "card there; the next run then pushes it"
    )
