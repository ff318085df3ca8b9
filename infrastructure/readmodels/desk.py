"""SQL of the intake desk over the read models: published bundles, searched and paged."""

from __future__ import annotations

from sqlalchemy import Engine, or_, select

from application.common.page import Page
from infrastructure.readmodels.queries import SqlReadModels
from infrastructure.readmodels.tables import bundles


class SqlDeskReadModels(SqlReadModels):
    """Reads what the intake desk lists (the projected ``rm_bundles`` table)."""

    def __init__(self, engine: Engine):
        super().__init__(engine)

    def bundle_page(self, text: str = "", page: int = 1, per_page: int = 20) -> Page:
        """Published bundles whose code or name (zh or en) contains ``text``, by code."""
        query = select(bundles).where(bundles.c.version > 0)
        if text:  # case-insensitive on every database; % and _ match themselves
            query = query.where(or_(*(column.icontains(text, autoescape=True)
                                      for column in (bundles.c.code, bundles.c.name, bundles.c.name_en))))
        return self._page(query.order_by(bundles.c.code), page, per_page)
