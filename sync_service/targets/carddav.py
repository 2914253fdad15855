"""A CardDAV address book (phones, Thunderbird): one vCard per customer.

Creates with ``If-None-Match: *``, updates with ``If-Match: <etag>``; a 412
(someone changed the card) re-reads the current ETag and retries once;
archived or merged customers are deleted.

What fails what: a card the server refuses (any other 4xx, e.g. 413 too large,
400/415 a vCard it does not take, or a 412 again after the retry), or a
customer whose vCard cannot be made, is that customer's error entry
(``{"partner_id": ..., "error": ...}``, a sync issue in Odoo) and the others
go on. 401/403 (the credentials or rights of the whole book), no answer, and
5xx or 429 still there after ``max_retries`` retries (exponential backoff,
honouring Retry-After) fail the whole target.
"""

import base64
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from ..odoo import retry_after_seconds
from .vcard import to_vcard

RETRIED_STATUSES = (429, 500, 502, 503, 504)
FATAL_STATUSES = (401, 403)


class TargetError(Exception):
    pass


def partner_of(binding):
    """The partner id in a binding's uid (``crm-<db uuid>-partner-<id>``)."""
    match = re.search(r"-partner-(\d+)$", str(binding.get("uid") or ""))
    return int(match.group(1)) if match else False


class CardDavTarget:
    def __init__(self, config, sleep=time.sleep):
        self.config = config
        self.base = config.url
        self.sleep = sleep

    def _request(self, method, url, body=None, headers=None):
        """(status, headers, body) of the server's answer, after retrying
        5xx/429 and lost connections; TargetError when it never answers."""
        headers = dict(headers or {})
        if self.config.username:
            password = self.config.password.reveal() if self.config.password else ""
            token = f"{self.config.username}:{password}"
            headers["Authorization"] = (
                "Basic " + base64.b64encode(token.encode()).decode()
            )
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        last = None
        for attempt in range(self.config.max_retries + 1):
            backoff = min(2**attempt, 30)
            try:
                with urllib.request.urlopen(
                    request, timeout=self.config.timeout
                ) as answer:
                    return answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as error:
                with error:
                    answer = error.read()
                if error.code in FATAL_STATUSES:
                    raise TargetError(
                        f"{method} {url}: HTTP {error.code}: the address book "
                        "refused the credentials (check username and password)"
                    ) from None
                if error.code not in RETRIED_STATUSES:
                    return error.code, error.headers, answer
                last = f"HTTP {error.code}"
                backoff = min(
                    retry_after_seconds(error.headers.get("Retry-After"), backoff), 300
                )
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                last = str(getattr(error, "reason", error))
            if attempt < self.config.max_retries:
                self.sleep(backoff)
        raise TargetError(
            f"{method} {url}: gave up after {self.config.max_retries + 1} "
            f"attempts ({last})"
        )

    def _href(self, customer):
        binding = customer.get("binding") or {}
        if binding.get("href"):
            return binding["href"]
        return (
            urllib.parse.urlparse(self.base).path
            + urllib.parse.quote(customer["uid"])
            + ".vcf"
        )

    def _url(self, href):
        return urllib.parse.urljoin(self.base, href)

    def _etag(self, href):
        status, headers, _body = self._request("GET", self._url(href))
        return headers.get("ETag") if status == 200 else None

    def upsert(self, customer):
        try:
            body = to_vcard(customer).encode()
        except Exception as error:  # noqa: BLE001 - this customer only
            return {
                "partner_id": customer.get("partner_id"),
                "error": f"cannot make the vCard: {type(error).__name__}: {error}",
            }
        href = self._href(customer)
        binding = customer.get("binding") or {}
        condition = (
            {"If-Match": binding["etag"]}
            if binding.get("etag")
            else {"If-None-Match": "*"}
        )
        headers = {"Content-Type": "text/vcard; charset=utf-8", **condition}
        status, answer_headers, answer = self._request(
            "PUT", self._url(href), body, headers
        )
        if status == 412:
            # changed on the server (or already there): take its version's ETag
            current = self._etag(href)
            retry = {"If-Match": current} if current else {"If-None-Match": "*"}
            headers = {"Content-Type": "text/vcard; charset=utf-8", **retry}
            status, answer_headers, answer = self._request(
                "PUT", self._url(href), body, headers
            )
        if status not in (200, 201, 204):
            return {
                "partner_id": customer["partner_id"],
                "error": f"PUT {href}: HTTP {status} "
                f"{answer[:200].decode(errors='replace')}".strip(),
            }
        etag = answer_headers.get("ETag") or self._etag(href)
        return {
            "partner_id": customer["partner_id"],
            "external_id": customer["uid"],
            "href": href,
            "etag": etag,
            "content_hash": customer["content_hash"],
        }

    def delete(self, binding):
        href = binding.get("href")
        if href:
            headers = {"If-Match": binding["etag"]} if binding.get("etag") else {}
            status, _headers, answer = self._request(
                "DELETE", self._url(href), headers=headers
            )
            if status == 412:
                status, _headers, answer = self._request("DELETE", self._url(href))
            if status not in (200, 204, 404, 410):
                return {
                    "binding_id": binding["binding_id"],
                    "partner_id": partner_of(binding),
                    "error": f"DELETE {href}: HTTP {status} "
                    f"{answer[:200].decode(errors='replace')}".strip(),
                }
        return {"binding_id": binding["binding_id"], "deleted": True}

    def apply(self, changes):
        results = [self.upsert(customer) for customer in changes["upserts"]]
        results += [self.delete(binding) for binding in changes["deletes"]]
        return results

    def finish(self):
        pass
