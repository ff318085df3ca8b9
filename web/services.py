"""The composition root: builds OneThing's applications from configuration.

Only this module (with ``create_app`` and the CLI) knows all four layers.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application
from sqlalchemy.engine import make_url

from application.applicants.accounts import Accounts
from application.audit.service import AuditPorts, AuditService
from application.cases.application import CaseApplication
from application.cases.desk import DeskQueries
from application.cases.queries import Queries
from application.cases.queue import QueueQueries
from application.catalogue.application import CatalogueApplication
from application.catalogue.roadmaps import Roadmaps
from application.common.clock import Clock, SystemClock
from application.common.consistency import Consistency
from application.common.errors import BundleNotFound
from application.materials.files import DEFAULT_MAX_UPLOAD_MB, FileRef, FileStore
from application.licences.service import Licences
from application.materials.service import Materials
from application.notifications.application import NotificationsApplication
from application.notifications.notifier import DEFAULT_MAX_AGE, Notifier
from application.notifications.ports import Sender, SmsGateway, contacts_from
from application.notifications.queries import NotificationQueries
from application.petitions.application import PetitionApplication
from application.petitions.queries import PetitionQueries
from application.projections.audit import AuditReadModel
from application.projections.cases import CaseReadModel
from application.projections.directory import DirectoryReadModel
from application.projections.notifications import DeliveryReadModel, NotificationReadModel
from application.projections.petitions import PetitionReadModel
from application.projections.vault import VaultReadModel
from application.supervision.queries import SupervisionQueries
from application.supervision.sla import SlaService
from application.cases.online_reads import OnlineQueries
from infrastructure.readmodels.online import SqlOnlineReadModels
from application.users.application import UsersApplication
from application.users.identity import LocalAccounts, load_provider
from application.users.sign_in import SignIns
from application.users.tokens import TokenService
from application.users.totp import TwoFactor
from domain.case.aggregate import Case
from domain.notification.aggregate import DeliveryChannel
from domain.shared.values import Actor, Role
from infrastructure.accounts.passwords import Argon2Hasher, is_common_password
from infrastructure.accounts.sessions import TABLES as SESSION_TABLES
from infrastructure.accounts.sessions import FailureCounter, SessionStore
from infrastructure.audit.log import AuditLog
from infrastructure.audit.report import render_audit_pdf
from infrastructure.audit.verify import ChainVerifier
from infrastructure.calendar.workdays import WorkingCalendar
from infrastructure.eventstore.idempotency import IdempotencyStore
from infrastructure.eventstore.persistence import (
    DEFAULT_SQLITE_PATH,
    application_env,
    database_url,
    init_schema,
    shared_datastore,
)
from infrastructure.eventstore.recorders import FastApplicationRecorder, engine_of, sql_recorder
from infrastructure.files import file_store_from_url
from infrastructure.common.keys import SigningKey
from infrastructure.licences.document import render_licence_pdf
from infrastructure.licences.signing import LicenceKey
from infrastructure.mail.smtp import SmtpSender
from infrastructure.readmodels.desk import SqlDeskReadModels
from infrastructure.readmodels.notifications import SqlNotificationReads
from infrastructure.readmodels.petitions import SqlPetitionReadModels
from infrastructure.readmodels.queries import SqlReadModels
from infrastructure.readmodels.queue import SqlReadQueue
from infrastructure.readmodels.runner import DEFAULT_PROCESSES, ReadModelRunner
from infrastructure.readmodels.supervision import SqlSupervisionReadModels
from infrastructure.readmodels.vault import SqlVaultReads
from infrastructure.rules.zen_rules import ZenRules

# Every event store, and whether it keeps snapshots.
EVENT_STORES = {"Catalogue": False, "Users": False, "Cases": True, "Petitions": False, "Notifications": False}


@dataclass(frozen=True)
class Settings:
    """Configuration, read once from ``ONETHING_*`` environment variables."""

    database_url: str
    secret_key: str
    timezone: str = "Asia/Shanghai"
    calendar_overrides: str = ""
    token_hours: float = 12.0
    raise_after_days: int = 3
    sla_interval: float = 300.0
    proxy_hops: int = 0  # ONETHING_PROXY_HOPS: trusted proxies in front; client addresses come from X-Forwarded-For
    redis_url: str = ""  # ONETHING_REDIS_URL: rate limits counted in this Redis, shared by every process; empty: memory
    audit_key: str = "instance/audit-key.pem"
    licence_key: str = "instance/licence-key.pem"  # ONETHING_LICENCE_KEY: signs e-licences (电子证照)
    jurisdiction_code: str = "000000"  # ONETHING_JURISDICTION_CODE: the issuing area's division code; 000000: unset
    checkpoint_events: int = 1_000
    checkpoint_minutes: float = 60.0
    audit_interval: float = 10.0
    environment: str = "development"  # ONETHING_ENV: "production" hardens the defaults (see README)
    session_idle_minutes: float = 30.0
    secret_key_file: str = "instance/secret-key"  # development only: the key made once when none is set
    cipher_key: str = ""  # base64 AES key for stored event state; empty: stored in clear
    cipher_old_keys: str = ""  # comma-separated earlier keys, still read after a rotation
    secure_cookies: bool = False  # ONETHING_SECURE_COOKIES: session cookies over HTTPS only (always in production)
    files_url: str = ""  # ONETHING_FILES_URL: empty for instance/files, a folder, or s3://bucket/prefix
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB  # ONETHING_MAX_UPLOAD_MB
    identity_provider: str = ""  # ONETHING_IDENTITY_PROVIDER: module:factory; empty: OneThing's own accounts
    smtp_url: str = ""  # ONETHING_SMTP_URL: smtp://[user:password@]host:port[?starttls=true], smtps://…; empty: no mail
    mail_from: str = ""  # ONETHING_MAIL_FROM: the notifications' sender address
    notify_interval: float = 60.0  # ONETHING_NOTIFY_INTERVAL: seconds between notifier passes in `onething run`; 0: off
    notify_max_age_days: float = DEFAULT_MAX_AGE.days  # ONETHING_NOTIFY_MAX_AGE_DAYS: older notifications: inbox only
    read_database_url: str = ""  # ONETHING_READ_DATABASE_URL: a read replica for lists, queues and boards; empty: none
    projection_processes: int = DEFAULT_PROCESSES  # ONETHING_PROJECTION_PROCESSES: processes a long catch-up may use
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        """Whether this is a production start (``ONETHING_ENV=production``)."""
        return self.environment == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from the environment (defaults suit one machine)."""
        environ = os.environ if environ is None else environ
        return cls(
            database_url=database_url(dict(environ)),
            secret_key=environ.get("ONETHING_SECRET_KEY", ""),
            timezone=environ.get("ONETHING_TIMEZONE", "Asia/Shanghai"),
            calendar_overrides=environ.get("ONETHING_CALENDAR_OVERRIDES", ""),
            token_hours=float(environ.get("ONETHING_TOKEN_HOURS", "12")),
            raise_after_days=int(environ.get("ONETHING_ESCALATION_RAISE_DAYS", "3")),
            sla_interval=float(environ.get("ONETHING_SLA_INTERVAL", "300")),
            proxy_hops=int(environ.get("ONETHING_PROXY_HOPS", "0")),
            redis_url=environ.get("ONETHING_REDIS_URL", "").strip(),
            audit_key=environ.get("ONETHING_AUDIT_KEY", "instance/audit-key.pem"),
            licence_key=environ.get("ONETHING_LICENCE_KEY", "instance/licence-key.pem"),
            jurisdiction_code=environ.get("ONETHING_JURISDICTION_CODE", "000000"),
            checkpoint_events=int(environ.get("ONETHING_CHECKPOINT_EVENTS", "1000")),
            checkpoint_minutes=float(environ.get("ONETHING_CHECKPOINT_MINUTES", "60")),
            audit_interval=float(environ.get("ONETHING_AUDIT_INTERVAL", "10")),
            environment=environ.get("ONETHING_ENV", "development").strip().lower() or "development",
            session_idle_minutes=float(environ.get("ONETHING_SESSION_IDLE_MINUTES", "30")),
            secret_key_file=environ.get("ONETHING_SECRET_KEY_FILE", "instance/secret-key"),
            cipher_key=environ.get("ONETHING_CIPHER_KEY", ""),
            cipher_old_keys=environ.get("ONETHING_CIPHER_OLD_KEYS", ""),
            secure_cookies=environ.get("ONETHING_SECURE_COOKIES", "").strip().lower() in ("1", "true", "yes", "on"),
            files_url=environ.get("ONETHING_FILES_URL", ""),
            max_upload_mb=int(environ.get("ONETHING_MAX_UPLOAD_MB", str(DEFAULT_MAX_UPLOAD_MB))),
            identity_provider=environ.get("ONETHING_IDENTITY_PROVIDER", ""),
            smtp_url=environ.get("ONETHING_SMTP_URL", "").strip(),
            mail_from=environ.get("ONETHING_MAIL_FROM", "").strip(),
            notify_interval=float(environ.get("ONETHING_NOTIFY_INTERVAL", "60")),
            notify_max_age_days=float(environ.get("ONETHING_NOTIFY_MAX_AGE_DAYS", str(DEFAULT_MAX_AGE.days))),
            read_database_url=environ.get("ONETHING_READ_DATABASE_URL", "").strip(),
            projection_processes=max(1, int(environ.get("ONETHING_PROJECTION_PROCESSES", str(DEFAULT_PROCESSES)))),
        )


@dataclass
class Services:
    """The applications of one process, wired together."""

    settings: Settings
    clock: Clock
    calendar: WorkingCalendar
    catalogue: CatalogueApplication
    users: UsersApplication
    cases: CaseApplication
    runner: ReadModelRunner
    queries: Queries
    tokens: TokenService
    idempotency: IdempotencyStore
    roadmaps: Roadmaps
    sla: SlaService
    petitions: PetitionApplication
    petition_queries: PetitionQueries
    audit_log: AuditLog
    audit: AuditService
    desk_queries: DeskQueries
    queue_queries: QueueQueries
    supervision_queries: SupervisionQueries
    sessions: SessionStore
    sign_ins: SignIns
    file_store: FileStore
    materials: Materials
    licences: Licences
    online_queries: OnlineQueries
    accounts: Accounts
    two_factor: TwoFactor
    notifications: NotificationsApplication
    notifier: Notifier
    notification_queries: NotificationQueries
    consistency: Consistency

    def keep_audit_log(self) -> None:
        """Append new events to the audit log and sign a checkpoint if one is due (run on a schedule)."""
        self.audit_log.follow()
        self.audit_log.checkpoint()

    def referenced_files(self) -> list[FileRef]:
        """Every stored file an event refers to (what ``files gc`` keeps and ``verify_files`` re-reads)."""
        return list(self.cases.referenced_files())

    def event_recorders(self) -> dict[str, FastApplicationRecorder]:
        """Each event store's recorder, by application name."""
        return recorders_of(self.runner.sources)

    def init_schema(self) -> list[str]:
        """Create every table (the explicit ``onething db init`` step): event stores, then read models."""
        def more_tables() -> None:
            self.runner.create_tables()
            self.idempotency.create_table()
            self.audit_log.create_tables()
            self.sessions.create_table()

        tables = init_schema(self.settings.database_url, EVENT_STORES, then=more_tables)
        return tables + sorted(self.runner.table_names()) + ["api_requests"] + list(SESSION_TABLES)


def build_services(settings: Settings | None = None, clock: Clock | None = None) -> Services:
    """Build the applications on the configured database (tables must exist: see ``init_schema``)."""
    settings = settings or Settings.from_env()
    env = application_env(settings.database_url, cipher_key=settings.cipher_key,
                          cipher_old_keys=settings.cipher_old_keys, production=settings.production)
    clock = clock or SystemClock(settings.timezone)
    engine = ZenRules()
    catalogue = CatalogueApplication(env=env, rules=engine)
    calendar = WorkingCalendar.from_file(settings.calendar_overrides, recorded=catalogue.calendar_overrides)
    sessions = SessionStore(engine_of(shared_datastore(settings.database_url)))
    users = UsersApplication(env=env, hasher=Argon2Hasher(), known_departments=catalogue.departments,
                             is_common_password=is_common_password, sessions=sessions, clock=clock)
    two_factor = TwoFactor(users, clock)
    identity = load_provider(settings.identity_provider, LocalAccounts(users, two_factor), users)
    sign_ins = SignIns(users, FailureCounter(sessions.engine), clock, identity=identity, two_factor=two_factor)
    accounts = Accounts(users, lambda: catalogue.latest_versions().keys())
    cases = CaseApplication(env=env, catalogue=catalogue, clock=clock, is_workday=calendar.is_workday,
                            find_actor=users.find_actor, knows=calendar.knows, rules=engine,
                            enterprise_name=accounts.enterprise_name)
    notifications = NotificationsApplication(env=env)
    petitions = PetitionApplication(env=env, clock=clock, is_workday=calendar.is_workday, knows=calendar.knows,
                                    departments=catalogue.departments,
                                    case_exists=lambda number: Case.create_id(number) in cases.repository,
                                    case_holder=cases.holder_of)
    stores: dict[str, Application[UUID]] = {"Cases": cases, "Catalogue": catalogue, "Users": users,
                                            "Petitions": petitions, "Notifications": notifications}  # by name
    runner = ReadModelRunner(
        engine=engine_of(shared_datastore(settings.database_url)),
        sources=dict(stores),
        projections=[CaseReadModel(calendar.working_days, calendar.after, settings.timezone), AuditReadModel(),
                     DirectoryReadModel(), PetitionReadModel(), VaultReadModel(),
                     NotificationReadModel(bundle_names_of(catalogue)), DeliveryReadModel()],
        processes=settings.projection_processes,
    )
    # Lists, queues and boards may read a replica; what the worker and the write path read stays on the primary.
    reads = engine_of(shared_datastore(settings.read_database_url)) if settings.read_database_url else runner.engine
    runner.positions_engine = reads  # a consistency token waits until the replica, too, has the write
    queries = Queries(SqlReadModels(reads), clock, runner.wait_until, runner.lag, runner.refresh)
    petition_store = SqlPetitionReadModels(runner.engine)
    online_store = SqlOnlineReadModels(runner.engine)
    recorders = recorders_of(stores)
    audit_log = AuditLog(runner.engine, recorders, SigningKey(settings.audit_key),
                         settings.checkpoint_events, settings.checkpoint_minutes)
    key = audit_log.key
    verifier = ChainVerifier(recorders, audit_log,
                             public_key=lambda: key.public_pem() if key.available else None)
    audit = AuditService(cases, AuditPorts(verifier=verifier, follow=audit_log.follow,
                                           checkpoint=lambda force: audit_log.checkpoint(force),
                                           checkpoints=audit_log.checkpoints, case_proof=audit_log.case_proof,
                                           render_pdf=render_audit_pdf))
    file_store = file_store_of(settings)
    primary_queries = Queries(SqlReadModels(runner.engine), clock, runner.wait_until, runner.lag, runner.refresh)
    licences = Licences(cases, primary_queries, LicenceKey(settings.licence_key), render_licence_pdf,  # writes read it
                        settings.jurisdiction_code)
    return Services(
        settings=settings, clock=clock, calendar=calendar, catalogue=catalogue, users=users, cases=cases,
        runner=runner, queries=queries,
        tokens=TokenService(users, clock, timedelta(hours=settings.token_hours), sign_ins=sign_ins),
        idempotency=IdempotencyStore(runner.engine),
        roadmaps=Roadmaps(catalogue, clock, calendar.is_workday, calendar.knows, rules=engine),
        sla=SlaService(cases, primary_queries.store.cases_to_check, clock, calendar.is_workday, runner.catch_up,
                       settings.raise_after_days, petitions=petitions,
                       petition_candidates=petition_store.petitions_to_check,
                       filing_candidates=online_store.filings_waiting),
        petitions=petitions, petition_queries=PetitionQueries(SqlPetitionReadModels(reads), clock, runner.wait_until),
        audit_log=audit_log, audit=audit, desk_queries=DeskQueries(SqlDeskReadModels(reads)),
        queue_queries=QueueQueries(SqlReadQueue(reads), clock, runner.wait_until),
        supervision_queries=SupervisionQueries(SqlSupervisionReadModels(reads), clock, runner.wait_until,
                                               calendar.after),
        sessions=sessions, sign_ins=sign_ins, file_store=file_store,
        materials=Materials(cases, file_store, SqlVaultReads(runner.engine), max_upload_mb=settings.max_upload_mb,
                            licence_pdf=lambda number: licences.pdf(number, public_check_url(number))),
        licences=licences, accounts=accounts,
        two_factor=two_factor,
        online_queries=OnlineQueries(SqlOnlineReadModels(reads), clock, runner.wait_until, calendar.after, calendar.working_days,
                                     answers_of=cases.answers_of),
        notifications=notifications,
        notifier=Notifier(notifications, SqlNotificationReads(runner.engine), clock, runner.catch_up,
                          contacts=contacts_from(accounts), senders=senders_of(settings),
                          max_age=timedelta(days=settings.notify_max_age_days)),
        notification_queries=NotificationQueries(SqlNotificationReads(reads), runner.wait_until),
        consistency=Consistency(runner),
    )


def senders_of(settings: Settings, sms: SmsGateway | None = None) -> dict[DeliveryChannel, Sender]:
    """The channels beside the inbox: e-mail when ``ONETHING_SMTP_URL`` is set; SMS only where a deployment
    binds a gateway here (none is bound: no SMS is queued)."""
    senders: dict[DeliveryChannel, Sender] = {}
    if settings.smtp_url:
        senders[DeliveryChannel.EMAIL] = SmtpSender.from_url(settings.smtp_url, settings.mail_from)
    if sms is not None:
        senders[DeliveryChannel.SMS] = sms
    return senders


def bundle_names_of(catalogue: CatalogueApplication) -> Callable[[str, int], tuple[str, str]]:
    """A published bundle version's names (Chinese, English), for the notifications' texts."""
    def names(code: str, version: int) -> tuple[str, str]:
        try:
            definition, _ = catalogue.definition(code, version)
        except BundleNotFound:  # a bundle the catalogue cannot give: its code still names it
            return code, code
        return definition.name, definition.name_en or definition.name
    return names


def public_check_url(number: str) -> str:
    """The public check page of a certificate, as its e-licence's QR code points to it (the address this
    request came to; the demo address outside a request)."""
    from flask import has_request_context, url_for

    if has_request_context():
        return url_for("ui_public.verify_number", number=number, _external=True)
    return f"http://127.0.0.1:5000/verify/{number}"


def file_store_of(settings: Settings) -> FileStore:
    """The file store ``ONETHING_FILES_URL`` names; by default the folder ``files`` beside a SQLite database
    (``instance/files`` for the default one), or ``instance/files`` beside a PostgreSQL one."""
    url = make_url(settings.database_url)
    beside = Path(url.database).parent if url.get_backend_name() == "sqlite" and url.database and \
        url.database != ":memory:" else DEFAULT_SQLITE_PATH.parent
    return file_store_from_url(settings.files_url, beside)


def command_line_actor() -> Actor:
    """The actor recorded for administrative commands typed at a terminal."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(f"cli:{who}", Role.ADMIN)


def recorders_of(stores: Mapping[str, Application[UUID]]) -> dict[str, FastApplicationRecorder]:
    """The SQL recorder of each event store, by application name."""
    return {name: sql_recorder(app.recorder) for name, app in stores.items()}
