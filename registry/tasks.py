"""Periodic jobs on a task queue (Huey): the wiring, like ``web.py`` for views and ``cli.py`` for commands.

A domain's jobs are in its ``tasks.py``, each a function ``job(session, actor)`` marked with ``@periodic(...)``
and a crontab schedule in UTC::

    @periodic(minute="5")                      # hourly, at five past
    def expire_labels(session: Session, actor: Actor) -> int:
        ...

Adding one is that, plus (for a domain with no jobs yet) one import in ``_load_domain_tasks`` below. A job is an edge
like a CLI command: it runs in an app context with the registry's session and ``Actor.system()``, its services
flush, and the runner commits once when it returns (a job working in batches commits each one through
``in_batches``); an exception rolls back what is not committed yet and is logged by the worker, and the next run
tries again. A job must therefore do what is *due* and be safe to run any number of times: the worker runs every job
once when it starts (catching up after downtime), and a lock in the queue's storage keeps two workers from running
the same job at once (the second skips it).

The queue is made from the app's configuration when first needed (``queue_for(app)``): ``SqliteHuey`` in
``TASK_QUEUE_FILE`` (``instance/tasks.sqlite3``, 0600) by default, ``RedisHuey`` when ``REDIS_URL``
(``REGISTRY_REDIS_URL``) is set. ``flask tasks worker`` runs Huey's consumer for the app: the scheduler that enqueues
the periodic jobs when their time comes and the worker threads that run them (``make run`` starts one beside the
web server; production runs it as a process of its own). ``flask tasks list`` shows the jobs and their schedules,
``flask tasks run NAME`` runs one now in the command's own process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import TaskLockedException
from sqlalchemy.orm import Session

from registry.audit.services import Actor
from registry.database import JOB_WRITES, db
from registry.private_files import create_private_file, make_private_directory

log = logging.getLogger(__name__)

EXTENSION = "registry.tasks"
# The queue's name: its keys in Redis and its rows in the SQLite file are prefixed with it.
QUEUE_NAME = "registry"

Job = Callable[[Session, Actor], Any]


@dataclass(frozen=True)
class Periodic:
    """A job and when it runs: crontab fields (``minute``, ``hour``, ``day``, ``month``, ``day_of_week``) in UTC."""

    name: str
    job: Job
    schedule: dict[str, str]

    def describe(self) -> str:
        return " ".join(f"{field}={value}" for field, value in self.schedule.items()) + " (UTC)"


# Every job marked with @periodic, by name ("labels.expire_labels"); filled when the domains' tasks.py are imported.
PERIODIC: dict[str, Periodic] = {}


def periodic(**schedule: str) -> Callable[[Job], Job]:
    """Run the decorated ``job(session, actor)`` on a crontab schedule in UTC, e.g. ``@periodic(minute="5")``
    (hourly at five past) or ``@periodic(minute="30", hour="16")`` (daily at 00:30 in China)."""
    crontab(**schedule, strict=True)  # a mistyped schedule fails at import, not silently at run time

    def mark(job: Job) -> Job:
        name = f"{job.__module__}.{job.__name__}".removeprefix("registry.").replace(".tasks.", ".")
        if name in PERIODIC and PERIODIC[name].job is not job:
            raise ValueError(f"two periodic jobs named {name}")
        PERIODIC[name] = Periodic(name, job, dict(schedule))
        return job

    return mark


def in_batches(session: Session, step: Callable[[int], int], size: int) -> int:
    """Call ``step(size)``, which does at most ``size`` things and says how many it did, committing after each
    call, until a call does fewer than ``size``; the total. What a failing step did is rolled back, the batches
    before it stay."""
    total = 0
    while True:
        done = step(size)
        session.commit()
        total += done
        if done < size:
            return total


def _load_domain_tasks() -> None:
    """Import every domain's tasks.py, which registers its jobs (one line per domain, like ``cli.init_app``)."""
    from registry.labels import tasks as _labels_tasks  # noqa: F401
    from registry.supervision import tasks as _supervision_tasks  # noqa: F401
    from registry.surveillance import tasks as _surveillance_tasks  # noqa: F401
    from registry.tlog import tasks as _tlog_tasks  # noqa: F401


class TaskQueue:
    """The app's Huey instance and its periodic tasks (Huey's task wrappers), by job name."""

    def __init__(self, app: Flask) -> None:
        _load_domain_tasks()
        self.app = app
        self.huey = _make_huey(app)
        self.tasks: dict[str, Any] = {}
        for spec in PERIODIC.values():
            # Huey names it by module and function: registry.labels.tasks.expire_labels.
            schedule = crontab(**spec.schedule, strict=True)
            self.tasks[spec.name] = self.huey.periodic_task(schedule, name=spec.job.__name__)(self._runner(spec))

    def _runner(self, spec: Periodic) -> Callable[[], Any]:
        lock = self.huey.lock_task(spec.name)  # made now so that the worker's flush_locks knows it

        def run() -> Any:
            try:
                with lock:
                    return run_job(self.app, spec)
            except TaskLockedException:
                log.info("%s is already running in another worker: skipped.", spec.name)
                return None

        run.__module__ = spec.job.__module__
        run.__doc__ = spec.job.__doc__
        return run


def run_job(app: Flask, spec: Periodic) -> Any:
    """Run one job as the worker does: in an app context, as the system, writing from its first statement, one
    commit at the end (or none, on an exception)."""
    with app.app_context():
        g.setdefault(JOB_WRITES, True)
        session = db.session
        try:
            result = spec.job(session, Actor.system())
            session.commit()
        except BaseException:
            session.rollback()
            raise
    log.info("%s: %s", spec.name, result)
    return result


def _make_huey(app: Flask) -> Huey:
    url = app.config.get("REDIS_URL")
    if url:
        return RedisHuey(QUEUE_NAME, url=url)
    path = Path(app.config["TASK_QUEUE_FILE"])
    make_private_directory(path.parent)
    create_private_file(path)  # SQLite then makes its -wal and -shm files with the same 0600
    return SqliteHuey(QUEUE_NAME, filename=str(path))


def queue_for(app: Flask) -> TaskQueue:
    """The app's task queue, made on first use (making the app creates no file)."""
    queue: TaskQueue | None = app.extensions.get(EXTENSION)
    if queue is None:
        queue = app.extensions[EXTENSION] = TaskQueue(app)
    return queue


group = AppGroup("tasks", help="The task queue: the worker that runs the periodic jobs (expiry, ...).")


def _app() -> Flask:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed as the app
    return app


@group.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1), help="Worker threads.")
@click.option(
    "--catch-up/--no-catch-up",
    default=True,
    show_default=True,
    help="Run every periodic job once at start: they do what is due, so this catches up after downtime.",
)
def worker_command(workers: int, catch_up: bool) -> None:
    """Run the worker: enqueue the periodic jobs when their time comes and run them (until stopped with SIGINT,
    which waits for the running jobs, or SIGTERM)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s [tasks] %(levelname)s %(name)s: %(message)s")
    queue = queue_for(_app())
    where = "Redis" if queue.app.config.get("REDIS_URL") else queue.app.config["TASK_QUEUE_FILE"]
    log.info("Task queue in %s; periodic jobs: %s", where, ", ".join(_schedules()) or "none")
    # flush_locks: a worker killed while running a job left its lock behind; starting again clears it.
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", flush_locks=True)
    if catch_up:
        for name, task in queue.tasks.items():
            log.info("Catching up: %s enqueued.", name)
            task()
    consumer.run()


def _schedules() -> list[str]:
    _load_domain_tasks()
    return [f"{spec.name} [{spec.describe()}]" for spec in PERIODIC.values()]


@group.command("list")
def list_command() -> None:
    """The periodic jobs and their schedules."""
    _load_domain_tasks()
    for spec in PERIODIC.values():
        summary = " ".join((spec.job.__doc__ or "").split()).split(". ")[0]
        click.echo(f"{spec.name}  {spec.describe()}  {summary}")


@group.command("run")
@click.argument("name")
def run_command(name: str) -> None:
    """Run the periodic job NAME now, in this process (as the worker would), and print its result."""
    task = queue_for(_app()).tasks.get(name)
    if task is None:
        raise click.BadParameter(f"no periodic job {name!r}; `flask tasks list` lists them.", param_hint="NAME")
    click.echo(f"{name}: {task.call_local()}")
