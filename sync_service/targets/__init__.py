"""Targets of customers: each applies a page of changes (upserts, deletes)
and returns the bindings to record in Odoo."""


def open_target(config):
    from .carddav import CardDavTarget  # noqa: PLC0415
    from .files import FileTarget  # noqa: PLC0415
    from .webhook import WebhookTarget  # noqa: PLC0415

    if config.kind == "carddav":
        return CardDavTarget(config)
    if config.kind == "webhook":
        return WebhookTarget(config)
    return FileTarget(config)
