"""The task layer: viewflow flows that follow the state machines (docs/ui.md, "Inbox and flows").

The FSM field is the one truth for state; viewflow routes the human work each state calls for.
A module's `flows.py` declares a `StateFlow`:

    class CaseFlow(StateFlow):
        model = Case
        start = flow.StartHandle(this.begin).Next(this.dispatch)
        dispatch = flow.Switch().Case(this.screen, in_state(S.SCREENING)) ... .Default(this.end)
        screen = StateTask(title="审查并决定是否受理", assignee="handler", pool=is_intake_officer).Next(this.dispatch)
        end = flow.End()

No screen completes these tasks by hand. They follow the journal: every journaled change
(`journal.record` / `record_many`: create, edit, every transition, every reassignment, set-based
sweeps) sends `journal.recorded` inside the change's own transaction, and `follow_journal` below
calls `sync(obj)` for each object, which, in the same transaction,

- starts the object's process when it has none (and its state calls for work);
- when the object is in a state the open task does not stand for, settles that task (DONE, with the
  event that moved it) and lets the Switch create the task for the new state, or End the process;
- otherwise re-derives the task's owner (the handler or lawyer may have changed).

So whoever moves the object (a screen, the API, the admin, a Celery task) the inbox shows exactly
the work the current state calls for, and a change that rolls back takes its task changes with it.
viewflow's own task screens (execute/assign/undo…) are not mounted: they would move tasks
without moving the state.
"""

from collections import defaultdict
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import receiver
from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils import timezone
from django_fsm import FSMFieldMixin
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Task
from viewflow.workflow.nodes import End
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import task_finished
from viewflow.workflow.status import PROCESS, STATUS

import rules

from . import journal
from .roles import may_act

OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]

# model class -> StateFlow subclass; filled as flows.py modules are imported (apps.ready)
FLOWS: dict[type, type] = {}


def in_state(*states):
    """A Switch condition: the flow's object is in one of `states`."""
    wanted = {str(s) for s in states}

    def condition(activation):
        flow_class = activation.process.flow_class
        return str(getattr(activation.process.artifact, flow_class.state_field)) in wanted

    condition.states = wanted
    return condition


def _open_object(request, **kwargs):  # the task's "execute" view: the work happens on the object's page
    task = Task.objects.select_related("process").get(pk=kwargs["task_pk"])
    return HttpResponseRedirect(task.flow_task.flow_class.instance.url_for(task.process.artifact))


class StateTaskActivation(ViewActivation):
    """A human task that stands for "the work state X calls for"; settled when the state moves on."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        flow_instance = flow_task.flow_class.instance
        process = prev_activation.process
        obj = process.artifact
        task = flow_task.flow_class.task_class(process=process, flow_task=flow_task, token=token)
        task.data = data or {}
        task.artifact = obj
        task.owner_permission = flow_task.claim_permission
        owner = flow_instance.owner_for(obj, flow_task)
        if owner is not None:
            task.owner, task.status, task.assigned = owner, STATUS.ASSIGNED, timezone.now()
        task.save()
        task.previous.add(prev_activation.task)
        return cls(task)

    @Activation.status.transition(source=OPEN, target=STATUS.DONE)
    def settle(self, event=None):
        """The state this task stood for is left: the work is done (by whoever ran the transition)."""
        self.task.finished = timezone.now()
        if event is not None:
            self.task.data = {
                **(self.task.data or {}), "event": event.pk, "transition": event.transition,
                "actor": event.actor_id, "actor_name": event.actor_name,
            }
        self.task.save()
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)


class StateTask(flow.View):
    """The human work one or more states call for.

    - `assignee`: the object's attribute holding the person who does it (e.g. "handler"), or a
      callable obj -> user. The task is theirs while they are active and may act in the state.
    - `pool`: a `rules` predicate naming who may claim it while nobody is assigned (registered as the
      permission `<app>.claim_<flow>_<node>`, stored as the task's `owner_permission`).
    - `reassign(obj, actor, user)`: the service that hands the work to `user` (journaled; the task
      follows through `sync`).
    """

    activation_class = StateTaskActivation

    def __init__(self, *, title, description="", assignee=None, pool=None, reassign=None, candidates=None):
        super().__init__(_open_object)
        self.Annotation(title=title, description=description)
        self.assignee = assignee
        self.pool = pool if pool is not None else rules.always_false
        self.reassign = reassign
        self.candidates = candidates
        self.claim_permission = None

    def assigned_user(self, obj):
        if callable(self.assignee):
            return self.assignee(obj)
        return getattr(obj, self.assignee) if self.assignee else None


class StateFlow(flow.Flow):
    """A viewflow Flow that follows a model's FSM. Subclasses set `model` and declare nodes."""

    model = None
    state_field = "state"
    router = "dispatch"  # the Switch that picks the task for the object's state
    # Who sees the whole team's open work of this flow, reassigns it and takes it over.
    manager = rules.is_group_member("supervisor")
    url_name = None  # a URL name taking the object's pk: where the work on an object is done

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.model is None:
            return
        label = cls.model._meta.app_label
        for node in cls._nodes_by_name.values():
            if isinstance(node, StateTask):
                node.claim_permission = f"{label}.claim_{cls.__name__.lower()}_{node.name}"
                rules.set_perm(node.claim_permission, node.pool)
        FLOWS[cls.model] = cls

    # --- what the object calls for --------------------------------------------------------------

    def state_of(self, obj) -> str:
        return str(getattr(obj, self.state_field))

    def node_for(self, obj):
        """The StateTask the router would pick for `obj` now, or None (End: no work)."""
        stub = SimpleNamespace(process=SimpleNamespace(artifact=obj, flow_class=type(self)))
        for node, condition in getattr(self, self.router)._branches:
            if condition is None or condition(stub):
                return node if isinstance(node, StateTask) else None
        return None

    def owner_for(self, obj, node):
        user = node.assigned_user(obj)
        if user is not None and user.is_active and may_act(user, obj):
            return user
        return None

    def can_manage(self, user) -> bool:
        return user.is_authenticated and user.is_active and self.manager.test(user)

    def can_claim(self, user, task) -> bool:
        # Claiming runs the task's reassign service: a task without one is worked straight from the
        # object's page by anyone in its pool (e.g. a referral any mediator may accept).
        return (task.owner_id is None and bool(task.owner_permission) and task.flow_task.reassign is not None
                and user.has_perm(task.owner_permission))

    def begin(self, activation, obj):
        activation.process.artifact = obj
        return activation.process

    # --- presentation (the inbox) -----------------------------------------------------------------

    def url_for(self, obj) -> str:
        from django.urls import reverse

        return reverse(self.url_name, args=[obj.pk])

    def deadline_expression(self):
        """An expression over the model giving the deadline of the work its state calls for."""
        return models.Value(None, output_field=models.DateField())

    def deadline_label(self, obj, due) -> str:
        return ""

    def inbox_queryset(self):
        return self.model._default_manager.all()

    # --- keeping the tasks in step ----------------------------------------------------------------

    def open_process(self, obj):
        return (
            self.process_class._default_manager.filter(
                flow_class=type(self), artifact_content_type=ContentType.objects.get_for_model(obj),
                artifact_object_id=obj.pk, finished__isnull=True,
            ).exclude(status=PROCESS.CANCELED).order_by("-pk").first()
        )

    def sync(self, obj, event=None) -> None:
        """Make the object's open task the one its current state calls for (see the module doc)."""
        want = self.node_for(obj)
        process = self.open_process(obj)
        if process is None:
            if want is not None:
                self.start.run(obj=obj)
            return
        process.artifact = obj
        tasks_open = list(
            self.task_class._default_manager.filter(process=process, status__in=OPEN, flow_task_type="HUMAN")
            .select_related("owner")
        )
        for task in tasks_open:
            if task.flow_task is want:
                self._refresh_owner(task, obj)
                want = None  # already there
                continue
            task.process = process
            activation = task.flow_task.activation_class(task)
            activation.settle(event=event)
            activation.activate_next()
        if not tasks_open and want is not None:
            # An open process without a human task (should not happen): start over cleanly.
            process.status, process.finished = PROCESS.CANCELED, timezone.now()
            process.save(update_fields=["status", "finished"])
            self.start.run(obj=obj)

    def _refresh_owner(self, task, obj) -> None:
        owner = self.owner_for(obj, task.flow_task)
        if (owner.pk if owner else None) == task.owner_id:
            return
        task.owner = owner
        task.status = STATUS.ASSIGNED if owner else STATUS.NEW
        task.assigned = timezone.now() if owner else None
        task.save(update_fields=["owner", "status", "assigned"])

    # --- many objects at once: journal.record_many (imports, set-based sweeps) --------------------

    sync_batch_size = 5000

    def sync_queryset(self):
        """How sync_many() loads the objects (the router's conditions and the rules predicates of
        `may_act` read them; a deferred field read there would cost a query per object)."""
        return self.model._default_manager.all()

    def sync_many(self, ids) -> None:
        """What `sync()` does for each object, for many objects in a fixed number of queries per
        batch of `sync_batch_size` (so a sweep that moves 100,000 rows stays set-based).

        The same inbox as `sync()`: a new process with its human task; a task whose state was left
        settled (DONE) and followed by the next human task (`previous` links it to the settled one),
        or the process finished (DONE) when the state calls for no work; owners re-derived. Written
        with bulk INSERTs and UPDATEs. What it leaves out is viewflow's routing bookkeeping, the
        Start/Switch/End task rows `sync()` writes one object at a time: nothing reads them here
        (viewflow's task screens are not mounted), and for an import of 10,000 referrals they would
        triple the rows written. A router that leads somewhere else than a StateTask or End falls
        back to `sync()` for that object.
        """
        ids = sorted(set(ids))
        by_state = self._routes_by_state()
        if by_state is not None:
            # The route follows from the state alone: the objects whose state calls for no work
            # (a sweep's expiries) are settled all at once, without reading them; only those routed
            # to a task are loaded, in batches (their owners are derived from them).
            mapping, default = by_state
            ending, wanted = [], []
            for pk, state in self.model._default_manager.filter(pk__in=_ids(ids)).values_list("pk", self.state_field):
                node = mapping.get(str(state), default)
                (ending if node is None or isinstance(node, End) else wanted).append(pk)
            self._finish(ending)
            ids = wanted
        for start in range(0, len(ids), self.sync_batch_size):
            self._sync_batch(ids[start:start + self.sync_batch_size])

    def _open_processes(self):
        return self.process_class._default_manager.filter(
            flow_class=type(self), artifact_content_type=ContentType.objects.get_for_model(self.model),
            finished__isnull=True,
        ).exclude(status=PROCESS.CANCELED)

    def _finish(self, ids) -> None:
        """No work left for these objects: settle their open tasks and finish their processes, in
        two statements whatever their number."""
        if not ids:
            return
        now = timezone.now()
        processes = self._open_processes().filter(artifact_object_id__in=_ids(ids))
        self.task_class._default_manager.filter(
            process__in=processes, status__in=OPEN, flow_task_type="HUMAN",
        ).update(status=STATUS.DONE, finished=now)
        processes.update(status=PROCESS.DONE, finished=now)

    def _route(self, obj):
        """The node the router picks for `obj` (a StateTask, End, or something else)."""
        stub = SimpleNamespace(process=SimpleNamespace(artifact=obj, flow_class=type(self)))
        for node, condition in getattr(self, self.router)._branches:
            if condition is None or condition(stub):
                return node
        return None

    def _owners(self, pairs) -> dict:
        """{(obj.pk, node.name): owner or None} for [(obj, node)], like owner_for(): users read once,
        with their groups (what the rules predicates ask), whatever the number of objects."""
        assigned = {}
        for obj, node in pairs:
            if isinstance(node.assignee, str):
                field = obj._meta.get_field(node.assignee)
                assigned[(obj.pk, node.name)] = getattr(obj, field.attname)
            else:
                user = node.assigned_user(obj)
                assigned[(obj.pk, node.name)] = user.pk if user is not None else None
        pks = {pk for pk in assigned.values() if pk is not None}
        users = {}
        if pks:
            for user in get_user_model()._default_manager.filter(pk__in=pks).prefetch_related("groups"):
                user._group_names_cache = {g.name for g in user.groups.all()}
                users[user.pk] = user
        owners = {}
        for obj, node in pairs:
            user = users.get(assigned[(obj.pk, node.name)])
            owners[(obj.pk, node.name)] = user if user is not None and user.is_active and may_act(user, obj) else None
        return owners

    def _routes_by_state(self):
        """(state -> node, default node) when the router's every branch is an `in_state` condition,
        so an object's route follows from its state alone; else None."""
        by_state, default = {}, None
        for node, condition in getattr(self, self.router)._branches:
            if condition is None:
                default = node
                continue
            states = getattr(condition, "states", None)
            if states is None:
                return None
            for state in states:
                by_state.setdefault(state, node)
        return by_state, default

    def _sync_batch(self, ids) -> None:
        Process, Task = self.process_class, self.task_class
        ct = ContentType.objects.get_for_model(self.model)
        now = timezone.now()
        routes, ending, one_by_one = {}, [], []
        for obj in self.sync_queryset().filter(pk__in=_ids(ids)).order_by("pk") if ids else ():
            route = self._route(obj)
            if isinstance(route, StateTask):
                routes[obj.pk] = (obj, route)
            elif route is None or isinstance(route, End):
                ending.append(obj.pk)
            else:
                one_by_one.append(obj)
        self._finish(ending)
        open_processes = self._open_processes()
        if not routes:
            for obj in one_by_one:
                self.sync(obj)
            return
        processes = {}
        for process in open_processes.filter(artifact_object_id__in=list(routes)).order_by("pk"):
            processes[process.artifact_object_id] = process  # the newest open one, as open_process()
        open_tasks_of = defaultdict(list)
        for task in Task._default_manager.filter(
            process__in=[p.pk for p in processes.values()], status__in=OPEN, flow_task_type="HUMAN",
        ).order_by("pk"):
            open_tasks_of[task.process_id].append(task)

        starts, settled, moves, kept = [], [], [], []
        for obj, want in routes.values():
            process = processes.get(obj.pk)
            if process is None:
                starts.append((obj, want))
                continue
            tasks = open_tasks_of.get(process.pk, [])
            if not tasks:
                one_by_one.append(obj)  # an open process without a human task: sync() starts over
                continue
            stay = next((t for t in tasks if t.flow_task is want), None)
            stale = [t for t in tasks if t is not stay]
            settled.extend(stale)
            if stay is not None:
                kept.append((stay, obj))
            elif stale:
                moves.append((process, stale[-1], obj, want))

        owners = self._owners([(obj, want) for obj, want in starts]
                              + [(obj, want) for _p, _t, obj, want in moves]
                              + [(obj, task.flow_task) for task, obj in kept])

        def human_task(process, obj, node, token):
            owner = owners[(obj.pk, node.name)]
            return Task(
                process=process, flow_task=node, flow_task_type=node.task_type, token=token, data={},
                owner=owner, status=STATUS.ASSIGNED if owner else STATUS.NEW, assigned=now if owner else None,
                owner_permission=node.claim_permission, artifact_content_type=ct, artifact_object_id=obj.pk,
            )

        if settled:
            Task._default_manager.filter(pk__in=[t.pk for t in settled]).update(status=STATUS.DONE, finished=now)

        # New processes first (the tasks point at them).
        new_processes = [Process(flow_class=type(self), artifact_content_type=ct, artifact_object_id=obj.pk, data={})
                         for obj, _want in starts]
        if new_processes:
            Process._default_manager.bulk_create(new_processes, batch_size=500)
        token = Task._meta.get_field("token").get_default()
        new_tasks = [human_task(process, obj, want, token) for process, (obj, want) in zip(new_processes, starts)]
        follows = []  # (new task, the settled task it follows)
        for process, previous, obj, want in moves:
            task = human_task(process, obj, want, previous.token)
            new_tasks.append(task)
            follows.append((task, previous))
        if new_tasks:
            Task._default_manager.bulk_create(new_tasks, batch_size=500)
        if follows:
            Link = Task.previous.through
            Link._default_manager.bulk_create(
                [Link(from_task_id=task.pk, to_task_id=previous.pk) for task, previous in follows], batch_size=1000,
            )

        # Owners of the tasks that stay: one UPDATE per new owner.
        changed = defaultdict(list)
        for task, obj in kept:
            owner = owners[(obj.pk, task.flow_task.name)]
            if (owner.pk if owner else None) != task.owner_id:
                changed[owner.pk if owner else None].append(task.pk)
        for owner_id, task_ids in changed.items():
            Task._default_manager.filter(pk__in=task_ids).update(
                owner_id=owner_id, status=STATUS.ASSIGNED if owner_id else STATUS.NEW,
                assigned=now if owner_id else None,
            )
        for obj in one_by_one:
            self.sync(obj)


def _ids(ids):
    """`ids` as one `__in=` value (an array parameter on PostgreSQL: core.transitions.chunks)."""
    from .transitions import chunks

    (whole,) = chunks(ids, size=max(len(ids), 1))
    return whole


def flow_for(model_or_obj):
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    cls = FLOWS.get(model)
    return cls.instance if cls is not None else None


def has_state_machine(model) -> bool:
    return any(isinstance(f, FSMFieldMixin) for f in model._meta.fields)


@receiver(journal.recorded, dispatch_uid="core.workflow.follow_journal")
def follow_journal(sender, subjects, event=None, **kwargs):
    """Every journaled change brings its objects' tasks in step, in the change's own transaction.

    Except a set-based change of more than WEIQUAN_INBOX_SYNC_INLINE_MAX objects (a sweep that
    expires a whole backlog): its objects' tasks are brought in step once it has committed, by the
    Celery workers (`core.tasks.sync_inbox`), so the change holds its rows' locks for the change
    alone. Until then the inbox may list work the objects no longer call for; their pages say what
    is possible. A rolled-back change queues nothing."""
    wanted = {}
    for model, object_id in subjects:
        if model in FLOWS:
            wanted.setdefault(model, set()).add(object_id)
    for model, ids in wanted.items():
        flow_instance = FLOWS[model].instance
        if event is None and len(ids) > settings.WEIQUAN_INBOX_SYNC_INLINE_MAX:
            sync_after_commit(model, ids)
        elif event is None:
            # record_many (an import, a sweep): set-based, a fixed number of queries per batch
            flow_instance.sync_many(ids)
        else:
            for obj in model._default_manager.filter(pk__in=ids).order_by("pk"):
                flow_instance.sync(obj, event=event)


def sync_after_commit(model, ids, *, batch=20_000) -> None:
    """Queue the inbox sync of `ids` for after the commit, in batches (inline without a broker)."""
    from django.db import transaction

    from .tasks import queue_for_ids, sync_inbox

    label, ids = model._meta.label_lower, sorted(ids)

    def queue():
        for start in range(0, len(ids), batch):
            queue_for_ids(sync_inbox, label, ids[start:start + batch])

    transaction.on_commit(queue, robust=True)
