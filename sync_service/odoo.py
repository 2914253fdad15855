"""Odoo over its external API, with an API key: JSON-RPC or XML-RPC.

``odoo.protocol`` chooses the transport: ``"jsonrpc"`` (``/jsonrpc``, the
default) or ``"xmlrpc"`` (``/xmlrpc/2/<service>``, the standard library's
``xmlrpc.client`` over the same HTTP session, ``allow_none``). Both have
``call(model, method, *args, retry_safe=False, **kwargs)`` and ``check()``
(who the service is logged in as), and behave the same: the same errors
(``OdooError`` and its subclasses, with Odoo's exception name and message) and
the same retry rules.

Requests go through the service's one HTTP session (``sync_service.http``):
a connection that cannot be made, 408 and 429 are tried again for every call;
500/502/503/504 and a lost answer only for calls that are safe to repeat
(``retry_safe``). Any other HTTP error (a 4xx: wrong URL, wrong database, a
proxy refusing the request) is an answer and fails at once; 413 says that the
request was larger than the server accepts, and how large it was.

Ready for Odoo 19's JSON-2 API: a third transport would subclass
``RpcTransport`` with a ``login()`` that only checks the key (a bearer token,
``Authorization: bearer <api key>``, no uid) and a ``call()`` that posts the
keyword arguments as JSON to ``/json/2/<model>/<method>`` (``ids`` and
``context`` as keys) and maps its HTTP error answers to the same errors. It
cannot be tested against Odoo 18, which has no JSON-2 endpoint, so it is not
written yet.
"""

from __future__ import annotations

import json
import re
import time
import xmlrpc.client
from collections.abc import Callable
from typing import Any, Protocol
from xml.parsers.expat import ExpatError

import requests

from . import http
from .config import OdooConfig
from .errors import OdooError, OdooRequestTooLarge, OdooUnreachable

UNREACHABLE_STATUSES = (408, 429, 502, 503, 504)

# Odoo's XML-RPC fault codes (odoo/addons/base/controllers/rpc.py) and the
# exception each stands for; 1 carries the traceback, whose last line names it
XMLRPC_FAULTS: dict[int, str] = {
    2: "odoo.exceptions.UserError",
    3: "odoo.exceptions.AccessDenied",
    4: "odoo.exceptions.AccessError",
}


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size} bytes"


def _odoo_error(name: str, message: str) -> OdooError:
    return OdooError(f"{name or 'Odoo error'}: {message}", name=name, detail=message)


class Transport(Protocol):
    """What the client needs of a transport to Odoo."""

    def check(self) -> dict[str, Any]: ...

    def call(
        self,
        model: str,
        method: str,
        *args: Any,
        retry_safe: bool = False,
        **kwargs: Any,
    ) -> Any: ...


class RpcTransport:
    """What every transport shares: the session, the HTTP answers, the login
    and the calls; a subclass sends one request (``_send``) in its format."""

    protocol = ""

    def __init__(
        self,
        config: OdooConfig,
        retries: int | None = None,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.sleep = sleep
        retries = getattr(config, "max_retries", 3) if retries is None else retries
        self.session = http.Session(
            config.timeout, retries, backoff=backoff, pause=lambda s: self.sleep(s)
        )
        self.uid: int | None = None
        self._setup()

    def _setup(self) -> None:
        """What a protocol keeps beside the session."""

    def _send(
        self, service: str, method: str, args: list[Any], retry_safe: bool, what: str
    ) -> Any:
        raise NotImplementedError

    def _post(
        self, path: str, body: bytes, content_type: str, retry_safe: bool, what: str
    ) -> requests.Response:
        """POST ``body`` to ``path``; the answer when it is a 200, else the
        error that says what went wrong."""
        url = self.config.url
        try:
            answer = self.session.request(
                "POST",
                f"{url}{path}",
                data=body,
                headers={"Content-Type": content_type},
                retry_safe=retry_safe,
            )
        except requests.RequestException as error:
            raise OdooUnreachable(
                f"Odoo at {url} is unreachable: {self.session.explain(error)}"
            ) from None
        status = answer.status_code
        if status == 413:
            raise OdooRequestTooLarge(
                f"Odoo at {url} refused {what} as too "
                f"large (HTTP 413): the request was {_megabytes(len(body))}, more "
                "than the server (or a proxy in front of it) accepts",
                size=len(body),
            )
        if status in UNREACHABLE_STATUSES:
            raise OdooUnreachable(f"Odoo at {url} answered {http.describe(answer)}")
        if status >= 500:
            raise OdooError(
                f"Odoo at {url} failed with {http.describe(answer)}: see its log"
            )
        if status != 200:
            raise OdooError(
                f"Odoo at {url} answered {http.describe(answer)}: check odoo.url"
                + (" and odoo.db" if status == 404 else "")
            )
        return answer

    def login(self) -> int:
        try:
            uid = self._send(
                "common",
                "authenticate",
                [self.config.db, self.config.login, self.config.api_key.reveal(), {}],
                True,
                "common.authenticate",
            )
        except OdooError as error:
            # Odoo answers a database that is not there with PostgreSQL's error
            if f'database "{self.config.db}" does not exist' in str(error):
                raise OdooError(
                    f"odoo.db: Odoo at {self.config.url} has no database "
                    f"{self.config.db!r}"
                ) from None
            raise
        if not uid:
            raise OdooError(
                f"Odoo refused the login {self.config.login!r} with this API key "
                f"on database {self.config.db!r}"
            )
        self.uid = int(uid)
        return self.uid

    def check(self) -> dict[str, Any]:
        """Who the service is in Odoo: {"url", "db", "login", "uid",
        "server_version"}; raises OdooError when it cannot log in."""
        uid = self.login()
        version = self._send("common", "version", [], True, "common.version")
        return {
            "url": self.config.url,
            "db": self.config.db,
            "login": self.config.login,
            "uid": uid,
            "server_version": (version or {}).get("server_version"),
        }

    def call(
        self,
        model: str,
        method: str,
        *args: Any,
        retry_safe: bool = False,
        **kwargs: Any,
    ) -> Any:
        """``model.method(*args, **kwargs)``; sent again after a lost answer
        or a 5xx only when the call is safe to repeat."""
        if self.uid is None:
            self.login()
        return self._send(
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
            retry_safe,
            _call_name(model, method, args),
        )


class JsonRpcTransport(RpcTransport):
    """Odoo's ``/jsonrpc``."""

    protocol = "jsonrpc"

    def _setup(self) -> None:
        self._next_id = 0

    def _send(
        self, service: str, method: str, args: list[Any], retry_safe: bool, what: str
    ) -> Any:
        self._next_id += 1
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": args},
                "id": self._next_id,
            }
        ).encode()
        answer = self._post("/jsonrpc", body, "application/json", retry_safe, what)
        try:
            payload = answer.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise OdooError(
                f"Odoo at {self.config.url} did not answer JSON-RPC: check odoo.url"
            ) from None
        if payload.get("error"):
            data = payload["error"].get("data") or {}
            raise _odoo_error(
                data.get("name", ""),
                data.get("message") or payload["error"].get("message"),
            )
        return payload.get("result")


class _SessionTransport(xmlrpc.client.Transport):
    """``xmlrpc.client``'s transport over the service's requests session:
    the retry policy, timeouts and HTTP errors of the JSON-RPC transport."""

    def __init__(self, owner: RpcTransport) -> None:
        super().__init__()
        self.owner = owner
        self.retry_safe = False
        self.what = ""

    def request(  # type: ignore[override]
        self, host: Any, handler: str, request_body: bytes, verbose: bool = False
    ) -> tuple[Any, ...]:
        answer = self.owner._post(
            handler, request_body, "text/xml", self.retry_safe, self.what
        )
        parser, unmarshaller = self.getparser()
        try:
            parser.feed(answer.content)
            parser.close()
        except ExpatError:
            raise OdooError(
                f"Odoo at {self.owner.config.url} did not answer XML-RPC: "
                "check odoo.url"
            ) from None
        return unmarshaller.close()


class XmlRpcTransport(RpcTransport):
    """Odoo's ``/xmlrpc/2/<service>`` through ``xmlrpc.client``."""

    protocol = "xmlrpc"

    def _setup(self) -> None:
        self._transport = _SessionTransport(self)

    def _send(
        self, service: str, method: str, args: list[Any], retry_safe: bool, what: str
    ) -> Any:
        # the path only: _post puts odoo.url (with any prefix) in front
        proxy = xmlrpc.client.ServerProxy(
            f"http://odoo/xmlrpc/2/{service}",
            transport=self._transport,
            allow_none=True,
        )
        self._transport.retry_safe, self._transport.what = retry_safe, what
        try:
            return getattr(proxy, method)(*args)
        except xmlrpc.client.Fault as fault:
            raise _fault_error(fault) from None


def _fault_error(fault: xmlrpc.client.Fault) -> OdooError:
    """An XML-RPC fault as the OdooError JSON-RPC gives for the same error."""
    text = str(fault.faultString or "").strip()
    name = XMLRPC_FAULTS.get(fault.faultCode)
    if name is None:
        # a traceback: its last "module.Exception: message" line names it
        lines = text.splitlines()
        for index in range(len(lines) - 1, -1, -1):
            found = re.match(r"^([A-Za-z_][\w.]*): (.*)$", lines[index])
            if found and not lines[index].startswith(" "):
                name = found.group(1)
                text = "\n".join([found.group(2), *lines[index + 1 :]]).strip()
                break
    return _odoo_error(name or "", text)


TRANSPORTS: dict[str, type[RpcTransport]] = {
    "jsonrpc": JsonRpcTransport,
    "xmlrpc": XmlRpcTransport,
}


def transport(config: OdooConfig, **kwargs: Any) -> RpcTransport:
    """The transport ``odoo.protocol`` names."""
    return TRANSPORTS[getattr(config, "protocol", "jsonrpc")](config, **kwargs)


def _call_name(model: str, method: str, args: tuple[Any, ...]) -> str:
    """``model.method`` and, for a page, how many records it carries."""
    records = sum(
        len(arg)
        for arg in args
        if isinstance(arg, list) and arg and isinstance(arg[0], dict)
    )
    return f"{model}.{method}" + (f" with {records} records" if records else "")


class OdooClient:
    """The sync API of the crm_relationship addon: the model ``crm.sync.api``,
    the only one the integration user may call."""

    model = "crm.sync.api"

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        # the job of each run this client started: every call names both
        self._jobs: dict[int, str] = {}

    def whoami(self) -> dict[str, Any]:
        return self.transport.check()

    def sync_start(self, job: str, kind: str, dry_run: bool = False) -> Any:
        started = self.transport.call(self.model, "start_run", job, kind, dry_run)
        self._jobs[started["run_id"]] = job
        return started

    def sync_finish(
        self, run_id: int, status: str, error: str | bool = False
    ) -> dict[str, Any] | None:
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

    def sync_import_page(
        self,
        run_id: int,
        job: str,
        rows: list[dict[str, Any]],
        before: str | bool | None,
        after: str | bool | None,
        dry_run: bool = False,
    ) -> Any:
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

    def sync_pending_retries(self, job: str) -> Any:
        return self.transport.call(self.model, "pending_retries", job, retry_safe=True)

    def sync_push_changes(
        self,
        job: str,
        run_id: int,
        after: Any,
        limit: int,
        full_refresh: bool = False,
        fields: Any = None,
        everyone_if_changed: bool = False,
    ) -> Any:
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

    def sync_push_record(
        self, job: str, run_id: int, results: list[dict[str, Any]]
    ) -> Any:
        """Record what the target now holds; safe to repeat: Odoo counts each
        customer once per run."""
        return self.transport.call(
            self.model, "push_record", job, run_id, results, retry_safe=True
        )
