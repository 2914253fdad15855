"""A CardDAV address book (phones, Thunderbird): one vCard per customer.

Creates with ``If-None-Match: *``, updates with ``If-Match: <etag>``; a 412
(someone changed the card) re-reads the current ETag and retries once;
archived or merged customers are deleted.
"""

import base64
import time
import urllib.error
import urllib.parse
import urllib.request

from .vcard import to_vcard


class TargetError(Exception):
    pass


class CardDavTarget:
    def __init__(self, config):
        self.config = config
        self.base = config.url

    def _request(self, method, url, body=None, headers=None):
        headers = dict(headers or {})
        if self.config.username:
            password = self.config.password.reveal() if self.config.password else ""
            token = f"{self.config.username}:{password}"
            headers["Authorization"] = (
                "Basic " + base64.b64encode(token.encode()).decode()
            )
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        for attempt in range(self.config.max_retries + 1):
            try:
                with urllib.request.urlopen(
                    request, timeout=self.config.timeout
                ) as answer:
                    return answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as error:
                if (
                    error.code in (429, 500, 502, 503, 504)
                    and attempt < self.config.max_retries
                ):
                    time.sleep(min(2**attempt, 30))
                    continue
                return error.code, error.headers, error.read()
            except (urllib.error.URLError, TimeoutError) as error:
                if attempt < self.config.max_retries:
                    time.sleep(min(2**attempt, 30))
                    continue
                raise TargetError(
                    f"{method} {url}: {getattr(error, 'reason', error)}"
                ) from None
        raise TargetError(f"{method} {url}: no answer")

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
        href = self._href(customer)
        body = to_vcard(customer).encode()
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
            raise TargetError(
                f"PUT {href} for customer {customer['partner_id']}: HTTP {status} "
                f"{answer[:200].decode(errors='replace')}"
            )
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
            status, _headers, _body = self._request(
                "DELETE", self._url(href), headers=headers
            )
            if status == 412:
                status, _headers, _body = self._request("DELETE", self._url(href))
            if status not in (200, 204, 404):
                raise TargetError(f"DELETE {href}: HTTP {status}")
        return {"binding_id": binding["binding_id"], "deleted": True}

    def apply(self, changes):
        results = [self.upsert(customer) for customer in changes["upserts"]]
        results += [self.delete(binding) for binding in changes["deletes"]]
        return results

    def finish(self):
        pass
