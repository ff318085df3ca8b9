"""The ``onething`` command line (shared/API.md lists what it promises)."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import Flask
from botocore.exceptions import BotoCoreError, ClientError
from eventsourcing.persistence import PersistenceError
from sqlalchemy.exc import SQLAlchemyError

from application.common.errors import ApplicationError
from application.demo.loader import DEMO_PASSWORD, load_demo
from domain.shared.errors import DomainError
from infrastructure.catalogue.files import BundleFileError, read_bundle_file, sample_catalogue
from infrastructure.eventstore.persistence import describe_url
from infrastructure.files import FileStoreConfigError
from infrastructure.files.verify import FileProblem, verify_files
from infrastructure.common.keys import SigningKey
from web.services import Services, Settings, build_services, command_line_actor

MISSING_SCHEMA_HINTS = ("no such table", "does not exist", "undefinedtable")


def fails_clearly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected errors into one clear line on stderr and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ApplicationError, DomainError, BundleFileError) as error:
            _fail(str(error), getattr(error, "fields", None))
        except (OSError, RuntimeError, FileStoreConfigError) as error:  # files (bundle, key, export), no renderer
            _fail(str(error))
        except (BotoCoreError, ClientError) as error:  # the S3 file store
            _fail(f"file store error: {error}")
        except (PersistenceError, SQLAlchemyError) as error:
            text = str(error).lower()
            if any(hint in text for hint in MISSING_SCHEMA_HINTS):
                _fail("the database has no OneThing tables yet: run 'onething db init' first")
            _fail(f"database error: {error}")

    return wrapper


def _fail(message: str, fields: dict[str, list[str]] | None = None) -> None:
    click.echo(f"error: {message}", err=True)
    for name, messages in (fields or {}).items():
        click.echo(f"  {name}: {'; '.join(messages)}", err=True)
    sys.exit(1)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """OneThing: case management for "one-thing" packaged government services."""
    ctx.obj = None


def services() -> Services:
    """Build the applications once per command."""
    context = click.get_current_context()
    if context.obj is None:
        context.obj = build_services()
    return context.obj


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="processes serving requests: 1 is waitress; more are gunicorn's workers")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="threads per process")
@click.option("--projections/--no-projections", default=True, show_default=True,
              help="keep read models current (with --workers above 1: in one extra process); off when "
                   "`onething projections run` does it")
@fails_clearly
def run(host: str, port: int, workers: int, threads: int, projections: bool) -> None:
    """Serve the web UI and API: waitress in one process, or gunicorn with --workers above 1."""
    if workers == 1:
        serve_in_one_process(host, port, threads, projections)
        return
    from web.serving import gunicorn_options, serve_with_gunicorn

    settings = Settings.from_env()
    check_port_free(host, port)
    in_a_child(ready_to_serve)  # this process builds nothing: gunicorn forks its workers from it
    click.echo(f"OneThing on http://{host}:{port}/ ({describe_url(settings.database_url)}), {workers} workers × "
               f"{threads} threads" + (", projections in one more process" if projections else ""))
    serve_with_gunicorn(worker_app, gunicorn_options(host, port, workers, threads, settings.proxy_hops), projections)


def worker_app() -> Flask:
    """The app of one gunicorn worker: the read models are kept by another process (the jobs process or
    `onething projections run`), so a read presenting a consistency token waits for it rather than catching up."""
    from web import create_app

    s = build_services()
    s.runner.projects_here = False
    return create_app({"SERVICES": s})


def serve_in_one_process(host: str, port: int, threads: int, projections: bool) -> None:
    """Serve with waitress; with ``projections``, run the background jobs as threads beside it."""
    from waitress import serve

    from web import create_app
    from web.serving import waitress_options

    s = services()
    s.runner.lag()  # fails clearly before serving if there is no schema
    s.runner.projects_here = projections  # else reads presenting a consistency token wait for the worker
    if projections:
        s.runner.catch_up()
        stop = threading.Event()
        threading.Thread(target=s.runner.run_forever, args=(stop,), daemon=True, name="projections").start()
        every(s.settings.sla_interval, s.sla.tick, stop, "sla tick")
        every(s.settings.audit_interval, s.keep_audit_log, stop, "audit log")
        if s.settings.notify_interval > 0:
            every(s.settings.notify_interval, s.notifier.send_due, stop, "notify")
    app = create_app({"SERVICES": s})
    click.echo(f"OneThing on http://{host}:{port}/ ({describe_url(s.settings.database_url)})")
    serve(app, host=host, port=port, threads=threads, ident="",  # ident "": no Server header names the software
          **waitress_options(s.settings.proxy_hops))


@fails_clearly
def ready_to_serve() -> None:
    """Build everything a worker builds and check the schema, so that a worker that cannot start says why once."""
    from web import create_app

    s = build_services()
    s.runner.lag()
    create_app({"SERVICES": s})


def in_a_child(check: Callable[[], None]) -> None:
    """Run ``check`` in a forked child (it builds no engine, thread or pool here); exit 1 if it fails."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            check()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:  # noqa: BLE001 - the child reports any error and exits
            logging.getLogger("onething").exception("cannot serve")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(1)


def check_port_free(host: str, port: int) -> None:
    """Raise ``OSError`` (address in use, no such address) if nothing could listen on ``host:port``."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"cannot listen on {host}:{port}: {error.strerror}") from error


@main.group()
def db() -> None:
    """Database schema."""


@db.command("init")
@fails_clearly
def db_init() -> None:
    """Create the schema once (before starting many processes on a new database)."""
    tables = services().init_schema()
    click.echo(f"schema ready on {describe_url(services().settings.database_url)}: {', '.join(tables)}")
    logged = services().audit_log.follow()
    if logged:
        click.echo(f"audit log: {logged} events appended")


@main.command()
@fails_clearly
def demo() -> None:
    """Load the sample catalogue, demo users and a dozen demo cases (idempotent)."""
    s = services()
    s.init_schema()
    files = list(sample_catalogue().values())
    with click.progressbar(length=2 + 12, label="demo", file=sys.stderr) as bar:
        report = load_demo(command_line_actor(), s.catalogue, s.users, s.cases, files, materials=s.materials,
                           progress=lambda _: bar.update(1))
    s.runner.catch_up()
    click.echo(f"published: {report.published or 'nothing new'}")
    click.echo(f"users added: {len(report.users)} (password for all: {DEMO_PASSWORD})")
    click.echo(f"cases added: {len(report.cases)}")


@main.group()
def catalogue() -> None:
    """Bundle definitions."""


@catalogue.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@fails_clearly
def catalogue_load(file: str) -> None:
    """Validate and publish the bundle definitions in FILE; nothing is published if any is invalid."""
    report = services().catalogue.publish_file(read_bundle_file(file), command_line_actor())
    for code, version in report.published.items():
        click.echo(f"published {code} version {version}")
    for code in report.unchanged:
        click.echo(f"unchanged {code} (same as its latest version)")
    if report.departments:
        click.echo(f"departments declared: {', '.join(report.departments)}")


@main.group()
def sla() -> None:
    """Working-day deadlines: warnings, breaches, escalations."""


@sla.command("tick")
@fails_clearly
def sla_tick() -> None:
    """Evaluate every deadline now: record the warnings, breaches and escalations that are due."""
    report = services().sla.tick()
    click.echo(f"checked {report.cases_checked} cases and {report.petitions_checked} petitions, "
               f"accepted {report.filings_accepted} unanswered online filings by law, recorded {report.events} events")
    click.echo(services().notifier.send_due().line())  # what the tick recorded (a deemed acceptance) is told now


@main.group()
def notify() -> None:
    """Notifications to applicants: the in-app inbox, e-mail (ONETHING_SMTP_URL), SMS (no gateway bound)."""


@notify.command("send")
@click.option("--loop", is_flag=True, help="keep going, one pass every --interval seconds, until interrupted")
@click.option("--interval", default=60.0, show_default=True, help="seconds between passes with --loop")
@fails_clearly
def notify_send(loop: bool, interval: float) -> None:
    """Queue the deliveries of new notifications and make every attempt that is due (one pass, or --loop)."""
    import signal

    s = services()
    channels = s.notifier.channels()
    missing = ([] if "email" in channels else ["e-mail: ONETHING_SMTP_URL is not set"]) + \
        ([] if "sms" in channels else ["SMS: no gateway bound"])
    click.echo(f"channels: {', '.join(channels)}" + "".join(f"; {m}" for m in missing))
    stop = threading.Event()
    if loop:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    while True:
        report = s.notifier.send_due(progress=_counter("notifying"))
        click.echo("", err=True)
        click.echo(report.line())
        for error in report.errors:
            click.echo(f"  not queued: {error}", err=True)
        if not loop or stop.wait(interval):
            break


@sla.command("whatif")
@click.option("--time-limit-scale", "scale", type=float, required=True,
              help="multiply every item's time limit by this (e.g. 0.5 halves them)")
@fails_clearly
def sla_whatif(scale: float) -> None:
    """Replay recorded histories under another time-limit policy and print what would change; writes nothing."""
    from zoneinfo import ZoneInfo

    s = services()
    s.runner.catch_up()
    zone = ZoneInfo(s.settings.timezone)
    result = s.sla.what_if(scale, s.queries.store.all_case_ids(), lambda moment: moment.astimezone(zone).date())
    click.echo(f"time limits x {scale}: on-time rate and breaches, as recorded -> what if")
    for group, tallies in result.items():
        recorded, what_if = tallies["recorded"], tallies["what_if"]
        click.echo(f"  {group:<45} on time {_pct(recorded.rate())} -> {_pct(what_if.rate())}   "
                   f"breaches {recorded.breaches} -> {what_if.breaches}   ({recorded.decided} decided)")


@main.group()
def credit() -> None:
    """Credit lists (信用名单) read by the rules' credit check."""


@credit.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--reason", default="", help="why these entries are recorded")
@fails_clearly
def credit_load(file: str, reason: str) -> None:
    """Record the entries of FILE, a JSON list of {"credit_code","list","from","to","source"}: all or none."""
    import json
    from datetime import date as _date

    from application.catalogue.application import CreditEntry

    try:
        rows = json.loads(Path(file).read_text(encoding="utf-8"))
        entries = [CreditEntry(str(r["credit_code"]), str(r["list"]), _date.fromisoformat(r["from"]),
                               _date.fromisoformat(r["to"]), str(r.get("source", ""))) for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as error:
        _fail(f"{file}: not a list of {{credit_code, list, from, to, source}} entries ({error})")
    count = services().catalogue.record_credit_entries(command_line_actor(), entries, reason)
    click.echo(f"recorded {count} credit entries")


@main.group()
def rules() -> None:
    """Rules of the bundles (秒批)."""


@rules.command("whatif")
@click.option("--bundle", "code", required=True, help="the bundle whose recorded cases are re-evaluated")
@click.option("--file", "file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="a bundle file holding the new definition of that bundle")
@fails_clearly
def rules_whatif(code: str, file: str) -> None:
    """Re-evaluate the recorded cases of a bundle under the decisions in FILE and print, per item, how many
    applicability, finding and automatic-approval outcomes would change; writes nothing."""
    from application.catalogue.bundle_file import parse_bundle_file

    s = services()
    _, bundles = parse_bundle_file(read_bundle_file(file))
    new = next((b for b in bundles if b.code == code), None)
    if new is None:
        raise click.ClickException(f"{file} holds no bundle {code!r}")
    s.runner.catch_up()
    result = s.cases.rules_what_if(s.queries.store.all_case_ids(), new)
    cases = max((tally.evaluated for tally in result.values()), default=0)
    click.echo(f"{code}: {cases} recorded cases re-evaluated under {file} (nothing written)")
    click.echo(f"  {'item':<40} {'cases':>6} {'applies':>8} {'findings':>9} {'auto-approve':>13} {'failed':>7}")
    for item, tally in result.items():
        click.echo(f"  {item:<40} {tally.evaluated:>6} {tally.applies:>8} {tally.findings:>9} "
                   f"{tally.auto_approve:>13} {tally.failed:>7}")


def _counter(label: str) -> Callable[[int], None]:
    """A progress callback for a pass whose length is not known in advance: a running count on stderr."""
    done = [0]

    def advance(count: int) -> None:
        done[0] += count
        click.echo(f"\r{label}: {done[0]}", nl=False, err=True)
    return advance


def _pct(rate: float | None) -> str:
    return "   -  " if rate is None else f"{rate:6.1%}"


def every(seconds: float, job: Callable[[], Any], stop: threading.Event, name: str) -> None:
    """Run ``job`` now and then every ``seconds`` in a daemon thread until ``stop`` (errors are logged)."""

    def loop() -> None:
        while not stop.is_set():
            try:
                job()
            except Exception:  # noqa: BLE001 - a failed round is logged; the next one tries again
                logging.getLogger("onething").exception("%s failed", name)
            stop.wait(seconds)

    threading.Thread(target=loop, daemon=True, name=name).start()


@main.command()
@click.argument("code")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the day the first items are accepted (default: today)")
@fails_clearly
def roadmap(code: str, start: Any) -> None:
    """Show a bundle's items in prerequisite order with dates, critical path and earliest completion."""
    plan = services().roadmaps.roadmap(code, start.date() if start else None)
    click.echo(f"{plan.bundle} v{plan.version} from {plan.start}: earliest completion {plan.earliest_completion} "
               f"({plan.working_days} working days)" + ("  PROVISIONAL: the calendar does not know every year"
                                                          if plan.provisional else ""))
    click.echo(f"{'':2}{'item':<36}{'department':<18}{'days':>5}  {'start':<11} {'end':<11}")
    for item in plan.items:
        mark = "*" if item.critical else " "
        click.echo(f"{mark} {item.code:<36}{item.department:<18}{item.time_limit_days:>5}  "
                   f"{item.earliest_start!s:<11} {item.earliest_end!s:<11}")
    click.echo(f"critical path (*): {' -> '.join(plan.critical_path)}")


@main.group()
def calendar() -> None:
    """Local working-day overrides (recorded as events)."""


@calendar.command("declare")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--holiday/--workday", "holiday", required=True, help="a day off, or a working day")
@click.option("--reason", required=True, help="the holiday's name or the closure's cause")
@fails_clearly
def calendar_declare(day: Any, holiday: bool, reason: str) -> None:
    """Declare DAY a local holiday or an (adjusted) working day."""
    services().catalogue.declare_calendar_day(command_line_actor(), day.date(), not holiday, reason)
    click.echo(f"{day.date()} declared {'a day off' if holiday else 'a working day'}")


@calendar.command("year")
@click.argument("year", type=int)
@click.option("--reason", required=True, help="e.g. the State Council notice")
@fails_clearly
def calendar_year(year: int, reason: str) -> None:
    """Declare that every holiday and adjusted working day of YEAR is recorded (its deadlines are final)."""
    services().catalogue.declare_calendar_year(command_line_actor(), year, reason)
    click.echo(f"{year} declared complete")


@main.group()
def projections() -> None:
    """Read models (lists, queues, boards, KPIs, audit log)."""


@projections.command("rebuild")
@fails_clearly
def projections_rebuild() -> None:
    """Drop every read model and rebuild it from the event store."""
    runner = services().runner
    runner.reset()
    with click.progressbar(length=runner.total_events(), label="rebuilding", file=sys.stderr) as bar:
        report = runner.catch_up(progress=bar.update)
    click.echo(f"rebuilt: {report.events} events, {report.rows} rows written, "
               f"{report.seconds:.2f} s, {report.rate:,.0f} events/s")


@projections.command("run")
@click.option("--interval", default=0.5, show_default=True, help="seconds between polls")
@click.option("--listen/--no-listen", default=True, show_default=True,
              help="PostgreSQL: also wake at once on new events (LISTEN/NOTIFY); off: only poll "
                   "(e.g. behind PgBouncer's transaction pooling, which does not pass notifications on)")
@fails_clearly
def projections_run(interval: float, listen: bool) -> None:
    """Keep the read models up to date until interrupted (SIGINT/SIGTERM)."""
    import signal

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    sla_interval = services().settings.sla_interval
    postgres = services().runner.engine.dialect.name == "postgresql"
    waking = "waking on new events and " if listen and postgres else ""
    click.echo(f"projections: {waking}polling every {interval} s, deadlines every {sla_interval} s; Ctrl-C to stop")

    def start_jobs() -> None:  # after the first catch-up, which may fork helpers only while no other thread runs
        every(sla_interval, services().sla.tick, stop, "sla tick")
        every(services().settings.audit_interval, services().keep_audit_log, stop, "audit log")
        if services().settings.notify_interval > 0:
            every(services().settings.notify_interval, services().notifier.send_due, stop, "notify")

    services().runner.run_forever(stop, interval, listen=listen, then=start_jobs, log=lambda r: click.echo(
        f"processed {r.events} events ({r.rows} rows) in {r.seconds:.3f} s"))


@projections.command("status")
@fails_clearly
def projections_status() -> None:
    """Show each read model's position and how many events it is behind."""
    for lag in services().runner.lag():
        click.echo(f"{lag.projection:<10} {lag.application:<10} position {lag.position:>8}  behind {lag.behind}")


@main.group()
def petitions() -> None:
    """Petitions (诉求) from enterprises."""


@petitions.command("list")
@click.option("--status", default="", type=click.Choice(["", "submitted", "routed", "answered", "closed"]))
@click.option("--department", default="", help="only petitions this department holds")
@click.option("--overdue", is_flag=True, help="only petitions past their due date, unanswered")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 200))
@fails_clearly
def petitions_list(status: str, department: str, overdue: bool, limit: int) -> None:
    """List petitions, the earliest due first, with counts per status."""
    s = services()
    s.runner.catch_up()
    result = s.petition_queries.petition_list(command_line_actor(), status=status, department=department,
                                              overdue=True if overdue else None, per_page=limit)
    click.echo(f"{'number':<20}{'status':<10}{'department':<14}{'due':<12}{'level':>5}  {'rating':>6}  subject")
    for row in result["items"]:
        late = "!" if row["overdue"] else " "
        click.echo(f"{row['number']:<20}{row['status']:<10}{row['department'] or '-':<14}{late}"
                   f"{row['due'] or '-'!s:<11}{row['level']:>5}  {row['rating'] or '-'!s:>6}  {row['subject']}")
    counts = ", ".join(f"{name} {count}" for name, count in sorted(result["counts"].items()))
    click.echo(f"{len(result['items'])} of {result['total']} shown; {counts or 'none yet'}")


@main.group()
def users() -> None:
    """User accounts."""


def _user_switch(verb: str, doc: str) -> None:
    """Register ``onething users disable|enable USERNAME --reason WHY``."""

    @users.command(verb, help=doc)
    @click.argument("username")
    @click.option("--reason", required=True, help="why (recorded on the event)")
    @fails_clearly
    def switch(username: str, reason: str) -> None:
        getattr(services().users, verb)(command_line_actor(), username, reason)
        click.echo(f"user {username} {verb}d")


_user_switch("disable", "Stop a user from signing in; their API tokens stop working at once.")
_user_switch("enable", "Let a disabled user sign in again (tokens issued before the disable stay invalid).")


@users.command("add")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["intake", "reviewer", "supervisor", "auditor", "admin"]))
@click.option("--department", default=None)
@click.option("--display-name", default="")
@fails_clearly
def users_add(username: str, password: str, role: str, department: str | None, display_name: str) -> None:
    """Create a user."""
    services().users.add_user(command_line_actor(), username, password, role, department, display_name)
    click.echo(f"user {username} added ({role}{', ' + department if department else ''})")


@main.group()
def audit() -> None:
    """The auditor's tools: verify the record, checkpoints, exports, offline bundles."""


@audit.command("keygen")
@fails_clearly
def audit_keygen() -> None:
    """Create the Ed25519 checkpoint key at ONETHING_AUDIT_KEY (kept outside the database; never overwritten)."""
    _keygen(SigningKey(services().settings.audit_key), "checkpoint key")


def _keygen(key: SigningKey, what: str) -> None:
    """Make ``key``'s file unless it exists, and print its key id to publish."""
    if not key.create():
        try:
            click.echo(f"{key.path} exists: keeping it (key id {key.key_id})")
        except ValueError:  # not a key we can read: still never replaced
            click.echo(f"{key.path} exists: keeping it (it holds no Ed25519 private key)")
        return
    click.echo(f"{what} written to {key.path} (key id {key.key_id}); back it up, publish the id")


@audit.command("verify")
@click.option("--case", "case_id", default=None, help="check one case (its id) instead of everything")
@click.option("--files", "with_files", is_flag=True,
              help="also re-read every stored file an event refers to and name each whose bytes changed")
@fails_clearly
def audit_verify(case_id: str | None, with_files: bool) -> None:
    """Check every hash chain, the audit log and the signed checkpoints (and with --files every stored file);
    exit 1 naming what is broken."""
    result = services().audit.verify(None, case_id)
    files_ok = _verify_files(case_id) if with_files else True
    for broken in result["broken"]:
        click.echo(f"BROKEN {broken['application']} {broken['case']} at position {broken['position']}: "
                   f"{broken['problem']}")
    for problem in result["checkpoint_problems"]:
        click.echo(f"BROKEN {problem}")
    summary = (f"{result['events_checked']} events of {result['aggregates_checked']} aggregates "
               f"({result['cases_checked']} cases), {result['checkpoints_checked']} checkpoints")
    if not result["ok"] or not files_ok:
        click.echo(f"FAILED: {summary}")
        raise SystemExit(1)
    click.echo(f"OK: {summary}" + (f"; {result['not_yet_logged']} events not yet logged"
                                   if result["not_yet_logged"] else ""))


def _verify_files(case_id: str | None) -> bool:
    """Re-read each stored file the events refer to (of one case, if given), with a progress bar; print a
    ``CHANGED …``/``MISSING …`` line for each bad one and a summary; whether all were intact."""
    s = services()
    refs = [r for r in s.referenced_files() if case_id is None or r.case_id == str(case_id)]
    checked: dict[str, list[FileProblem]] = {}
    problems: list[FileProblem] = []
    with click.progressbar(refs, label="files", file=sys.stderr, show_pos=True) as bar:
        for ref in bar:
            if ref.sha256 not in checked:
                checked[ref.sha256] = verify_files(s.file_store, [ref])
            problems += [FileProblem(ref, p.problem) for p in checked[ref.sha256]]
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{'FILES BROKEN' if problems else 'FILES OK'}: {len(checked)} files of {len(refs)} material "
               f"versions re-read, {len(problems)} changed or missing")
    return not problems


@audit.command("checkpoint")
@fails_clearly
def audit_checkpoint() -> None:
    """Append new events to the audit log and sign a checkpoint over it now."""
    s = services()
    if not s.audit_log.key.available:
        _fail(f"no checkpoint key at {s.settings.audit_key}: run `onething audit keygen` first")
    signed = s.audit.checkpoint(None)
    if signed is None:
        click.echo(f"nothing new since the last checkpoint (size {s.audit_log.size()})")
    else:
        click.echo(f"checkpoint: size {signed['size']}, root {signed['root']}, key {signed['key_id']}")


@audit.command("export")
@click.option("--case", "case_id", required=True, help="the case id")
@click.option("--format", "fmt", default="json", show_default=True, type=click.Choice(["json", "csv", "pdf"]))
@click.option("--output", "-o", default="-", help="file to write (default: standard output)")
@fails_clearly
def audit_export(case_id: str, fmt: str, output: str) -> None:
    """Write one case's full history (who, when, what in words, why, hashes) and its verify result."""
    body, _ = services().audit.export(None, case_id, fmt)
    if output == "-":
        if fmt == "pdf":
            _fail("a PDF needs --output FILE")
        click.echo(body.decode("utf-8-sig"), nl=False)
    else:  # personal data: readable by its owner only, from the first byte
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT: narrow it
        with os.fdopen(descriptor, "wb") as file:
            file.write(body)
        click.echo(f"wrote {output} ({len(body):,} bytes)", err=True)


@audit.command("bundle")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--files", "with_files", is_flag=True, help="also copy the stored files the events name")
@fails_clearly
def audit_bundle(out: str, with_files: bool) -> None:
    """Write events, the audit log, signed checkpoints, the public key and the verifier into OUT (with --files,
    the stored files too, which the verifier re-hashes)."""
    from infrastructure.audit.bundle import write_bundle

    s = services()
    files = s.referenced_files() if with_files else []
    with click.progressbar(length=max(1, s.runner.total_events()), label="events") as bar:
        counts = write_bundle(out, s.event_recorders(), s.audit_log, progress=lambda n: bar.update(n - bar.pos),
                              files=files, file_store=s.file_store if with_files else None)
    stored = f", {counts['files']:,} stored files" if with_files else ""
    click.echo(f"{out}: {counts['events']:,} events, {counts['log']:,} log entries, "
               f"{counts['checkpoints']} checkpoints{stored}; check it with: python {out}/verifier.py {out}")


@audit.command("proof")
@click.option("--case", "case_id", required=True, help="the case id")
@click.option("--size", type=int, default=None, help="a checkpoint's size (default: the latest)")
@fails_clearly
def audit_proof(case_id: str, size: int | None) -> None:
    """Print inclusion proofs (JSON) that every event of the case is in a signed checkpoint."""
    import json

    click.echo(json.dumps(services().audit.case_proof(None, case_id, size), ensure_ascii=False, indent=2))


@main.group()
def certificates() -> None:
    """E-licences (电子证照): the signing key, and the offline check of a downloaded licence PDF."""


def _licence_key() -> Any:
    from infrastructure.licences.signing import LicenceKey

    return LicenceKey(Settings.from_env().licence_key)  # no database: these commands work offline


@certificates.command("keygen")
@fails_clearly
def certificates_keygen() -> None:
    """Create the Ed25519 e-licence key at ONETHING_LICENCE_KEY (outside the database; never overwritten)."""
    _keygen(_licence_key(), "e-licence key")


@certificates.command("public-key")
@fails_clearly
def certificates_public_key() -> None:
    """Print the e-licence public key (PEM) to publish beside its key id, for offline checks elsewhere."""
    key = _licence_key()
    if not key.available:
        _fail(f"no e-licence key at {key.path}: run `onething certificates keygen` first")
    click.echo(key.public_pem().decode("ascii"), nl=False)


@certificates.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--public-key", "pems", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="the issuer's published public key, PEM (repeatable; default: the key of ONETHING_LICENCE_KEY)")
@fails_clearly
def certificates_verify(file: str, pems: tuple[str, ...]) -> None:
    """Check a downloaded e-licence PDF offline: exit 0 if genuine, 1 naming each problem if not."""
    from infrastructure.licences.signing import public_keys_from_pem
    from infrastructure.licences.verify import verify_licence_pdf

    key = _licence_key()
    if not pems and not key.available:
        _fail(f"no e-licence key at {key.path}: pass the issuer's public key with --public-key PEM")
    try:
        keys = public_keys_from_pem(Path(pem).read_bytes() for pem in pems) if pems else key.verifying_keys()
    except ValueError as error:
        _fail(f"not an Ed25519 key: {error}")
    check = verify_licence_pdf(Path(file).read_bytes(), keys)
    for problem in check.problems:
        click.echo(f"NOT GENUINE: {problem}")
    if not check.genuine:
        raise SystemExit(1)
    meta = check.metadata or {}
    click.echo(f"GENUINE {meta['number']} {meta['licence_name']}: {meta['holder']} ({meta['holder_code']}), "
               f"issued by {meta['issuer']} on {meta['issued_on']}, valid {meta['valid_from']} to "
               f"{meta['valid_to'] or 'long-term'}; signed with key {check.key_id}; "
               f"status when rendered: {check.status}; current status: {check.check_url}")


@main.command("backup")
@click.argument("out", type=click.Path())
@fails_clearly
def backup(out: str) -> None:
    """Back up the database into the new directory OUT, also while the server runs (SQLite, PostgreSQL)."""
    from infrastructure.backup.archive import back_up

    s = services()
    with click.progressbar(length=1, label="backup", file=sys.stderr) as bar:
        manifest = back_up(s.settings.database_url, out, _event_tables(s), progress=_advance(bar),
                           files=s.file_store)
    click.echo(f"{out}: {manifest['database']} backup of {manifest['source']}, {manifest['bytes']:,} bytes; "
               + _described(manifest))
    click.echo(f"stored files from {s.file_store!r}: {manifest['files']['count']:,}, "
               f"{manifest['files']['bytes']:,} bytes")
    click.echo("not in it (keep them safe separately): the audit and e-licence key files and the cipher keys")
    for sha256 in manifest["files"]["damaged"]:
        click.echo(f"DAMAGED stored file {sha256}: its bytes no longer match its SHA-256; left out of the backup")
    if manifest["files"]["damaged"]:
        _fail(f"the backup was written, but {len(manifest['files']['damaged'])} stored files are damaged")


@main.command("restore")
@click.argument("backup_dir", metavar="IN", type=click.Path(exists=True, file_okay=False))
@click.option("--to", "target", default=None,
              help="database URL to restore into (default: ONETHING_DATABASE_URL): a new SQLite file, "
                   "or an empty PostgreSQL database")
@click.option("--force", is_flag=True, help="SQLite: replace an existing file (stop every OneThing process first)")
@fails_clearly
def restore(backup_dir: str, target: str | None, force: bool) -> None:
    """Restore the backup IN, then check it: counts against its manifest, and `audit verify --files`."""
    from dataclasses import replace

    from infrastructure.backup import archive as backups
    from web.services import Settings, file_store_of

    settings = Settings.from_env()
    url = target or settings.database_url
    store = file_store_of(replace(settings, database_url=url))  # by default the folder beside the restored one
    with click.progressbar(length=1, label="restore", file=sys.stderr) as bar:
        manifest = backups.restore(backup_dir, url, force, progress=_advance(bar), files=store)
    restored = build_services(replace(settings, database_url=url))
    restored.init_schema()  # a backup of an earlier release lacks the stores added since (as `db init` makes them)
    click.echo(f"restored the {manifest['database']} backup of {manifest['created']} into {describe_url(url)}")
    put_back = manifest["files_restored"]
    click.echo(f"stored files into {store!r}: {put_back['count']:,}, {put_back['bytes']:,} bytes")
    differences = (backups.differences(manifest, backups.contents(url, _event_tables(restored)))
                   + put_back["differences"])
    for difference in differences:
        click.echo(f"DIFFERS {difference}")
    if not differences:
        click.echo("as in the manifest: " + _described(manifest))
    click.get_current_context().obj = restored  # `audit verify` on the restored database
    click.get_current_context().invoke(audit_verify, case_id=None, with_files=True)
    if differences:
        _fail("the restored database or files differ from the backup's manifest")


def _event_tables(s: Services) -> dict[str, str]:
    return {name: recorder.events_record_cls.__table__.name for name, recorder in s.event_recorders().items()}


def _advance(bar: Any) -> Callable[[int, int], None]:
    """A progress callback ``(done, total)`` for a click progress bar whose total is learnt as it goes."""

    def advance(done: int, total: int) -> None:
        bar.length = max(total, 1)
        bar.update(done - bar.pos)

    return advance


def _described(manifest: dict[str, Any]) -> str:
    events = ", ".join(f"{app} {count:,}" for app, count in manifest["events"].items())
    checkpoint = manifest["latest_checkpoint"]
    signed = (f"checkpoint size {checkpoint['size']:,} root {checkpoint['root'][:16]}…" if checkpoint
              else "no checkpoint")
    return f"events: {events}; audit log {manifest['audit_log_size']:,}; {signed}"


@main.group()
def files() -> None:
    """The stored files (materials) of ONETHING_FILES_URL."""


@files.command("gc")
@click.option("--dry-run", is_flag=True, help="name what would be removed, remove nothing")
@fails_clearly
def files_gc(dry_run: bool) -> None:
    """Remove the stored files that no event refers to and that were stored more than a day ago."""
    from infrastructure.files.gc import collect_garbage

    s = services()
    report = collect_garbage(s.file_store, {ref.sha256 for ref in s.referenced_files()}, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for sha256 in report.removed:
        click.echo(f"{verb} {sha256}")
    click.echo(f"{s.file_store!r}: kept {report.kept:,} ({report.recent:,} of them unreferenced but stored within "
               f"a day), {verb} {len(report.removed):,}, {report.bytes_freed:,} bytes "
               + ("to free" if dry_run else "freed"))


@main.group()
def cipher() -> None:
    """Encryption of stored event state at rest (ONETHING_CIPHER_KEY, ONETHING_CIPHER_OLD_KEYS)."""


@cipher.command("keygen")
def cipher_keygen() -> None:
    """Print a new AES-256 key for ONETHING_CIPHER_KEY (nothing is stored: keep it outside the database)."""
    from infrastructure.eventstore.cipher import new_key

    click.echo(new_key())


@cipher.command("status")
@fails_clearly
def cipher_status() -> None:
    """Count stored rows in clear and per key id, per store; exit 1 if a row's key is not configured."""
    from infrastructure.eventstore.cipher import KeyRingCipher, key_usage, usage_report

    built = services()
    recorders: dict[str, Any] = dict(built.event_recorders())
    if built.cases.snapshots is not None:  # the cases keep snapshots (web.services.EVENT_STORES)
        recorders["Cases snapshots"] = built.cases.snapshots.recorder
    cipher = built.cases.mapper.cipher
    if not isinstance(cipher, KeyRingCipher):  # application_env installs it, with or without a key
        raise TypeError(f"expected the KeyRingCipher, not {cipher!r}")
    lines, unreadable = usage_report(key_usage(recorders), cipher)
    for line in lines:
        click.echo(line)
    if unreadable:
        _fail(f"{unreadable} rows are encrypted with a key that is neither ONETHING_CIPHER_KEY nor in "
              "ONETHING_CIPHER_OLD_KEYS")
