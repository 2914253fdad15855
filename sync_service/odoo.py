"""Odoo over its external JSON-RPC API, with an API key.

One transport class: Odoo 19's JSON-2 API can be added as another class with
the same ``call``.
"""

import json
import time
import urllib.error
import urllib.request


class OdooError(Exception):
    """Odoo answered with an error, or could not be reached."""


class OdooUnreachable(OdooError):
    """No answer from Odoo (refused, timed out, 5xx)."""


class JsonRpcTransport:
    def __init__(self, config, retries=3, backoff=1.0):
        self.config = config
        self.retries = retries
        self.backoff = backoff
        self.uid = None
        self._next_id = 0

    def _post(self, service, method, args):
        self._next_id += 1
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": args},
                "id": self._next_id,
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.config.url}/jsonrpc",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as answer:
                payload = json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise OdooUnreachable(
                f"Odoo at {self.config.url} answered HTTP {error.code}"
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise OdooUnreachable(
                f"Odoo at {self.config.url} is unreachable: {reason}"
            ) from None
        if payload.get("error"):
            data = payload["error"].get("data") or {}
            raise OdooError(
                f"{data.get('name', 'Odoo error')}: "
                f"{data.get('message') or payload['error'].get('message')}"
            )
        return payload.get("result")

    def _with_retries(self, function, retry_safe):
        attempt = 0
        while True:
            try:
                return function()
            except OdooUnreachable:
                attempt += 1
                if not retry_safe or attempt > self.retries:
                    raise
                time.sleep(self.backoff * 2 ** (attempt - 1))

    def login(self):
        uid = self._with_retries(
            lambda: self._post(
                "common",
                "authenticate",
                [
                    self.config.db,
                    self.config.login,
                    self.config.api_key.reveal(),
                    {},
                ],
            ),
            retry_safe=True,
        )
        if not uid:
            raise OdooError(
                f"Odoo refused the login {self.config.login!r} with this API key "
                f"on database {self.config.db!r}"
            )
        self.uid = uid
        return uid

    def call(self, model, method, *args, retry_safe=False, **kwargs):
        """``model.method(*args, **kwargs)``; repeated on a lost connection
        only when the call is safe to repeat."""
        if self.uid is None:
            self.login()
        return self._with_retries(
            lambda: self._post(
                "object",
                "execute_kw",
                [
                    self.config.db,
                    self.uid,
                    self.config.api_key.reveal(),
                    model,
                    method,
                    list(args),
                    kwargs,
                ],
            ),
            retry_safe=retry_safe,
        )


class OdooClient:
    """The sync methods of the crm_relationship addon."""

    def __init__(self, transport):
        self.transport = transport

    def sync_start(self, job, kind, dry_run=False):
        return self.transport.call("crm.sync.run", "sync_start", job, kind, dry_run)

    def sync_finish(self, run_id, status, error=False):
        return self.transport.call(
            "crm.sync.run", "sync_finish", run_id, status, error, retry_safe=True
        )

    def sync_import_page(self, run_id, job, rows, before, after, dry_run=False):
        # safe to repeat: Odoo applies a page only from its bookmark_before
        return self.transport.call(
            "crm.external.invoice",
            "sync_import_page",
            run_id,
            job,
            rows,
            before,
            after,
            dry_run,
            retry_safe=True,
        )

    def sync_pending_retries(self, job):
        return self.transport.call(
            "crm.sync.issue", "sync_pending_retries", job, retry_safe=True
        )

    def sync_push_changes(self, job, limit, full_refresh=False):
        return self.transport.call(
            "res.partner",
            "sync_push_changes",
            job,
            limit=limit,
            full_refresh=full_refresh,
            retry_safe=True,
        )

    def sync_push_record(self, job, results):
        return self.transport.call(
            "res.partner", "sync_push_record", job, results, retry_safe=True
        )
