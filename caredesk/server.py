"""Running the desk for real: gunicorn for the web, one Huey consumer, and a supervisor for both.

`caredesk web` is gunicorn alone and `caredesk worker` one consumer alone (for systemd units or
containers, one process each). `caredesk serve` starts both as children and keeps them alive: a
child that dies is restarted after a short pause, and one that keeps dying stops the desk with its
name and reason, rather than leaving half a desk running. Why gunicorn: docs/deploy.md.

Two promises hold even when the supervisor is killed with SIGKILL: no orphan (children ask the
kernel for SIGTERM when their parent dies, and gunicorn's workers leave with their master) and never
a second consumer on the embedded SQLite queue (a consumer holds an exclusive lock on a file in the
data folder for as long as it runs).
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from caredesk import config

DEFAULT_ADDR = "127.0.0.1:8000"
# Numerical libraries start one thread per core in every process unless told otherwise; with several
# web workers and a consumer on one machine that oversubscribes the cores many times over.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")
CONSUMER_LOCK = "huey-consumer.lock"
EXIT_CONSUMER_LOCKED = 75  # EX_TEMPFAIL: another consumer holds the lock; trying later may work
EXIT_WORKER_BOOT = 3  # gunicorn's own code when a worker cannot load the application

# A child that dies is started again after BACKOFF_FIRST_S, doubling up to BACKOFF_MAX_S; the
# MAX_DEATHS-th death within DEATH_WINDOW_S stops the desk.
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0
DEATH_WINDOW_S = 60.0
MAX_DEATHS = 5
POLL_S = 0.2
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def limit_model_threads(cfg: config.Config, env: MutableMapping[str, str] | None = None) -> None:
    """Set the thread counts of BLAS, OpenMP and tokenizers, unless the operator already has.

    Must run before numpy is imported in the process that reads `env` (they read it once, at load).
    """
    target = os.environ if env is None else env
    for name in THREAD_VARS:
        target.setdefault(name, str(cfg.model_threads))


# --- One Huey consumer per SQLite queue -----------------------------------------------------------


class ConsumerLocked(RuntimeError):
    """Another consumer already works on this data folder's SQLite queue."""


@contextmanager
def consumer_lock(cfg: config.Config) -> Iterator[None]:
    """Hold the data folder's consumer lock while the consumer runs (not needed with Redis).

    Two consumers on one SQLite queue would each run the periodic tasks (sweeps, auto-close) and
    contend for the file's write lock. The kernel drops the lock when the process ends, however it
    ends, so a crash never leaves a stale lock behind.
    """
    if cfg.redis_url:
        yield  # Redis hands each task to one consumer; any number may run, on any machine
        return
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    path = cfg.data_dir / CONSUMER_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ConsumerLocked(
                f"another Huey consumer (pid {holder}) already runs for {cfg.data_dir} "
                f"(it holds {path}); the SQLite queue allows one consumer. Stop it, or set "
                "CAREDESK_REDIS_URL to run several."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def run_worker(argv: list[str]) -> int:
    """`caredesk worker [run_huey options]`: one Huey consumer, refusing to be the second."""
    cfg = config.load()
    limit_model_threads(cfg)
    # The consumer's model runs take a whole core for seconds at a time; at a lower priority they
    # yield the CPU to the web workers, so a person waiting on a page is served first.
    os.nice(cfg.worker_nice)
    try:
        with consumer_lock(cfg):
            _django()
            from django.core.management import call_command

            # An idle consumer polls at most a second apart (Huey's default backs off to 10 s), so
            # a sign-up link or a lead alert leaves within a second of being asked for.
            polling = [] if {"-m", "--max-delay"} & set(argv) else ["--max-delay", "1"]
            call_command("run_huey", *polling, *argv)
    except ConsumerLocked as exc:
        print(f"caredesk worker: {exc}", file=sys.stderr, flush=True)
        return EXIT_CONSUMER_LOCKED
    return 0


# --- The web server -------------------------------------------------------------------------------


def gunicorn_options(cfg: config.Config, addr: str, workers: int | None = None) -> dict[str, Any]:
    """Pre-forked workers with a few threads each: Django's ORM is synchronous, and a slow request
    holds one thread, not the server; a worker silent past the timeout is replaced."""
    return {
        "bind": [addr],
        "workers": workers or cfg.web_workers,
        "worker_class": "gthread",
        "threads": cfg.web_threads,
        "timeout": cfg.web_timeout,
        "graceful_timeout": cfg.web_timeout,
        # No keep-alive: a kept connection stays with the process that accepted it, so a few busy
        # clients can pile onto one worker while another idles (bench_load: API writes at 480 ms
        # p50 beside portal writes at 67 ms). Closing after each answer lets every request go to
        # whichever process is free. Behind a proxy, keep-alive to the browser is the proxy's job.
        "keepalive": 0,
        # A gthread worker accepts up to `worker_connections` (1,000 by default) and queues them
        # behind its own threads, so under load one process holds a backlog while another idles.
        # Accepting only what its threads can serve leaves the rest in the kernel's queue, taken
        # by whichever process frees a thread first: one fair queue for the whole server.
        "worker_connections": cfg.web_threads,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "caredesk-web",
        # gunicorn's control socket defaults to one path per user: two desks would share it.
        "control_socket_disable": True,
    }


def run_web(argv: list[str]) -> int:
    """`caredesk web [ADDR] [--workers N]`: gunicorn only, no migration, no consumer."""
    parser = argparse.ArgumentParser(prog="caredesk web", description="Serve the desk (gunicorn).")
    parser.add_argument("addr", nargs="?", default=DEFAULT_ADDR, help="HOST:PORT to listen on")
    parser.add_argument("--workers", type=int, default=None, help="worker processes")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be 1 or more")
    cfg = config.load()
    limit_model_threads(cfg)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caredesk.settings")
    from gunicorn.app.base import BaseApplication

    options = gunicorn_options(cfg, args.addr, args.workers)

    class Web(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from caredesk.wsgi import application

            return application

    Web().run()  # returns only through SystemExit
    return 0


# --- The supervisor -------------------------------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caredesk.settings")
    import django

    django.setup()


def prepare(cfg: config.Config) -> bool:
    """Run the system checks, then migrate; False (with the errors printed) if a check fails."""
    limit_model_threads(cfg)
    _django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        # In production mode the deployment checks run too; their warnings are printed, not fatal.
        call_command("check", deploy=cfg.production, fail_level="ERROR")
    except SystemCheckError as exc:
        print(f"caredesk: refusing to start, a system check failed.\n{exc}", file=sys.stderr)
        return False
    call_command("migrate", interactive=False, verbosity=0)
    return True


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send SIGTERM to the child when the supervisor dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: nothing to allocate in the child
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the supervisor died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    if returncode == EXIT_CONSUMER_LOCKED:
        return "another consumer holds the queue's lock (see its message above)"
    if returncode == EXIT_WORKER_BOOT:
        return "a web worker could not load the application (see the error above)"
    return f"exit status {returncode} (see its log above)"


@dataclass
class Child:
    name: str
    argv: list[str]
    stop_signal: signal.Signals  # the child's graceful stop
    process: subprocess.Popen[bytes] | None = None
    deaths: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


class Supervisor:
    """Start the children, restart one that dies, stop them all on SIGINT or SIGTERM."""

    def __init__(self, children: list[Child], env: dict[str, str], stop_grace_s: float) -> None:
        self.children = children
        self.env = env
        self.stop_grace_s = stop_grace_s
        self.stopping = False

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            child.argv, env=self.env, preexec_fn=_die_with_parent()
        )
        child.restart_at = None

    def _reap(self, child: Child, now: float) -> str | None:
        """If the child has exited, plan its restart; a message if it died too often."""
        if child.process is None or (returncode := child.process.poll()) is None:
            return None
        child.process = None
        reason = describe_exit(returncode)
        child.deaths.append(now)
        while child.deaths and now - child.deaths[0] > DEATH_WINDOW_S:
            child.deaths.popleft()
        if len(child.deaths) >= MAX_DEATHS:
            return (
                f"the {child.name} stopped {len(child.deaths)} times within "
                f"{DEATH_WINDOW_S:.0f} s (last: {reason}); giving up"
            )
        delay = min(BACKOFF_FIRST_S * 2 ** (len(child.deaths) - 1), BACKOFF_MAX_S)
        print(
            f"caredesk: the {child.name} stopped ({reason}); restarting it in {delay:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        child.restart_at = now + delay
        return None

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        for child in self.children:
            self._start(child)
        failure: str | None = None
        while not self.stopping and failure is None:
            now = time.monotonic()
            for child in self.children:
                failure = failure or self._reap(child, now)
                if (
                    child.process is None
                    and child.restart_at is not None
                    and now >= child.restart_at
                ):
                    self._start(child)
            time.sleep(POLL_S)
        self.stop()
        if failure:
            print(f"caredesk: {failure}", file=sys.stderr, flush=True)
            return 1
        return 0

    def stop(self) -> None:
        """Ask each child to stop gracefully, wait, and kill what is still there after the grace."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for child in self.children:
            if child.process is not None and child.process.poll() is None:
                child.process.send_signal(child.stop_signal)
        deadline = time.monotonic() + self.stop_grace_s
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def supervise(cfg: config.Config, addr: str) -> int:
    """The web server, one consumer and the SMTP listener, kept running until SIGINT or SIGTERM."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "caredesk.settings")
    limit_model_threads(cfg, env)
    command = [sys.executable, "-m", "caredesk.cli"]
    children = [
        Child("web server", [*command, "web", addr], signal.SIGTERM),
        # SIGINT lets the consumer finish the task in hand; SIGTERM would drop it.
        Child("Huey consumer", [*command, "worker", "--workers", "1"], signal.SIGINT),
        # SIGTERM lets the listener finish storing the mails in hand before it stops.
        Child("SMTP listener", [*command, "smtpd"], signal.SIGTERM),
    ]
    return Supervisor(children, env, stop_grace_s=cfg.web_timeout + 5).run()


def serve(addr: str) -> int:
    """`caredesk serve [ADDR]`: checks, migrations, then the supervised web server and consumer."""
    cfg = config.load()
    if not prepare(cfg):
        return 1
    return supervise(cfg, addr)
