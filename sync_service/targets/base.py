"""What a target is: it receives pages of changes of customers from Odoo
(``crm.sync.api.push_changes``) and answers, for each, what it now holds
(the bindings ``push_record`` writes back).

``job.push_customers`` uses a target only through ``Target``; a new kind of
target needs these methods and nothing else.
"""

from __future__ import annotations

from typing import Any, Protocol, TypedDict, runtime_checkable

# a customer as Odoo pushes it: ``partner_id``, ``uid`` (the card's UID),
# ``content_hash``, the binding's ``href``/``etag``/``binding_id`` when the
# target had it already, and the pushed fields (``config.PUSHABLE_FIELDS``)
Customer = dict[str, Any]
# a binding to delete: ``binding_id``, ``partner_id``, ``href``, ``etag``
Binding = dict[str, Any]
# what the target holds now of one customer (``partner_id``, ``external_id``,
# ``href``, ``etag``, ``content_hash``), or a deleted binding
# (``binding_id``, ``deleted``), or a refusal (``error``, ``status``)
Result = dict[str, Any]


class Changes(TypedDict):
    """One page of ``crm.sync.api.push_changes``."""

    upserts: list[Customer]
    deletes: list[Binding]
    more: bool
    after: Any
    full_refresh: bool


@runtime_checkable
class Target(Protocol):
    """A target of customers."""

    def apply(self, changes: Changes) -> list[Result]:
        """Apply one page of changes; one result per customer, refusals
        included (a refused customer is a sync issue, not a failure)."""
        ...

    def finish(self) -> None:
        """The run is over: write what is kept until the end (a file),
        close connections."""
        ...
