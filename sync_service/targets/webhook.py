"""A JSON POST per changed customer, signed.

Headers: ``X-Crm-Timestamp`` (Unix seconds), ``X-Crm-Signature`` (hex
HMAC-SHA256 of ``"<timestamp>.<body>"`` with the shared secret) and
``Idempotency-Key`` (the customer's uid and content hash: the same content is
the same delivery). 429 and 5xx answers and timeouts are retried with
exponential backoff, honouring Retry-After, then fail clearly.
"""

import email.utils
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from .carddav import TargetError


def sign(secret, timestamp, body):
    return hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()


def retry_after_seconds(value, default):
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else default


class WebhookTarget:
    def __init__(self, config, sleep=time.sleep):
        self.config = config
        self.sleep = sleep

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
                if error.code != 429 and error.code < 500:
                    raise TargetError(
                        f"webhook {self.config.url}: HTTP {error.code}"
                    ) from None
                last_error = f"HTTP {error.code}"
                backoff = retry_after_seconds(error.headers.get("Retry-After"), backoff)
            except (urllib.error.URLError, TimeoutError) as error:
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
            event = {
                "event": "customer.upserted",
                "customer": {k: v for k, v in customer.items() if k != "binding"},
            }
            self._post(event, f"{customer['uid']}:{customer['content_hash']}")
            results.append(
                {
                    "partner_id": customer["partner_id"],
                    "external_id": customer["uid"],
                    "href": False,
                    "etag": False,
                    "content_hash": customer["content_hash"],
                }
            )
        for binding in changes["deletes"]:
            self._post(
                {
                    "event": "customer.deleted",
                    "uid": binding.get("uid") or binding.get("external_id"),
                },
                f"{binding.get('uid') or binding.get('external_id')}:deleted",
            )
            results.append({"binding_id": binding["binding_id"], "deleted": True})
        return results

    def finish(self):
        pass
