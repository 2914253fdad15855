"""Every error of the sync service, in one place.

``ConfigError`` and ``PreflightError`` name the configuration key; the
``Odoo*`` errors come from the Odoo transports; ``SourceError`` and
``TargetError`` stop one source or target as a whole; ``RowError`` rejects
one row of a source; ``Refused`` one event of a webhook.
"""

from __future__ import annotations


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key."""


class PreflightError(ConfigError):
    """Sources or targets that cannot be used; ``problems`` has one line each,
    naming the key (``sources[0].folder: /x does not exist``)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class AlreadyRunning(Exception):
    """Another sync holds the run lock."""


class FolderError(Exception):
    """A folder of the status check cannot be used."""


class OdooError(Exception):
    """Odoo answered with an error, or could not be reached. ``name`` is
    Odoo's exception (``odoo.exceptions.ValidationError``) when Odoo answered
    one, ``message`` its text."""

    def __init__(self, message: str, name: str = "", detail: str | None = None):
        super().__init__(message)
        self.name = name
        self.message = message if detail is None else detail


class OdooUnreachable(OdooError):
    """No answer from Odoo (refused, timed out, 408/429/502/503/504)."""


class OdooRequestTooLarge(OdooError):
    """HTTP 413: the request (``size`` bytes) is larger than Odoo, or a proxy
    in front of it, accepts; sending it again cannot help."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


class SourceError(Exception):
    """A source cannot be read at all (its API refused, an export is broken);
    the message names the source or file."""


class RowError(ValueError):
    """One row of a source cannot be read; it is rejected, the others go in."""


class TargetError(Exception):
    """The target as a whole cannot go on (credentials, URL, no answer)."""


class Refused(Exception):
    """A webhook's receiver refused this one event (a 4xx other than
    401/403/429)."""
