"""A JSON POST per changed customer, signed.

Headers: ``X-Crm-Timestamp`` (Unix seconds), ``X-Crm-Signature`` (hex
HMAC-SHA256 of ``"<timestamp>.<body>"`` with the shared secret) and
``Idempotency-Key``.

The idempotency key names one change event: the same for every retry of
that delivery and for the same change sent again after a run was killed
before Odoo recorded it; new for every later change, so a receiver may drop
a request whose key it has seen. It is ``<uid>:<digest>``, the digest (32 hex)
a SHA-256 of what the key chains from and the new content hash, or
``deleted``. A key chains from the previous delivery's key of that customer
(kept in Odoo as the binding's ``etag``), so a change back to earlier content
is a new key. A delivery with no previous key (the customer's first, or its
first since it came back after a delete) chains from the customer's write
date in Odoo: the same when a killed run's delivery is sent again, new when
the customer is restored (a write); a delete with no previous key chains
from the binding.

Retries follow ``sync_service.http``: a POST with an ``Idempotency-Key`` is
safe to repeat, so 408, 429, 5xx and timeouts are sent again (the same
request: timestamp, signature and key), honouring Retry-After, then fail the
target clearly; so do 401/403 (the secret or the URL is wrong for every
customer) and a redirect. Any other 4xx is that customer's refusal: an error
entry, and the others go on, until the same 404/405/409/410 comes three
times in a row (a wrong URL): the target stops with one error.

``crm-sync status`` sends a signed ``{"event": "ping"}`` (key
``ping:<timestamp>``): a receiver answers it with a 2xx.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import requests

from .. import http
from ..config import TargetConfig
from ..errors import Refused, TargetError
from . import RefusalStreak
from .base import Changes, Result
from .carddav import FATAL_STATUSES, partner_of

__all__ = ["WebhookTarget", "idempotency_key", "sign"]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()


def idempotency_key(
    uid: str | None, previous_key: str | None, first: object, change: str
) -> str:
    """The key of one change event of customer ``uid``: ``change`` is the new
    content hash or ``"deleted"``; ``first`` stands in for a missing
    ``previous_key``."""
    before = previous_key or f"first:{first}"
    digest = hashlib.sha256(f"{before}\n{change}".encode()).hexdigest()[:32]
    return f"{uid}:{digest}"


class WebhookTarget:
    def __init__(
        self, config: TargetConfig, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.config = config
        self.sleep = sleep
        self.http = http.session(config, pause=lambda seconds: self.sleep(seconds))
        self.streak = RefusalStreak(config)

    def _post(self, event: dict[str, Any], key: str) -> int:
        """The receiver's answer to one signed event; Refused for a 4xx about
        this event, TargetError when the receiver as a whole fails."""
        body = json.dumps(event, ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        url = str(self.config.url)
        assert self.config.secret is not None  # a webhook's is required
        try:
            answer = self.http.post(
                url,
                data=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "X-Crm-Timestamp": timestamp,
                    "X-Crm-Signature": sign(
                        self.config.secret.reveal(), timestamp, body
                    ),
                    "Idempotency-Key": key,
                },
            )
        except requests.RequestException as error:
            raise TargetError(f"webhook {url}: {self.http.explain(error)}") from None
        status = answer.status_code
        if 200 <= status < 300:
            self.streak.accepted()
            return status
        if status in FATAL_STATUSES:
            raise TargetError(
                f"webhook {url}: HTTP {status}: the receiver refused the request "
                "(check url and secret)"
            )
        if answer.is_redirect:
            raise TargetError(
                f"webhook {url}: {http.describe(answer)}: set the target's url to "
                "where it points"
            )
        if status in http.NOT_ACTED_ON or status >= 500:
            raise TargetError(f"webhook {url}: {http.describe(answer)}")
        self.streak.refused(status, f"POST {url}: HTTP {status}")
        text = answer.content[:200].decode(errors="replace")
        raise Refused(f"HTTP {status} {text}".strip())

    def apply(self, changes: Changes) -> list[Result]:
        results: list[Result] = []
        for customer in changes["upserts"]:
            binding = customer.get("binding") or {}
            key = idempotency_key(
                customer["uid"],
                binding.get("etag"),
                customer.get("write_date"),
                customer["content_hash"],
            )
            event = {
                "event": "customer.upserted",
                "customer": {k: v for k, v in customer.items() if k != "binding"},
            }
            try:
                self._post(event, key)
            except Refused as refusal:
                results.append(
                    {"partner_id": customer["partner_id"], "error": str(refusal)}
                )
                continue
            results.append(
                {
                    "partner_id": customer["partner_id"],
                    "external_id": customer["uid"],
                    "href": False,
                    # the next change of this customer chains from this key
                    "etag": key,
                    "content_hash": customer["content_hash"],
                }
            )
        for binding in changes["deletes"]:
            uid = binding.get("uid") or binding.get("external_id")
            key = idempotency_key(
                uid, binding.get("etag"), f"binding {binding['binding_id']}", "deleted"
            )
            try:
                self._post({"event": "customer.deleted", "uid": uid}, key)
            except Refused as refusal:
                results.append(
                    {
                        "binding_id": binding["binding_id"],
                        "partner_id": partner_of(binding),
                        "error": str(refusal),
                    }
                )
                continue
            results.append({"binding_id": binding["binding_id"], "deleted": True})
        return results

    def finish(self) -> None:
        self.http.close()

    def probe(self) -> str:
        """For ``crm-sync status``: a signed ping the receiver accepts."""
        try:
            self._post({"event": "ping"}, f"ping:{int(time.time())}")
        except Refused as refusal:
            raise TargetError(
                f"webhook {self.config.url}: a signed ping was refused ({refusal}); "
                'a receiver answers {"event": "ping"} with a 2xx'
            ) from None
        return "a signed ping accepted"
