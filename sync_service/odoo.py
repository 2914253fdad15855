"""Odoo over its external JSON-RPC API, with an API key.

A transport has ``call(model, method, *args, retry_safe=False, **kwargs)`` and
``check()`` (who the service is logged in as); Odoo 19's JSON-2 API can be
added as another class with the same two methods.

Only a failure to get an answer is retried (refused or reset connection,
timeout, HTTP 502/503/504 from a proxy, 429 after its Retry-After), and only
for calls that are safe to repeat. Any other HTTP error (a 4xx: wrong URL,
wrong database, a proxy refusing the request; a 500) is Odoo's answer and
fails at once.
"""

import email.utils
import json
import time
import urllib.error
import urllib.request

RETRIED_STATUSES = (429, 502, 503, 504)


class OdooError(Exception):
    """Odoo answered with an error, or could not be reached."""


class OdooUnreachable(OdooError):
    """No answer from Odoo (refused, timed out, 502/503/504, 429)."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value, default):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
        return max(0.0, parsed.timestamp() - time.time())


class JsonRpcTransport:
    def __init__(self, config, retries=None, backoff=1.0, sleep=time.sleep):
        self.config = config
        self.retries = getattr(config, "max_retries", 3) if retries is None else retries
        self.backoff = backoff
        self.sleep = sleep
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
            error.close()
            if error.code in RETRIED_STATUSES:
                raise OdooUnreachable(
                    f"Odoo at {self.config.url} answered HTTP {error.code}",
                    retry_after=error.headers.get("Retry-After"),
                ) from None
            raise OdooError(
                f"Odoo at {self.config.url} answered HTTP {error.code} "
                f"{error.reason}: check odoo.url"
                + (" and odoo.db" if error.code == 404 else "")
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise OdooUnreachable(
                f"Odoo at {self.config.url} is unreachable: {reason}"
            ) from None
        except ValueError:
            raise OdooError(
                f"Odoo at {self.config.url} did not answer JSON-RPC: check odoo.url"
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
            except OdooUnreachable as error:
                attempt += 1
                if not retry_safe or attempt > self.retries:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                self.sleep(min(retry_after_seconds(error.retry_after, delay), 300))

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

    def check(self):
        """Who the service is in Odoo: {"url", "db", "login", "uid",
        "server_version"}; raises OdooError when it cannot log in."""
        uid = self.login()
        version = self._with_retries(
            lambda: self._post("common", "version", []), retry_safe=True
        )
        return {
            "url": self.config.url,
            "db": self.config.db,
            "login": self.config.login,
            "uid": uid,
            "server_version": (version or {}).get("server_version"),
        }

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
    """The sync API of the crm_relationship addon: the model ``crm.sync.api``,
    the only one the integration user may call."""

    model = "crm.sync.api"

    def __init__(self, transport):
        self.transport = transport
        # the job of each run this client started: every call names both
        self._jobs = {}

    def whoami(self):
        return self.transport.check()

    def sync_start(self, job, kind, dry_run=False):
        started = self.transport.call(self.model, "start_run", job, kind, dry_run)
        self._jobs[started["run_id"]] = job
        return started

    def sync_finish(self, run_id, status, error=False):
        """The run's counts as the server recorded them over all its pages
        (a dict), or None from a server that answers only True."""
        answer = self.transport.call(
            self.model,
            "finish_run",
            self._jobs.get(run_id),
            run_id,
            status,
            error,
            retry_safe=True,
        )
        return answer if isinstance(answer, dict) else None

    def sync_import_page(self, run_id, job, rows, before, after, dry_run=False):
        """A page of invoices with its bookmark (``dry_run``: the run started
        as one; Odoo knows it from the run)."""
        # safe to repeat: Odoo applies a page only from its bookmark_before
        return self.transport.call(
            self.model,
            "import_page",
            job,
            run_id,
            rows,
            before,
            after,
            retry_safe=True,
        )

    def sync_pending_retries(self, job):
        return self.transport.call(self.model, "pending_retries", job, retry_safe=True)

    def sync_push_changes(
        self,
        job,
        run_id,
        after,
        limit,
        full_refresh=False,
        fields=None,
        everyone_if_changed=False,
    ):
        """The page of customers after ``after`` (what the previous page
        answered; False first)."""
        return self.transport.call(
            self.model,
            "push_changes",
            job,
            run_id,
            after,
            limit=limit,
            full_refresh=full_refresh,
            fields=list(fields) if fields is not None else None,
            everyone_if_changed=everyone_if_changed,
            retry_safe=True,
        )

    def sync_push_record(self, job, run_id, results):
        """Record what the target now holds; safe to repeat: Odoo counts each
        customer once per run."""
        return self.transport.call(
            self.model, "push_record", job, run_id, results, retry_safe=True
        )
