"""The inbox (我的待办): the open human tasks of every module's flow, for one user, soonest
deadline first, with the objects they are about (core/workflow.py keeps the tasks in step)."""

from types import SimpleNamespace

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from viewflow.workflow.models import Task

from .workflow import FLOWS, OPEN, StateTask, flow_for

def claim_permissions(user) -> list[str]:
    perms = []
    for flow_class in FLOWS.values():
        for node in flow_class._nodes_by_name.values():
            if isinstance(node, StateTask) and node.claim_permission and user.has_perm(node.claim_permission):
                perms.append(node.claim_permission)
    return perms


def open_tasks():
    return Task.objects.filter(
        flow_task_type="HUMAN", status__in=OPEN, process__flow_class__in=list(FLOWS.values())
    )


def _with_deadline(tasks):
    whens = []
    for model, flow_class in FLOWS.items():
        ct = ContentType.objects.get_for_model(model)
        due = model._default_manager.filter(pk=OuterRef("artifact_object_id")).annotate(
            _due=flow_class.instance.deadline_expression()
        ).values("_due")[:1]
        whens.append(models.When(artifact_content_type=ct, then=Subquery(due, output_field=models.DateField())))
    if not whens:
        return tasks.annotate(due=models.Value(None, output_field=models.DateField()))
    return tasks.annotate(due=models.Case(*whens, default=None, output_field=models.DateField()))


def inbox(user, *, scope="mine"):
    """Open tasks for `user`, soonest deadline first (overdue first), then oldest.

    scope "mine": assigned to the user, and unassigned ones the user may claim;
    scope "team": every open task of the flows the user manages (supervisors), for reassigning.
    """
    tasks = open_tasks()
    if scope == "team":
        managed = [cls for cls in FLOWS.values() if cls.instance.can_manage(user)]
        tasks = tasks.filter(process__flow_class__in=managed)
    else:
        tasks = tasks.filter(Q(owner=user) | Q(owner__isnull=True, owner_permission__in=claim_permissions(user)))
    return _with_deadline(tasks).select_related("owner", "artifact_content_type").order_by(
        F("due").asc(nulls_last=True), "created", "pk"
    )


class InboxItem(SimpleNamespace):
    """One row: the task, its object, the action, the deadline and days left."""


def hydrate(tasks, user, *, today=None):
    """Attach the objects (one query per model) and what the row shows."""
    today = today or timezone.localdate()
    tasks = list(tasks)
    by_model = {}
    for task in tasks:
        by_model.setdefault(task.artifact_content_type.model_class(), set()).add(task.artifact_object_id)
    objects = {}
    for model, ids in by_model.items():
        flow_instance = flow_for(model)
        for obj in flow_instance.inbox_queryset().filter(pk__in=ids):
            objects[(model, obj.pk)] = obj
    items = []
    for task in tasks:
        model = task.artifact_content_type.model_class()
        obj = objects.get((model, task.artifact_object_id))
        if obj is None:
            continue
        flow_instance = flow_for(model)
        days_left = (task.due - today).days if task.due else None
        items.append(InboxItem(
            task=task, obj=obj, flow=flow_instance, node=task.flow_task,
            action=task.flow_task.task_title, description=task.flow_task.task_description,
            url=flow_instance.url_for(obj), due=task.due, days_left=days_left,
            overdue=days_left is not None and days_left < 0,
            due_label=flow_instance.deadline_label(obj, task.due) if task.due else "",
            mine=task.owner_id == user.pk,
            can_claim=flow_instance.can_claim(user, task),
            can_manage=flow_instance.can_manage(user),
        ))
    return items
