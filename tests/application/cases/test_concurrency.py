"""Optimistic concurrency: conflicts are retried on fresh state, or reported; never lost."""

from __future__ import annotations

import pytest

from application.common import retry
from application.common.errors import VersionConflict
from tests.application.helpers import SHA, event_count, open_restaurant
from tests.conftest import INTAKE, make_services


def test_a_conflicting_write_is_retried_on_fresh_state(services):
    other_process = make_services(services.settings.database_url)
    case_id = open_restaurant(services)
    calls = []

    def submit_while_someone_else_writes(case):
        calls.append(case.version)
        if len(calls) == 1:  # another process writes between our load and our save
            other_process.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "plan.pdf", SHA)
        case.submit_material("id-card", "id.pdf", SHA, INTAKE)

    saved = services.cases.changes.change(case_id, "test", submit_while_someone_else_writes)
    assert calls == [1, 2]  # the second attempt saw the other write
    case = services.cases.load(case_id)
    assert set(case.materials) == {"id-card", "floor-plan"}
    assert saved.version == case.version == 3


def test_an_expected_version_that_is_stale_is_a_conflict_and_writes_nothing(services):
    case_id = open_restaurant(services)
    services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    with pytest.raises(VersionConflict, match="version 2, not 1"):
        services.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "p.pdf", SHA, expected_version=1)
    assert event_count(services, case_id) == 2


def test_a_conflict_during_a_save_with_an_expected_version_is_reported_not_retried(services):
    other_process = make_services(services.settings.database_url)
    case_id = open_restaurant(services)

    def conflicting(case):
        other_process.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "plan.pdf", SHA)
        case.submit_material("id-card", "id.pdf", SHA, INTAKE)

    with pytest.raises(VersionConflict):
        services.cases.changes.change(case_id, "test", conflicting, expected_version=1)
    assert set(services.cases.load(case_id).materials) == {"floor-plan"}


def test_when_every_retry_conflicts_the_command_fails_and_saves_nothing(services):
    other_process = make_services(services.settings.database_url)
    case_id = open_restaurant(services)

    def always_beaten(case):
        other_process.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "plan.pdf", SHA)
        case.submit_material("id-card", "id.pdf", SHA, INTAKE)

    with pytest.raises(VersionConflict, match="nothing was saved"):
        services.cases.changes.change(case_id, "test", always_beaten)
    case = services.cases.load(case_id)
    assert "id-card" not in case.materials
    assert case.version == 1 + retry.MAX_ATTEMPTS
