"""SQL of the applicant's vault: its files (``rm_vault_files``) and the certificates issued to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from infrastructure.readmodels.queries import SqlReader
from infrastructure.readmodels.tables import certificates, departments, vault_files

Row = dict[str, Any]


class SqlVaultReads(SqlReader):
    """``application.materials.service.VaultReads`` over the read-model tables."""

    def vault_files(self, credit_code: str) -> list[Row]:
        """Every file the applicant submitted, the latest used first."""
        query = (select(vault_files.c.key, vault_files.c.name, vault_files.c.filename, vault_files.c.sha256,
                        vault_files.c.size, vault_files.c.media_type, vault_files.c.first_case,
                        vault_files.c.last_used)
                 .where(vault_files.c.credit_code == credit_code)
                 .order_by(vault_files.c.last_used.desc(), vault_files.c.sha256))
        return self._all(query)

    def vault_licences(self, credit_code: str) -> list[Row]:
        """Every certificate released to the applicant (valid or revoked; held ones are not its yet, void ones
        never were), the newest first."""
        c = certificates
        query = (select(c.c.number, c.c.type, c.c.name, c.c.department.label("issuer_code"),
                        departments.c.name.label("issuer"), c.c.issued_on, c.c.valid_from, c.c.valid_to,
                        c.c.status, c.c.case_number)
                 .select_from(c.outerjoin(departments, departments.c.code == c.c.department))
                 .where(c.c.holder_code == credit_code, c.c.status.in_(("valid", "revoked")))
                 .order_by(c.c.issued_at.desc(), c.c.number))
        return [{**row, "issuer": row["issuer"] or row["issuer_code"] or ""} for row in self._all(query)]
