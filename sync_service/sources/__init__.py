"""Sources of invoices: each yields pages of normalised rows with the bookmark
after them (see the addon's ``sync_import_page``)."""

from dataclasses import dataclass, field


@dataclass
class Page:
    rows: list
    bookmark: str
    # called once the page is applied in Odoo (e.g. to move a finished file)
    acknowledge: object = field(default=lambda: None)
    # (done, total) of the file or window being read, for the progress bar
    progress: tuple | None = None


def open_source(config):
    """The source of a source configuration; each kind's module is imported
    only when used."""
    if config.kind in ("csv", "xlsx"):
        from .dropfolder import DropFolderSource  # noqa: PLC0415

        return DropFolderSource(config)
    if config.kind == "morning":
        from .morning import MorningSource  # noqa: PLC0415

        return MorningSource(config)
    if config.kind == "tryton":
        from .tryton import TrytonSource  # noqa: PLC0415

        return TrytonSource(config)
    if config.kind == "uniform":
        from .uniform import UniformSource  # noqa: PLC0415

        return UniformSource(config)
    raise ValueError(f"unknown source kind {config.kind!r}")
