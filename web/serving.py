"""How ``onething run`` serves: waitress in one process, or gunicorn with several.

One process (``--workers 1``) is waitress with ``--threads`` threads; the background jobs (projections,
deadlines, the audit log, the notifier) run as threads beside it. Several (``--workers N``) are gunicorn's
gthread workers, each building its own app after the fork (no database connection crosses a fork); its
master builds nothing, and the background jobs run once, in one ``onething projections run`` process it
starts beside the workers and stops with them. gthread over gunicorn's sync workers: it keeps connections
open (sync closes each after one answer) and served a simple page about twice as fast on the same machine.

Behind proxies (``ONETHING_PROXY_HOPS``) the app's ProxyFix reads ``X-Forwarded-For``; both servers are told
to pass the header on: waitress drops it by default, gunicorn ignores ``X-Forwarded-Proto`` from peers
outside ``forwarded_allow_ips``. Without proxies neither trusts it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

JOBS_COMMAND = ["projections", "run"]  # the process that keeps read models current beside gunicorn's workers


def waitress_options(proxy_hops: int) -> dict[str, Any]:
    """waitress's options for ``proxy_hops`` trusted proxies: behind them it leaves ``X-Forwarded-*`` to the
    app's ProxyFix (by default it drops them from a peer it does not trust, which is every peer)."""
    return {"clear_untrusted_proxy_headers": not proxy_hops}


def gunicorn_options(host: str, port: int, workers: int, threads: int, proxy_hops: int) -> dict[str, Any]:
    """gunicorn's settings for ``onething run --workers N``."""
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers, "worker_class": "gthread", "threads": threads,
        "forwarded_allow_ips": "*" if proxy_hops else "",  # which peers may say the scheme was https
        "proc_name": "onething", "errorlog": "-", "loglevel": "info",
        "control_socket_disable": True,  # gunicorn ≥ 25.1 listens on ~/.gunicorn/gunicorn.ctl: one per user, not ours
    }


def serve_with_gunicorn(build: Callable[[], Flask], options: dict[str, Any], jobs: bool) -> None:
    """Serve the app ``build`` makes in each of gunicorn's workers until a signal stops gunicorn; with ``jobs``,
    keep one ``onething projections run`` going beside them."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    hide_server_banner()
    background = Background(JOBS_COMMAND) if jobs else None

    class OneThingServer(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                if name in self.cfg.settings:  # a setting this gunicorn does not have is one it does not need
                    self.cfg.set(name, value)
            self.cfg.set("post_fork", lambda _arbiter, _worker: forget_inherited_connections())
            if background is not None:
                self.cfg.set("when_ready", lambda _arbiter: background.start())
                self.cfg.set("on_exit", lambda _arbiter: background.stop())

        def load(self) -> Flask:
            return build()  # in the worker, after the fork

    class OneThingArbiter(Arbiter):
        def manage_workers(self) -> None:  # called about once a second by gunicorn's main loop
            super().manage_workers()
            if background is not None:
                background.restart_if_gone()

    OneThingArbiter(OneThingServer()).run()


class Background:
    """One ``onething`` subcommand kept running beside gunicorn's workers (started again if it stops)."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the command: a fresh interpreter, so it shares nothing with the workers."""
        self.process = subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", *self.args])

    def gone(self) -> bool:
        """Whether the command has stopped (gunicorn reaps every child, this one too)."""
        if self.process is None:
            return False
        try:
            pid, _ = os.waitpid(self.process.pid, os.WNOHANG)
        except ChildProcessError:  # reaped already
            return True
        return pid == self.process.pid

    def restart_if_gone(self) -> None:
        """Start the command again if it stopped (it says why on stderr)."""
        if self.gone():
            print(f"onething {' '.join(self.args)} stopped; starting it again", file=sys.stderr, flush=True)
            time.sleep(1)  # not a tight loop if it cannot start at all
            self.start()

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the command: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        process, self.process = self.process, None
        if process is None:
            return
        try:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
        except (ChildProcessError, ProcessLookupError):
            pass


def forget_inherited_connections() -> None:
    """Drop the pooled database connections a forked worker inherited, leaving them open for their owner."""
    from infrastructure.eventstore.persistence import dispose_datastores

    dispose_datastores(close=False)


def hide_server_banner() -> None:
    """Send no ``Server`` header naming the software, as with waitress (gunicorn has no setting for it)."""
    from gunicorn.http import wsgi

    original = wsgi.Response.default_headers
    if getattr(original, "hides_banner", False):
        return

    def default_headers(self: Any) -> list[str]:
        return [line for line in original(self) if not line.lower().startswith("server:")]

    default_headers.hides_banner = True  # type: ignore[attr-defined]
    wsgi.Response.default_headers = default_headers
