"""Targets of customers: each applies a page of changes (upserts, deletes)
and returns the bindings to record in Odoo (see ``base.Target``)."""

from ..config import TargetConfig
from ..errors import TargetError
from .base import Target

# a wrong URL answers every customer the same way
URL_REFUSALS = frozenset({404, 405, 409, 410})
STOP_AFTER = 3


class RefusalStreak:
    """Stops a target refused ``STOP_AFTER`` times in a row with the same
    404, 405, 409 or 410: a wrong URL, not that many wrong customers. One
    clear error then, instead of a sync issue for every customer."""

    def __init__(self, config: TargetConfig) -> None:
        self.config = config
        self.status: int | None = None
        self.count = 0

    def refused(self, status: int, what: str) -> None:
        """A customer refused with ``status``; ``what`` says how
        (``PUT /book/x.vcf: HTTP 404 Not Found``)."""
        if status not in URL_REFUSALS:
            self.accepted()
            return
        self.count = self.count + 1 if status == self.status else 1
        self.status = status
        if self.count >= STOP_AFTER:
            raise TargetError(
                f"target {self.config.name}: {self.config.url} refused "
                f"{self.count} customers in a row ({what}): the url looks "
                f"wrong; stopped (check the url of target {self.config.name!r})"
            )

    def accepted(self) -> None:
        self.status, self.count = None, 0


def open_target(config: TargetConfig) -> Target:
    from .carddav import CardDavTarget  # noqa: PLC0415
    from .files import FileTarget  # noqa: PLC0415
    from .webhook import WebhookTarget  # noqa: PLC0415

    if config.kind == "carddav":
        return CardDavTarget(config)
    if config.kind == "webhook":
        return WebhookTarget(config)
    return FileTarget(config)
