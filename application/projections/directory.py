"""Published bundles, departments and users, as lists for screens and KPIs."""

from __future__ import annotations

import json

from application.projections.base import Change, ReadModel, ViewSession, handles, required
from domain.catalogue.aggregate import Bundle, Catalogue
from domain.users.aggregate import User

BUNDLES, DEPARTMENTS, USERS = "rm_bundles", "rm_departments", "rm_users"


class DirectoryReadModel(ReadModel):
    """Catalogue and Users → rm_bundles, rm_departments, rm_users."""

    name = "directory"
    applications = ("Catalogue", "Users")
    tables = (BUNDLES, DEPARTMENTS, USERS)
    weight = 0.3

    @handles(Catalogue.DepartmentDeclared)
    def on_department_declared(self, change: Change, e: Catalogue.DepartmentDeclared, view: ViewSession) -> None:
        view.put(DEPARTMENTS, {"code": e.code, "name": e.name, "name_en": e.name_en})

    @handles(User.Registered)
    def on_user_registered(self, change: Change, e: User.Registered, view: ViewSession) -> None:
        view.insert(USERS, {"username": e.username, "display_name": e.display_name, "role": str(e.role),
                            "department": e.department, "created_at": e.timestamp})

    @handles(Bundle.Registered)
    def on_bundle_registered(self, change: Change, e: Bundle.Registered, view: ViewSession) -> None:
        view.insert(BUNDLES, {"bundle_id": change.key, "code": e.code, "version": 0,
                              "name": "", "name_en": "", "category": "", "lead_department": None,
                              "items": 0, "definition": "{}", "published_at": None})

    @handles(Bundle.Published)
    def on_bundle_published(self, change: Change, e: Bundle.Published, view: ViewSession) -> None:
        row = required(view.get(BUNDLES, (change.key,)), f"bundle {change.key}")
        d = e.definition
        view.put(BUNDLES, {
            **row, "version": e.version, "name": d["name"], "name_en": d.get("name_en", ""),
            "category": d.get("category", ""), "lead_department": d.get("lead_department"),
            "items": len(d["items"]), "definition": json.dumps(d, ensure_ascii=False, default=str),
            "published_at": e.timestamp,
        })
