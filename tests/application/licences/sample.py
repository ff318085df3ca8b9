"""One e-licence to sign, render and check in the tests."""

from __future__ import annotations

from datetime import date

from application.licences.metadata import Licence

LICENCE = Licence(
    number="YWB-20250301-0007-1-1", type_code="11100000000000000A", licence_name="营业执照",
    issuer="济南市市场监督管理局", issuer_code="11370100004226036B", holder="泉城小馆餐饮有限公司",
    holder_code="91110000600037341L", issued_on=date(2025, 3, 4), valid_from=date(2025, 3, 4), valid_to=None,
    jurisdiction_code="370100", status="valid",
)
