"""The work bench, across modules: the inbox ("my work") with claim and reassign, and the dashboard."""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from . import charts, forms, services
from .models import CaseState, Category
from .permissions import may_act
from .views import refusal_message, visible_cases
from .workflow import FLOWS, hydrate, inbox, open_tasks


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
                    candidates[node] = list(forms.staff_users(*(node.candidates or [])))
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
            messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else refusal_message(exc))
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
            messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else refusal_message(exc))
        else:
            messages.success(request, _("已改派给 %(user)s：%(obj)s") % {"user": user.get_full_name() or user.username, "obj": obj})
        return _back(request, reverse("work:inbox:index") + "?scope=team")


class DashboardView(LoginRequiredMixin, View):
    """统计: counts by state, category and month, overdue work, amounts claimed and recovered — over
    the cases the user may see. A fixed handful of aggregate queries."""

    def get(self, request):
        if not request.user.has_perm("casework.view_dashboard"):
            raise PermissionDenied
        today = timezone.localdate()
        cases = visible_cases(request.user)
        by_state = dict(cases.order_by().values_list("state").annotate(n=Count("id")))
        state_items = [(label, by_state.get(value, 0)) for value, label in CaseState.choices]
        by_category = dict(
            Category.objects.filter(case__in=cases).order_by().values_list("name").annotate(n=Count("case"))
        )
        category_items = sorted(((_(name), n) for name, n in by_category.items()), key=lambda kv: -kv[1])
        first_month = (today.replace(day=1) - relativedelta(months=11))
        monthly = {
            (row["month"].year, row["month"].month): row["n"] for row in
            cases.filter(received_on__gte=first_month).order_by().annotate(month=TruncMonth("received_on"))
            .values("month").annotate(n=Count("id"))
        }
        recovered_monthly = {
            (row["month"].year, row["month"].month): row["total"] for row in
            cases.filter(resolved_at__date__gte=first_month, amount_recovered__isnull=False).order_by()
            .annotate(month=TruncMonth("resolved_at")).values("month").annotate(total=Sum("amount_recovered"))
        }
        months = [first_month + relativedelta(months=i) for i in range(12)]

        def month_label(m):
            return f"{m.month}月" if m.month != 1 else f"{m.year % 100}/1"

        month_items = [(month_label(m), monthly.get((m.year, m.month), 0)) for m in months]
        recovered_items = [(month_label(m), float(recovered_monthly.get((m.year, m.month)) or 0)) for m in months]
        horizon = today + datetime.timedelta(days=services.settings.WEIQUAN_LIMITATION_WARNING_DAYS)
        figures = cases.order_by().aggregate(
            open=Count("id", filter=Q(state__in=[s.value for s in CaseState if s not in (CaseState.CLOSED, CaseState.REJECTED, CaseState.RESOLVED)])),
            screening_overdue=Count("id", filter=Q(state__in=services.EDITABLE_STATES, screening_due_on__lt=today)),
            limitation_ending=Count("id", filter=Q(state__in=services.LIMITATION_WATCH_STATES, limitation_overridden=False,
                                                   limitation_ends_on__gte=today, limitation_ends_on__lte=horizon)),
            # not counting cases a supervisor accepted despite the limitation (a reasoned override)
            limitation_passed=Count("id", filter=Q(state__in=services.LIMITATION_WATCH_STATES, limitation_overridden=False,
                                                   limitation_ends_on__lt=today)),
            group=Count("id", filter=Q(is_group=True)),
            recovered=Sum("amount_recovered"),
            total=Count("id"),
        )
        claimed = cases.order_by().aggregate(claimed=Sum("claims__amount"))["claimed"] or Decimal("0")
        overdue_items = [
            (_("审查超期"), figures["screening_overdue"]),
            (_("时效30日内届满"), figures["limitation_ending"]),
            (_("时效已届满（未申请仲裁）"), figures["limitation_passed"]),
        ]
        context = {
            "figures": figures, "claimed": claimed, "recovered": figures["recovered"] or Decimal("0"),
            "state_chart": charts.bar_chart(state_items, title=_("按状态"), label_w=90),
            "category_chart": charts.bar_chart(category_items, title=_("按争议类别"), label_w=140),
            "month_chart": charts.column_chart(month_items, title=_("按月登记")),
            "recovered_chart": charts.column_chart(recovered_items, title=_("按月挽回金额"), money=True, series_class="wq-col money"),
            "overdue_chart": charts.bar_chart(overdue_items, title=_("期限"), label_w=170, css_class="warn",
                                              hot={label for label, v in overdue_items if v}),
            "open_tasks": open_tasks().count(),
        }
        return render(request, "work/dashboard.html", context)
