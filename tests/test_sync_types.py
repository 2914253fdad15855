"""Every source and target is what job.py expects of one (the Protocols of
sources/base.py and targets/base.py), and the errors live in one module."""

import pytest

from sync_service import errors
from sync_service.sources.base import Checked, Probed, Source
from sync_service.sources.dropfolder import DropFolderSource
from sync_service.sources.morning import MorningSource
from sync_service.sources.tryton import TrytonSource
from sync_service.sources.uniform import UniformSource
from sync_service.targets.base import Target
from sync_service.targets.carddav import CardDavTarget
from sync_service.targets.files import FileTarget
from sync_service.targets.webhook import WebhookTarget


@pytest.mark.parametrize(
    "source", [DropFolderSource, MorningSource, TrytonSource, UniformSource]
)
def test_every_source_is_a_source(source):
    assert issubclass(source, Source)


def test_the_drop_folder_cuts_its_pages_by_size():
    assert DropFolderSource.cuts_by_size is True
    assert issubclass(DropFolderSource, Checked)


@pytest.mark.parametrize("source", [MorningSource, TrytonSource])
def test_an_api_source_can_be_probed(source):
    assert issubclass(source, Probed)


@pytest.mark.parametrize("target", [CardDavTarget, FileTarget, WebhookTarget])
def test_every_target_is_a_target(target):
    assert issubclass(target, Target)
    assert issubclass(target, Probed)


def test_the_errors_are_in_one_module():
    for name in ("SourceError", "TargetError", "RowError", "OdooError"):
        assert getattr(errors, name).__module__ == "sync_service.errors"
    assert issubclass(errors.PreflightError, errors.ConfigError)
    assert issubclass(errors.OdooUnreachable, errors.OdooError)
