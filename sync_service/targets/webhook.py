"""A JSON POST per changed customer, signed.

Headers: ``X-Crm-Timestamp`` (Unix seconds), ``X-Crm-Signature`` (hex
HMAC-SHA256 of ``"<timestamp>.<body>"`` with the shared secret) and
``Idempotency-Key``.

The idempotency key names one change event: the same for every retry of
that delivery, new for every later change, so a receiver may drop a request
whose key it has seen. It is ``<uid>:<digest>``, the digest (32 hex) a
SHA-256 of the previous delivery's key of that customer (kept in Odoo as the
binding's ``etag``) and the new content hash, or ``deleted``. Keys chain: a
change back to earlier content, or a second delete after the customer came
back, is a new key; a run killed after a POST and before Odoo recorded it
sends the same change again with the same key. A customer's first delivery
(no binding yet, or a binding from before this scheme) has no previous key:
the run's id in Odoo stands in for it.

429 and 5xx answers and timeouts are retried with exponential backoff,
honouring Retry-After, then fail the target clearly; so do 401/403 (the
secret or the URL is wrong for every customer). Any other 4xx is that
customer's refusal: an error entry, and the others go on.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid

from ..odoo import retry_after_seconds
from .carddav import FATAL_STATUSES, TargetError, partner_of

__all__ = ["WebhookTarget", "idempotency_key", "retry_after_seconds", "sign"]


class Refused(Exception):
    """The receiver refused this one event (a 4xx other than 401/403/429)."""


def sign(secret, timestamp, body):
    return hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()


def idempotency_key(uid, previous_key, run_id, change):
    """The key of one change event of customer ``uid``: ``change`` is the new
    content hash or ``"deleted"``."""
    before = previous_key or f"run:{run_id}"
    digest = hashlib.sha256(f"{before}\n{change}".encode()).hexdigest()[:32]
    return f"{uid}:{digest}"


class WebhookTarget:
    def __init__(self, config, sleep=time.sleep, run_id=None):
        self.config = config
        self.sleep = sleep
        # until begin() gives the run's id: unique to this target all the same
        self.run_id = uuid.uuid4().hex if run_id is None else run_id

    def begin(self, run_id):
        """Called once the run is open in Odoo: its id makes first keys unique."""
        self.run_id = run_id

    def _post(self, event, key):
        body = json.dumps(event, ensure_ascii=False, sort_keys=True).encode()
        last_error = None
        for attempt in range(self.config.max_retries + 1):
            timestamp = str(int(time.time()))
            request = urllib.request.Request(
                self.config.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "X-Crm-Timestamp": timestamp,
                    "X-Crm-Signature": sign(
                        self.config.secret.reveal(), timestamp, body
                    ),
                    "Idempotency-Key": key,
                },
            )
            backoff = min(2**attempt, 60)
            try:
                with urllib.request.urlopen(
                    request, timeout=self.config.timeout
                ) as answer:
                    return answer.status
            except urllib.error.HTTPError as error:
                with error:
                    answer = error.read()
                if error.code in FATAL_STATUSES:
                    raise TargetError(
                        f"webhook {self.config.url}: HTTP {error.code}: the receiver "
                        "refused the request (check url and secret)"
                    ) from None
                if error.code not in (408, 429) and error.code < 500:
                    text = answer[:200].decode(errors="replace")
                    raise Refused(f"HTTP {error.code} {text}".strip()) from None
                last_error = f"HTTP {error.code}"
                backoff = min(
                    retry_after_seconds(error.headers.get("Retry-After"), backoff), 300
                )
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                last_error = str(getattr(error, "reason", error))
            if attempt < self.config.max_retries:
                self.sleep(backoff)
        raise TargetError(
            f"webhook {self.config.url}: gave up after {self.config.max_retries + 1} "
            f"attempts ({last_error})"
        )

    def apply(self, changes):
        results = []
        for customer in changes["upserts"]:
            binding = customer.get("binding") or {}
            key = idempotency_key(
                customer["uid"],
                binding.get("etag"),
                self.run_id,
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
            key = idempotency_key(uid, binding.get("etag"), self.run_id, "deleted")
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

    def finish(self):
        pass
