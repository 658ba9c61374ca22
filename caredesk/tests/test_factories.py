"""Every caredesk model has a factory (tests mirror the code, one factory per model), and every
factory makes a row that passes the model's own checks."""

from __future__ import annotations

import importlib
import inspect
import pathlib

import factory
import pytest
from django.apps import apps
from django.db import models

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Models other helpers are adding in this very session: their factories come with them. The lead
# empties this set; a model listed here that has a factory, or no longer exists, fails the test.
EXPECTED_LATER: set[str] = set()
EXPECTED_LATER_APPS: set[str] = set()


def _factories() -> list[type[factory.django.DjangoModelFactory[models.Model]]]:
    found = []
    for path in sorted(ROOT.rglob("tests/**/factories.py")):
        name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, factory.django.DjangoModelFactory) and value._meta.model:
                found.append(value)
    return sorted(set(found), key=lambda f: f.__qualname__)


def _caredesk_models() -> set[str]:
    return {m._meta.label for m in apps.get_models() if m.__module__.startswith("caredesk.")}


def test_every_model_has_a_factory() -> None:
    covered = {f._meta.model._meta.label for f in _factories()}
    later = {
        label for label in _caredesk_models() if label.split(".")[0] in EXPECTED_LATER_APPS
    } | EXPECTED_LATER
    missing = _caredesk_models() - covered - later
    assert not missing, f"Models without a factory in their app's tests/factories.py: {missing}"
    stale = EXPECTED_LATER & covered | EXPECTED_LATER - _caredesk_models()
    assert not stale, (
        f"Take these out of EXPECTED_LATER (they have a factory, or are gone): {stale}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", _factories(), ids=lambda f: f.__name__)
def test_a_factory_makes_a_valid_row(
    model_factory: type[factory.django.DjangoModelFactory[models.Model]],
) -> None:
    row = model_factory.create()
    row.full_clean()
    assert type(row)._default_manager.filter(pk=row.pk).exists()
