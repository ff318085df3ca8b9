"""Typed case commands: every command class has its handler, and a handler is found by the command's class."""

from __future__ import annotations

import inspect
import typing

from application.cases import commands
from application.cases.application import CaseApplication
from tests.application.helpers import open_restaurant, submit_all
from tests.conftest import AMR


def command_classes() -> list[type]:
    """The commands of ``application.cases.commands`` that are sent (no other command extends them)."""
    classes = [c for _, c in inspect.getmembers(commands, inspect.isclass)
               if issubclass(c, commands.CaseCommand) and c.__module__ == commands.__name__]
    return [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]


def test_every_command_has_a_handler_that_takes_that_command():
    assert set(commands.HANDLERS) == set(command_classes())
    for kind, handler in commands.HANDLERS.items():
        hints = typing.get_type_hints(handler, {**vars(commands), "CaseApplication": CaseApplication})
        assert hints["c"] is kind, f"{handler.__name__} handles {hints['c'].__name__}, not {kind.__name__}"


def test_a_command_built_from_sent_values_runs_its_service_method(services):
    case_id = str(open_restaurant(services))
    submit_all(services, case_id)
    accept = commands.build(commands.AcceptItem, AMR, case_id, None, {"item": "business-licence", "reason": ""})
    saved = commands.handle(services.cases, accept)
    assert services.cases.load(case_id).items["business-licence"].status == "in_review"
    assert saved.version == services.cases.load(case_id).version
