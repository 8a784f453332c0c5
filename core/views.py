"""The web interface's shared views: the one transition view, the base of every form on an object,
an object page's common panels, document requests, and the inbox (docs/ui.md).

Views are thin: a form parses the request, a service does the work, a template shows the result.
What a user sees is what the module's visibility queryset lets them see (anything else is 404);
what they may do is what the transition declarations allow. A refusal is shown where
core/errors.py says (beside the field, above the form with the input kept, or as the page's
"not possible now" panel with what the user may do instead), in the user's language.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from . import diagrams, documents, errors, journal, links
from .inputs import staff_users
from .roles import may_act
from .transitions import allowed_transitions, check, machine_for
from .inbox import hydrate, inbox, open_tasks
from .workflow import FLOWS, flow_for


def service_errors(exc, form, formsets=()):
    """Put a service's ValidationError on the form fields it names (else on the form as a whole)."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, messages_ in exc.message_dict.items():
        for message in messages_:
            if field in form.fields:
                form.add_error(field, message)
                continue
            placed = False
            for formset in formsets:
                if field in getattr(formset, "service_fields", ()):
                    formset.service_errors.append(message)
                    placed = True
            if not placed:
                form.add_error(None, message)


def refusal_message(exc) -> str:
    described = errors.describe(exc)
    return described.message if described is not None else str(exc)


# --------------------------------------------------------------------------------------------------
# An object's page: what every module's page shows
# --------------------------------------------------------------------------------------------------


def timeline(obj, *, detail=None, user=None) -> list:
    """The object's journal with the machine's labels (the same table as buttons and documents);
    with `user`, as they may read it (core.links.events_seen_by)."""
    machine = machine_for(obj)
    labels, states = machine.event_labels, machine.state_labels()
    events = list(journal.events_for(obj)) if user is None else links.events_seen_by(obj, user)
    for event in events:
        event.label = labels.get(event.transition, event.transition)
        event.from_label = states.get(event.from_state, event.from_state)
        event.to_label = states.get(event.to_state, event.to_state)
        event.detail = detail(event) if detail else ""
        if event.transition == "linked" and not event.detail:
            event.detail = (event.payload or {}).get("number", "")
    return events


def page_context(request, obj, *, transition_url_name, detail=None) -> dict:
    """Buttons, timeline, documents, the open task and the machine's picture for `obj`'s page."""
    user = request.user
    machine = machine_for(obj)
    allowed = allowed_transitions(obj, user)
    buttons = [
        {"name": t.name, "label": t.label, "style": t.style,
         "url": reverse(transition_url_name, args=[obj.pk, t.name])}
        for t in machine if t.name in allowed
    ]
    kinds = [k for k in documents.kinds_for(obj) if k.allowed_in(documents.owner_state(obj))
             and (not k.permission or user.has_perm(k.permission, obj))]
    flow = flow_for(obj)
    task = None
    if flow is not None:
        task = (open_tasks().filter(artifact_object_id=obj.pk, process__flow_class=type(flow))
                .select_related("owner").first())
    can_reassign = task is not None and flow.can_manage(user) and task.flow_task.reassign is not None
    return {
        "buttons": buttons,
        "events": timeline(obj, detail=detail, user=user),
        "documents": documents_panel(obj, kinds),
        "kinds": kinds,
        "task": task,
        "can_claim": task is not None and flow.can_claim(user, task),
        "can_reassign": can_reassign,
        "reassign_candidates": reassign_candidates(task, obj) if can_reassign else [],
        "diagram": diagrams.state_machine_svg(type(obj), current=str(getattr(obj, machine.state_field)),
                                              allowed=allowed, labels=machine.labels),
    }


def documents_panel(obj, kinds) -> list:
    """The object's documents, newest version of each kind first. A kind whose newest version
    failed carries `failure_reason` (plain words) and, when it may be asked for now, `can_retry`."""
    rows = list(documents.documents_for(obj).order_by("kind", "-version"))
    offered = {k.name for k in kinds}
    seen = set()
    for row in rows:
        row.latest = row.kind not in seen
        seen.add(row.kind)
        row.failure_reason = documents.failure_reason(row) if row.latest else ""
        row.can_retry = bool(row.failure_reason) and row.kind in offered
    return rows


def reassign_candidates(task, obj):
    node = task.flow_task
    return [u for u in staff_users(*(node.candidates or [])).prefetch_related("groups") if may_act(u, obj)]


# --------------------------------------------------------------------------------------------------
# Forms on an object, and the one transition view
# --------------------------------------------------------------------------------------------------


class ObjectFormView(LoginRequiredMixin, View):
    """A form on one object that calls one service: GET shows it, POST runs it; a refusal
    re-renders the form with the user's input and the reason (400 input, 403, 409).

    Configure with `as_view(visible=…, detail_url_name=…)`: `visible(user)` is the queryset of the
    objects the user may open. Subclasses give `form_class` (or `get_form`), `label` and `run()`.
    """

    template_name = "core/object_form.html"
    visible = None
    detail_url_name = None
    transition_url_name = None
    permission = None  # checked with the object before showing the form
    label = ""
    form_class = None
    anchor = ""
    side_template = None

    def dispatch(self, request, pk, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.obj = get_object_or_404(self.visible(request.user), pk=pk)
        if self.permission and not request.user.has_perm(self.permission, self.obj):
            raise PermissionDenied
        return super().dispatch(request, pk, **kwargs)

    def get_form(self, data=None):
        return self.form_class(data, subject=self.obj)

    def context(self, form) -> dict:
        return form.extra_context() if hasattr(form, "extra_context") else {}

    def render_form(self, form, status=200, refusal=None):
        machine = machine_for(self.obj)
        name = getattr(self, "name", None)
        allowed = allowed_transitions(self.obj, self.request.user) if refusal else []
        return render(self.request, self.template_name, {
            "obj": self.obj, "form": form, "label": self.label, "name": name,
            "detail_url": reverse(self.detail_url_name, args=[self.obj.pk]) + self.anchor,
            "refusal": refusal,
            "alternatives": [
                {"label": t.label, "style": t.style, "url": reverse(self.transition_url_name, args=[self.obj.pk, t.name])}
                for t in machine if t.name in allowed and t.name != name
            ] if refusal and self.transition_url_name else [],
            "diagram": diagrams.state_machine_svg(type(self.obj), current=str(getattr(self.obj, machine.state_field)),
                                                  highlight_transition=name, labels=machine.labels),
            "side_template": self.side_template,
            **self.context(form),
        }, status=status)

    def get(self, request, pk, **kwargs):
        return self.render_form(self.get_form())

    def run(self, form):  # pragma: no cover - every subclass defines it
        """Call the one service this form is for."""
        raise NotImplementedError

    def post(self, request, pk, **kwargs):
        form = self.get_form(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            self.run(form)
        except errors.HANDLED as exc:
            return self.refused(form, exc)
        messages.success(request, self.success_message())
        return HttpResponseRedirect(reverse(self.detail_url_name, args=[self.obj.pk]) + self.anchor)

    def refused(self, form, exc):
        described = errors.describe(exc)
        if described.placement == "fields":
            service_errors(exc, form)
            return self.render_form(form, status=described.status)
        self.obj.refresh_from_db()
        if described.placement == "page":
            return self.render_form(form, status=described.status, refusal=described.message)
        form.add_error(None, described.message)
        return self.render_form(form, status=described.status)

    def success_message(self):
        return _("已完成：%(action)s。") % {"action": self.label}


class TransitionView(ObjectFormView):
    """The form of any declared transition (its inputs, then a comment). A transition that is not
    possible now (another state, unmet conditions, not this user) shows why and what the user may do
    instead, whether it is asked for (GET, the browser's Back) or submitted."""

    def dispatch(self, request, pk, name):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.obj = get_object_or_404(self.visible(request.user), pk=pk)
        machine = machine_for(self.obj)
        if name not in machine:
            raise Http404
        self.name = name
        self.declared = machine.get(name)
        self.label = self.declared.label
        return View.dispatch(self, request, pk, name)

    def get_form(self, data=None):
        return self.declared.form(data, subject=self.obj)

    def get(self, request, pk, name):
        form = self.get_form()
        try:
            check(self.obj, self.name, request.user)
        except (PermissionDenied, errors.Refusal) as exc:
            described = errors.describe(exc)
            return self.render_form(form, status=described.status, refusal=described.message)
        return self.render_form(form)

    def post(self, request, pk, name):
        return super().post(request, pk)

    def run(self, form):
        self.declared.run(self.obj, actor=self.request.user, **form.cleaned_data)


class DocumentRequestView(LoginRequiredMixin, View):
    """Ask for a document of the object on the page: `visible(user)` finds the objects the user
    may see, `detail_url_name` is where the answer is shown."""

    visible = None
    detail_url_name = None

    def post(self, request, pk):
        owner = get_object_or_404(self.visible(request.user), pk=pk)
        try:
            kind = documents.get_kind(owner, request.POST.get("kind", ""))
            if kind.permission and not request.user.has_perm(kind.permission, owner):
                raise PermissionDenied(_("您没有权限生成此文书。"))
            document, created = documents.request(owner, kind, actor=request.user,
                                                  regenerate=request.POST.get("regenerate") == "1")
        except (documents.DocumentError, errors.Refusal, PermissionDenied) as exc:
            messages.error(request, refusal_message(exc))
        else:
            document.refresh_from_db()
            if document.status == document.Status.READY:
                messages.success(request, _("文书已生成：%(title)s %(number)s") % {"title": document.title, "number": document.number})
            elif document.status == document.Status.FAILED:
                messages.error(request, _("文书生成失败：%(title)s。%(reason)s") % {
                    "title": document.title, "reason": documents.failure_reason(document)})
            else:
                messages.info(request, _("文书生成中：%(title)s，请稍后刷新。") % {"title": document.title})
        return HttpResponseRedirect(reverse(self.detail_url_name, args=[owner.pk]) + "#documents")


# --------------------------------------------------------------------------------------------------
# The inbox: every module's open tasks for the user, with claim and reassign
# --------------------------------------------------------------------------------------------------


class InboxView(LoginRequiredMixin, View):
    """我的待办. Tab "mine": tasks assigned to me and unassigned ones I may claim; tab "team"
    (supervisors): every open task, with reassign. Soonest deadline first, so overdue work leads."""

    paginate_by = 30

    def get(self, request):
        user = request.user
        manages = any(cls.instance.can_manage(user) for cls in FLOWS.values())
        scope = "team" if request.GET.get("scope") == "team" and manages else "mine"
        page = Paginator(inbox(user, scope=scope), self.paginate_by).get_page(request.GET.get("page"))
        items = hydrate(page.object_list, user)
        candidates = {}
        if manages:
            for item in items:
                node = item.node
                if node not in candidates:
                    candidates[node] = list(staff_users(*(node.candidates or [])))
                item.candidates = ([u for u in candidates[node] if may_act(u, item.obj)]
                                   if item.can_manage and node.reassign is not None else [])
        counts = {
            "mine": inbox(user, scope="mine").count() if scope != "mine" else page.paginator.count,
            "overdue": sum(1 for i in items if i.overdue),
        }
        return render(request, "work/inbox.html", {
            "items": items, "page": page, "scope": scope, "manages": manages, "counts": counts,
        })


def _task_and_object(request, task_pk):
    task = get_object_or_404(open_tasks().select_related("process"), pk=task_pk)
    flow_instance = task.flow_task.flow_class.instance
    obj = task.process.artifact
    if obj is None:
        raise PermissionDenied
    return task, flow_instance, obj


def _back(request, default):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


class ClaimView(LoginRequiredMixin, View):
    """Take an unassigned task: the flow's reassign service makes me the one who works the object."""

    def post(self, request, task_pk):
        task, flow_instance, obj = _task_and_object(request, task_pk)
        if not flow_instance.can_claim(request.user, task):
            raise PermissionDenied
        try:
            task.flow_task.reassign(obj, request.user, request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, refusal_message(exc))
        else:
            messages.success(request, _("已认领：%(obj)s") % {"obj": obj})
        return _back(request, reverse("work:inbox:index"))


class ReassignView(LoginRequiredMixin, View):
    """A supervisor hands a task (and so the object's handling) to someone else."""

    def post(self, request, task_pk):
        task, flow_instance, obj = _task_and_object(request, task_pk)
        if not flow_instance.can_manage(request.user) or task.flow_task.reassign is None:
            raise PermissionDenied
        user = get_user_model().objects.filter(pk=request.POST.get("user") or 0, is_active=True).first()
        try:
            if user is None:
                raise ValidationError(_("请选择改派给谁。"))
            task.flow_task.reassign(obj, request.user, user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, refusal_message(exc))
        else:
            messages.success(request, _("已改派给 %(user)s：%(obj)s") % {"user": user.get_full_name() or user.username, "obj": obj})
        return _back(request, reverse("work:inbox:index") + "?scope=team")
