"""Published bundles, departments and users, as lists for screens and KPIs."""

from __future__ import annotations

import json
from typing import Any

from application.projections.base import Change, ReadModel, ViewSession, required

BUNDLES, DEPARTMENTS, USERS = "rm_bundles", "rm_departments", "rm_users"


class DirectoryReadModel(ReadModel):
    """Catalogue and Users → rm_bundles, rm_departments, rm_users."""

    name = "directory"
    applications = ("Catalogue", "Users")
    tables = (BUNDLES, DEPARTMENTS, USERS)

    def on_DepartmentDeclared(self, change: Change, e: Any, view: ViewSession) -> None:
        view.put(DEPARTMENTS, {"code": e.code, "name": e.name, "name_en": e.name_en})

    def on_Registered(self, change: Change, e: Any, view: ViewSession) -> None:
        if hasattr(e, "username"):  # User.Registered
            view.insert(USERS, {"username": e.username, "display_name": e.display_name, "role": str(e.role),
                             "department": e.department, "created_at": e.timestamp})
        else:  # Bundle.Registered
            view.insert(BUNDLES, {"bundle_id": change.key, "code": e.code, "version": 0,
                               "name": "", "name_en": "", "category": "", "lead_department": None,
                               "items": 0, "definition": "{}", "published_at": None})

    def on_Published(self, change: Change, e: Any, view: ViewSession) -> None:
        row = required(view.get(BUNDLES, (change.key,)), f"bundle {change.originator_id}")
        d = e.definition
        view.put(BUNDLES, {
            **row, "version": e.version, "name": d["name"], "name_en": d.get("name_en", ""),
            "category": d.get("category", ""), "lead_department": d.get("lead_department"),
            "items": len(d["items"]), "definition": json.dumps(d, ensure_ascii=False, default=str),
            "published_at": e.timestamp,
        })
