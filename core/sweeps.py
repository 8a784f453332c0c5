"""The sweeps: what each module does because the date moved (periods run out, warnings fall due).

A module registers its sweeps in its `tasks.py`, beside the Celery beat task that runs them:

```python
@sweeps.register("mediation", "deadlines")
def deadlines(*, today):
    return services.sweep_deadlines(today=today)
```

`fn(*, today)` sweeps as of `today` (the day that counts as "today": what ran out before it is
moved, what falls due within the warning windows from it is told) and returns its figures, a dict
of counts (nested dicts and dataclasses allowed). The beat task calls the same function with the
local date. core finds the registrations as Celery's worker finds the tasks, in every installed
app's `tasks.py`, on first use (`registered()`); core imports no module by name.

`run(sweeps, today=…, dry_run=…)` runs them and says what each did, from what it wrote rather than
from what it says about itself: the journal entries, per transition and source → target; the
notifications stored, per recipient; the documents the moved transitions declare (asked for after
the commit); a large set's notices, owed until after the commit (core.notices.send_after_commit),
are sent within a dry run to say who would be told. `manage.py sweep` is its command line (core/management/commands/sweep.py).

A dry run is the real sweep inside one transaction that is rolled back at the end: the report is
exactly what the real run would do now (the same queries, conditions, locks and notification keys;
nothing to keep in step with the sweeps), and nothing of it stays. Everything a sweep does outside
the database waits for the commit (`transaction.on_commit`: e-mail, document rendering, inbox
syncing on the workers), so a rollback discards it. As a guard, while a dry run runs, sending a
Celery task, an e-mail or storing a file raises `LeftTheTransaction`: that sweep's part is then
reported as an error, never done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from unittest import mock

from django.db import transaction
from django.db.models import Count, Max
from django.utils.module_loading import autodiscover_modules

from . import legal_calendar


@dataclass(frozen=True)
class Sweep:
    module: str
    name: str
    fn: Callable

    @property
    def label(self) -> str:
        return f"{self.module}.{self.name}"


_sweeps: dict[str, Sweep] = {}
_discovered = False


def register(module: str, name: str):
    """Register `fn(*, today) -> figures` as the sweep `module.name` (a decorator)."""

    def add(fn):
        sweep = Sweep(module, name, fn)
        _sweeps[sweep.label] = sweep
        return fn

    return add


def registered() -> list[Sweep]:
    """Every registered sweep, module by module in INSTALLED_APPS order, each module's in the
    order its tasks.py declares them (the order the beat runs them)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("tasks")
        _discovered = True
    from django.apps import apps

    order = {config.label: i for i, config in enumerate(apps.get_app_configs())}
    listed = list(_sweeps.values())
    return sorted(listed, key=lambda s: (order.get(s.module, len(order)), listed.index(s)))


class UnknownSweep(LookupError):
    pass


def select(names=()) -> list[Sweep]:
    """The sweeps `names` ask for (a module, `casework`, or one sweep, `mediation.performance`),
    in the registered order; every sweep when `names` is empty."""
    every = registered()
    if not names:
        return every
    unknown = [n for n in names if not any(n in (s.module, s.label) for s in every)]
    if unknown:
        raise UnknownSweep(unknown, sorted({s.module for s in every} | {s.label for s in every}))
    return [s for s in every if any(n in (s.module, s.label) for n in names)]


# --------------------------------------------------------------------------------------------------
# Running them, and what they did
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """Journal entries a sweep wrote for one transition of one model, from one state to one."""

    model: str  # "mediation.mediation"
    transition: str
    from_state: str
    to_state: str
    count: int
    documents: tuple[str, ...] = ()  # the transition's declared documents, asked for after the commit

    @property
    def moved(self) -> bool:
        return self.from_state != self.to_state


@dataclass
class Outcome:
    sweep: Sweep
    figures: dict = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    told: dict[str, int] = field(default_factory=dict)  # username -> notifications stored
    owed: int = 0  # objects whose notices a worker sends after the commit (a real run's large sets)
    error: str = ""

    @property
    def moved(self) -> int:
        return sum(m.count for m in self.moves if m.moved)

    @property
    def notifications(self) -> int:
        return sum(self.told.values())


class LeftTheTransaction(RuntimeError):
    """A dry run's sweep tried to do something the rollback could not take back."""


def run(sweeps: list[Sweep], *, today: datetime.date, dry_run: bool = False) -> list[Outcome]:
    """Run `sweeps` as of `today`; one Outcome each, in order. A sweep that fails is reported
    (`error`) and the others still run. A dry run rolls everything back at the end, each sweep
    seeing what the ones before it did, as in a real run."""
    # As the beat tasks do: staff may have edited holidays in another process.
    legal_calendar.clear_cache()
    if not dry_run:
        return [_run_one(s, today=today) for s in sweeps]
    with transaction.atomic(), _nothing_leaves():
        outcomes = [_run_one(s, today=today, savepoint=True) for s in sweeps]
        transaction.set_rollback(True)
    return outcomes


def _run_one(sweep: Sweep, *, today, savepoint: bool = False) -> Outcome:
    from .models import Event, Notification, PendingNotices

    outcome = Outcome(sweep)
    owed = PendingNotices.objects.all()
    events = Event.objects.aggregate(m=Max("pk"))["m"] or 0
    notes = Notification.objects.aggregate(m=Max("pk"))["m"] or 0
    owed_before = owed.aggregate(m=Max("pk"))["m"] or 0
    try:
        with transaction.atomic() if savepoint else contextlib.nullcontext():
            outcome.figures = _plain(sweep.fn(today=today))
            # A large set's notices are owed, sent by a worker once the change commits
            # (core.notices.send_after_commit). A dry run sends them here, as that worker would,
            # to say who would be told; a real run reports what the workers still have to send.
            new = list(owed.filter(pk__gt=owed_before).values_list("pk", flat=True))
            if savepoint:
                from . import notices

                for pk in new:
                    notices.send_pending(pk)
            else:
                outcome.owed = sum(len(ids) for ids in owed.filter(pk__in=new).values_list("ids", flat=True))
            # read while the rows are there (a dry run's go at the end)
            outcome.moves = _moves(Event.objects.filter(pk__gt=events))
            outcome.told = dict(Counter(dict(
                Notification.objects.filter(pk__gt=notes).values("recipient__username")
                .annotate(n=Count("pk")).values_list("recipient__username", "n"))).most_common())
    except Exception as exc:  # noqa: BLE001 - reported, and the command exits non-zero
        outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.moves, outcome.told = [], {}
    return outcome


def _moves(events) -> list[Move]:
    from django.contrib.contenttypes.models import ContentType

    from .transitions import machine_for

    moves = []
    rows = (events.values("content_type", "transition", "from_state", "to_state").annotate(n=Count("pk"))
            .order_by("content_type", "transition", "from_state", "to_state"))
    for row in rows:
        model = ContentType.objects.get_for_id(row["content_type"]).model_class()
        machine = machine_for(model) if model is not None else None
        documents = ()
        if machine is not None and row["transition"] in machine and row["from_state"] != row["to_state"]:
            documents = tuple(machine.get(row["transition"]).documents)
        label = model._meta.label_lower if model is not None else str(row["content_type"])
        moves.append(Move(label, row["transition"], row["from_state"], row["to_state"], row["n"], documents))
    return moves


def _plain(figures) -> dict:
    if dataclasses.is_dataclass(figures) and not isinstance(figures, type):
        figures = dataclasses.asdict(figures)
    return dict(figures or {})


@contextlib.contextmanager
def _nothing_leaves():
    """While a dry run runs: a Celery task sent, an e-mail sent or a file stored (all of which
    the sweeps leave to `on_commit`) raises instead of happening."""
    from celery.app.task import Task
    from django.core.files.storage import Storage
    from django.core.mail import EmailMessage

    def refuse(what):
        def refused(self, *args, **kwargs):
            raise LeftTheTransaction(f"a dry run may not {what} ({self!r}); nothing was")

        return refused

    with mock.patch.object(Task, "apply_async", refuse("send a Celery task")), \
            mock.patch.object(EmailMessage, "send", refuse("send e-mail")), \
            mock.patch.object(Storage, "save", refuse("store a file")):
        yield
