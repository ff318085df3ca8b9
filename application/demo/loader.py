"""Demo data: the sample catalogue, a user for every role and department, a dozen cases.

Idempotent: users and cases that exist are left alone, an unchanged catalogue is not
republished. Every demo case is driven through the real commands by the demo users.
"""

from __future__ import annotations

import hashlib
from io import BytesIO
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from stdnum.cn import uscc

from application.cases.application import CaseApplication
from application.materials.service import Materials
from application.catalogue.application import CatalogueApplication
from application.users.application import UsersApplication
from domain.case.aggregate import Case
from domain.catalogue.definitions import prerequisite_order
from domain.shared.values import Actor, Role

DEMO_PASSWORD = "onething-demo"
STAFF = {"window1": Role.INTAKE, "window2": Role.INTAKE, "supervisor": Role.SUPERVISOR,
         "auditor": Role.AUDITOR, "admin": Role.ADMIN}


@dataclass
class DemoReport:
    """What one demo run added."""

    published: dict[str, int] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)


def reviewer_name(department: str) -> str:
    """The demo reviewer of ``department``."""
    return f"reviewer-{department}"


def demo_credit_code(serial: int) -> str:
    """A valid (check digit included) unified social credit code for demo applicant ``serial``."""
    base = f"9137010{serial:04d}MA3C{serial % 10}Y"
    return base + uscc.calc_check_digit(base)


def load_demo(
    actor: Actor, catalogue: CatalogueApplication, users: UsersApplication, cases: CaseApplication,
    bundle_files: Iterable[Mapping[str, Any]], progress: Callable[[str], None] = lambda _: None,
    materials: Materials | None = None,
) -> DemoReport:
    """Load the catalogue, users and cases of the demo; skip what is there already. With ``materials``, every
    material is a small PDF uploaded through the file store (a reviewer can open it); without, paper on file."""
    report = DemoReport()
    for data in bundle_files:
        report.published.update(catalogue.publish_file(data, actor).published)
    progress("catalogue")
    wanted = dict(STAFF) | {reviewer_name(d): Role.REVIEWER for d in catalogue.departments()}
    for username, role in wanted.items():
        if not users.exists(username):
            department = username.removeprefix("reviewer-") if role == Role.REVIEWER else None
            users.add_user(actor, username, DEMO_PASSWORD, role, department)
            report.users.append(username)
    progress("users")
    script = DemoScript(cases, users, materials)
    for number, scenario in SCENARIOS:
        if Case.create_id(number) not in cases.repository:
            scenario(script, number)
            report.cases.append(number)
            progress(number)
    return report


def demo_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (ASCII): a stand-in for a scanned material of the demo."""
    safe = "".join(c for c in text if 32 <= ord(c) < 127 and c not in "()\\")
    stream = f"BT /F1 14 Tf 56 760 Td ({safe}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class DemoScript:
    """Drives one demo case through the real commands, as the demo users."""

    def __init__(self, cases: CaseApplication, users: UsersApplication, materials: Materials | None = None):
        self.cases, self.users, self.materials = cases, users, materials
        self.case_id: Any = None

    def who(self, username: str) -> Actor:
        return self.users.user(username).as_actor()

    def reviewer(self, item: str) -> Actor:
        return self.who(reviewer_name(self.case().items[item].department))

    def case(self) -> Case:
        return self.cases.load(self.case_id)

    def open(self, number: str, bundle: str, applicant: str, serial: int, channel: str = "window",
             answers: dict[str, Any] | None = None) -> DemoScript:
        saved = self.cases.intake.open_case(self.who("window1"), bundle, applicant, demo_credit_code(serial),
                                            channel, reason="demo", number=number, answers=answers)
        self.case_id = saved.id
        return self

    def submit(self, skip: Iterable[str] = ()) -> DemoScript:
        case = self.case()
        for key in case.material_defs:
            if key in set(skip):
                continue
            if self.materials is not None:
                scan = demo_pdf(f"OneThing demo - case {case.number} - material {key}")
                self.materials.upload(self.who("window1"), str(self.case_id), key, BytesIO(scan), f"{key}.pdf",
                                      "scanned at the window")
            else:
                digest = hashlib.sha256(f"{self.case_id}:{key}".encode()).hexdigest()
                self.cases.intake.submit_material(self.who("window1"), self.case_id, key, f"{key}.pdf", digest)
        return self

    def excuse(self, keys: list[str]) -> DemoScript:
        due = self.cases.clock.today() + timedelta(days=10)
        self.cases.intake.accept_with_deficiency(self.who("window1"), self.case_id, keys, due, "容缺受理")
        return self

    def accept(self, item: str) -> DemoScript:
        self.cases.review.accept_item(self.reviewer(item), self.case_id, item)
        return self

    def approve(self, item: str, issue: bool = True) -> DemoScript:
        reviewer = self.reviewer(item)
        method = self.case().items[item].inspection
        if method:
            self.cases.review.record_inspection(reviewer, self.case_id, item, method, True, "inspection passed")
        self.cases.review.approve_item(reviewer, self.case_id, item, "materials complete and compliant")
        state = self.case().items[item]
        if issue and state.outputs and not state.certificates:  # outputs issued later than approval
            self.cases.review.issue_certificates(reviewer, self.case_id, item)
        return self

    def finish_all(self) -> DemoScript:
        case = self.case()
        order = [c for c in prerequisite_order(_definition(self.cases, case)) if not case.items[c].decided]
        for item in order:
            if self.case().items[item].decided:  # its rules approved it, or left it out, meanwhile
                continue
            if self.case().items[item].status == "waiting":
                self.accept(item)
            self.approve(item)
        return self


def _definition(cases: CaseApplication, case: Case) -> Any:
    return cases.catalogue.definition(case.bundle, case.bundle_version)[0]


def _restaurant_completed(s: DemoScript, n: str) -> None:
    s.open(n, "restaurant-opening", "济南泉城小馆餐饮有限公司", 1).submit().finish_all()
    s.cases.intake.rate(s.who("window1"), s.case_id, 5, "一次办好，很满意")


def _restaurant_deficiency(s: DemoScript, n: str) -> None:
    s.open(n, "restaurant-opening", "历下区一碗面馆", 2, "online").submit(skip=["floor-plan"])
    s.excuse(["floor-plan"]).accept("business-licence")


def _restaurant_commitment(s: DemoScript, n: str) -> None:
    s.open(n, "restaurant-opening", "高新区轻食餐厅有限公司", 3, "mobile").submit()
    s.accept("business-licence").approve("business-licence").accept("food-permit")
    s.cases.review.approve_on_commitment(s.reviewer("food-permit"), s.case_id, "food-permit",
                                  "本人承诺经营场所符合食品安全要求", "告知承诺")


# Two foreign nationals: a class-A scientist (approved at once on commitment by the points table) and a class B.
TALENT_A = {"salary_cny": 600_000, "degree": "doctor", "experience_years": 12, "work_months_per_year": 12,
            "age": 38, "hsk_level": 4}
TALENT_B = {"salary_cny": 250_000, "degree": "master", "experience_years": 5, "work_months_per_year": 9,
            "age": 31, "hsk_level": 2}


def _talent_supplement(s: DemoScript, n: str) -> None:
    s.open(n, "foreign-talent", "山东智算科技有限公司（外籍专家）", 4, "assisted-agent",
           answers=TALENT_B).submit()
    s.accept("work-permit")
    s.cases.review.request_supplement(s.reviewer("work-permit"), s.case_id, "work-permit",
                               "学历证明需经认证", ["degree-certificate"])


def _talent_completed(s: DemoScript, n: str) -> None:
    s.open(n, "foreign-talent", "齐鲁生物医药研究院（外籍人才）", 5, answers=TALENT_A).submit().finish_all()


def _building_filing(s: DemoScript, n: str) -> None:
    s.open(n, "building-one-certificate", "济南城建置业有限公司", 6).submit()
    for item in ("planning-verification", "fire-acceptance", "civil-defence-acceptance", "archives-acceptance"):
        s.accept(item).approve(item)
    s.accept("completion-filing")


def _permit_on_commitment(s: DemoScript, n: str) -> None:
    s.open(n, "construction-permit-commitment", "章丘先进制造产业园有限公司", 7,
           answers={"risk_level": "low", "floor_area_m2": 1800}).submit().finish_all()


def _conversion_rejected(s: DemoScript, n: str) -> None:
    s.open(n, "individual-to-company", "槐荫区老王五金店", 8).submit().accept("individual-tax-clearance")
    s.cases.review.reject_item(s.reviewer("individual-tax-clearance"), s.case_id, "individual-tax-clearance",
                        "存在未结清税款")


def _conversion_withdrawn(s: DemoScript, n: str) -> None:
    s.open(n, "individual-to-company", "天桥区小李便利店", 9, "postal-agent").submit()
    s.cases.intake.withdraw(s.who("window1"), s.case_id, "申请人决定暂缓转企")


def _restaurant_escalated(s: DemoScript, n: str) -> None:
    s.open(n, "restaurant-opening", "市中区老街烧烤店", 10).submit().accept("business-licence")
    s.cases.supervision.escalate(s.who("supervisor"), s.case_id, "群众来电反映办理进度慢", level=1)


def _land_use_started(s: DemoScript, n: str) -> None:
    s.open(n, "industrial-land-use", "济南新材料产业园项目公司", 11,
           answers={"project_type": "warehouse", "land_area_m2": 3000, "hazardous": False}).submit()
    first = [c for c, i in s.case().items.items() if not i.prerequisites][:4]
    for item in first:
        s.accept(item)
    s.approve(first[0])


def _restaurant_reassigned(s: DemoScript, n: str) -> None:
    s.open(n, "restaurant-opening", "长清区湖畔农家乐", 12).submit()
    supervisor = s.who("supervisor")
    number = s.cases.supervision.escalate(supervisor, s.case_id, "窗口人员调岗", level=2).result
    s.cases.intake.reassign_owner(supervisor, s.case_id, "window2", "首问负责人调岗，改由二号窗口跟进")
    s.cases.supervision.resolve_escalation(supervisor, s.case_id, number, "已重新指定负责人")


SCENARIOS: list[tuple[str, Callable[[DemoScript, str], None]]] = [
    ("DEMO-0001", _restaurant_completed), ("DEMO-0002", _restaurant_deficiency),
    ("DEMO-0003", _restaurant_commitment), ("DEMO-0004", _talent_supplement),
    ("DEMO-0005", _talent_completed), ("DEMO-0006", _building_filing),
    ("DEMO-0007", _permit_on_commitment), ("DEMO-0008", _conversion_rejected),
    ("DEMO-0009", _conversion_withdrawn), ("DEMO-0010", _restaurant_escalated),
    ("DEMO-0011", _land_use_started), ("DEMO-0012", _restaurant_reassigned),
]
