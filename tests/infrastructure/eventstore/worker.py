"""A separate OneThing process for multi-process tests: ``python -m tests.infrastructure.eventstore.worker``.

Modes: ``init`` (create the schema), ``open N`` (open N cases, print their ids),
``submit CASE N`` (submit N materials to one case).
"""

from __future__ import annotations

import json
import sys

from tests.conftest import INTAKE  # also registers freezegun transcodings (harmless here)
from web.services import Settings, build_services


def main(url: str, mode: str, *args: str) -> None:
    services = build_services(Settings(database_url=url, secret_key="worker"))
    if mode == "init":
        print(json.dumps(services.init_schema()))
    elif mode == "open":
        ids = [str(services.cases.intake.open_case(INTAKE, "restaurant-opening", "并发测试公司",
                                            "91110000600037341L", "online").id)
               for _ in range(int(args[0]))]
        print(json.dumps(ids))
    elif mode == "submit":
        for n in range(int(args[1])):
            services.cases.intake.submit_material(INTAKE, args[0], "id-card", f"id-{n}.pdf", "cd" * 32)
        print(json.dumps("ok"))


if __name__ == "__main__":
    main(*sys.argv[1:])
