"""Screens of the web interface for collective bargaining (routed by bargaining/viewsets.py).

As for mediation: a form parses the request, a `bargaining.services` function does the work, a
template shows the result. A user sees what `selectors.visible_to` lets them see (anything else is
404: a company contact sees only the negotiations their organisation is a party to, and may only
answer the proposal); buttons come from the transition declarations. The union side's internal
notes are read only for a user with `bargaining.view_union_notes` (union staff): the page's context
never holds them for anyone else, so no template can show them by mistake.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from core import errors
from core.models import Organisation, Worker
from core.roles import is_company_contact
from core.views import ObjectFormView, page_context, service_errors

from . import page_forms as f
from . import contract_text, selectors, services
from .documents import event_detail
from .models import TEAM_STATES, NegotiationState as S, Position, Round, Side, UnionNote
from .rules import composition_problems, renewal_opens
from .services.setup import EMPLOYER_SIDE_KINDS

DETAIL = "bargaining:negotiations:detail"
TRANSITION = "bargaining:negotiations:transition"


def days_left(day, today=None):
    return (day - (today or timezone.localdate())).days if day else None


def may_work(user, negotiation=None) -> bool:
    return user.has_perm("bargaining.change_negotiation", negotiation)


def sees_union_notes(user) -> bool:
    return user.has_perm("bargaining.view_union_notes") and not is_company_contact(user)


# --------------------------------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------------------------------


class NegotiationListView(LoginRequiredMixin, View):
    paginate_by = 25
    template_name = "bargaining/negotiation_list.html"

    def get(self, request):
        user = request.user
        visible = selectors.visible_to(user)
        employers = Organisation.objects.filter(kind__in=EMPLOYER_SIDE_KINDS,
                                                negotiations_as_employer__in=visible).distinct().order_by("name")
        form = f.NegotiationFilterForm(request.GET or None, employers=employers)
        negotiations = visible
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            negotiations = selectors.search(negotiations, state=data.get("state"), level=data.get("level"),
                                            employer=data.get("employer"), text=(data.get("q") or "").strip())
        ids = negotiations.order_by("-id").values_list("pk", flat=True)
        page = Paginator(ids, self.paginate_by).get_page(request.GET.get("page"))
        rows_by_id = {n.pk: n for n in selectors.visible_to(user).filter(pk__in=list(page.object_list))
                      .prefetch_related("employers")}
        today = timezone.localdate()
        rows = []
        for pk in page.object_list:
            n = rows_by_id[pk]
            due, label = next_date(n)
            left = days_left(due, today) if due else None
            rows.append({"n": n, "due": due, "due_label": label, "days_left": left,
                         "overdue": left is not None and left < 0, "soon": left is not None and 0 <= left <= 5})
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, self.template_name, {
            "form": form, "page": page, "rows": rows, "query": query.urlencode(),
            "can_create": user.has_perm("bargaining.add_negotiation"),
        })


def next_date(n):
    """The date the negotiation's current stage runs against, and what it is."""
    if n.state == S.PROPOSED:
        return n.reply_due, _("书面回应期限")
    if n.state == S.SIGNED:
        return n.filing_due, _("报送期限")
    if n.state == S.FILED:
        return n.objection_window_ends, _("审查异议期限")
    if n.state == S.EFFECTIVE:
        return n.expires_on, _("合同期满")
    return None, ""


# --------------------------------------------------------------------------------------------------
# The negotiation page
# --------------------------------------------------------------------------------------------------


STATUS_LABELS = {"added": _lazy("新增"), "removed": _lazy("删除"), "changed": _lazy("修改"), "unchanged": _lazy("未改")}


def redline_html(old, new) -> dict:
    """The redline between two versions (bargaining.contract_text.redline, the API's too), as HTML:
    clause by clause, <del> what went and <ins> what came."""
    red = contract_text.redline(old, new)
    out = []
    for row in red["clauses"]:
        status = row["status"]
        number = row["to_number"] or row["from_number"]
        head = format_html('<div class="wq-rl-head"><b>{}</b> {} <span class="wq-tag rl-{}">{}</span></div>',
                           _("第%(n)d条") % {"n": number}, row["title"], status, STATUS_LABELS[status])
        if status == "changed":
            body = "".join(
                str(format_html("<del>{}</del>", op["text"])) if op["op"] == "delete"
                else str(format_html("<ins>{}</ins>", op["text"])) if op["op"] == "insert"
                else str(escape(op["text"])) for op in row["diff"])
        elif status == "added":
            body = str(format_html("<ins>{}</ins>", row["to_text"]))
        elif status == "removed":
            body = str(format_html("<del>{}</del>", row["from_text"]))
        else:
            body = str(escape(row["to_text"]))
        out.append(f'<div class="wq-rl-clause {status}" data-status="{status}">{head}<div class="wq-rl-text">{body}</div></div>')
    red["html"] = mark_safe("".join(out))  # noqa: S308 - every piece escaped above
    return red


def gap_charts(rows) -> dict:
    """{topic id: SVG} for the numeric topics (bargaining.charts; nothing when it is missing)."""
    try:
        from .charts import gap_chart
    except ImportError:  # pragma: no cover - the chart module is optional for the page
        return {}
    charts = {}
    for row in rows:
        if row["topic"].numeric and row["rounds"]:
            try:
                svg = gap_chart(row)
            except Exception:  # noqa: BLE001 - a chart that cannot be drawn leaves the table
                svg = ""
            if svg:
                charts[row["topic"].pk] = svg
    return charts


def costing_of(negotiation):
    """bargaining.costing.cost_negotiation(negotiation), or None when it is not there (or there are
    no order statistics to cost against)."""
    try:
        from .costing import cost_negotiation
    except ImportError:  # pragma: no cover
        return None
    try:
        return cost_negotiation(negotiation)
    except Exception:  # noqa: BLE001 - the page shows the positions without their costing
        return None


def costs_by_topic(costing) -> dict:
    """{topic id: row} from cost_negotiation's rows (each with its "topic" id)."""
    return {row["topic"]: row for row in costing or ()}


def negotiation_context(request, negotiation, **extra):
    user = request.user
    n = (selectors.visible_to(user).select_related("filing_authority", "renewal_of", "created_by")
         .prefetch_related("employers", "negotiators__organisation", "negotiators__successor",
                           Prefetch("rounds", queryset=Round.objects.order_by("number").prefetch_related(
                               Prefetch("positions", queryset=Position.objects.select_related("topic")))))
         .get(pk=negotiation.pk))
    today = timezone.localdate()
    staff = may_work(user, n)
    notes_visible = sees_union_notes(user)

    topics = list(n.topics.select_related("topic"))
    notes = {}
    if notes_visible:
        notes = {note.topic_id: note for note in UnionNote.objects.filter(topic__negotiation=n)}
    comparison = selectors.comparison(n)
    charts = gap_charts(comparison)
    costs = costs_by_topic(costing_of(n)) if staff else {}
    for row in comparison:
        row["chart"] = charts.get(row["topic"].pk, "")
        row["cost"] = costs.get(row["topic"].pk)
    topic_rows = [{"t": t, "note": notes.get(t.pk), "cost": costs.get(t.pk)} for t in topics]

    seats = list(n.negotiators.all())
    vacancies = {seat.pk: due for seat, due in services.vacant_seats(n)}
    for seat in seats:
        seat.fill_due = vacancies.get(seat.pk)
        seat.fill_days = days_left(seat.fill_due.date, today) if seat.fill_due else None
        seat.filled_by = getattr(seat, "successor", None) if seat.vacated_on else None
    team = [{"side": label, "code": side, "seats": [s for s in seats if s.side == side]} for side, label in Side.choices]
    problems = composition_problems(n) if n.state == S.PREPARING else []

    versions = list(n.versions.order_by("number"))
    red = None
    if len(versions) >= 2:
        numbers = {v.number: v for v in versions}
        try:
            a = numbers.get(int(request.GET.get("from", 0))) or versions[-2]
            b = numbers.get(int(request.GET.get("to", 0))) or versions[-1]
        except ValueError:
            a, b = versions[-2], versions[-1]
        red = {**redline_html(a, b), "from": a, "to": b}

    actions = []
    if staff:
        def act(name, label, url_name):
            actions.append({"name": name, "label": label, "url": reverse(f"bargaining:negotiations:{url_name}", args=[n.pk])})
        if n.state in TEAM_STATES:
            act("negotiator", _("登记协商代表"), "negotiator")
            if any(s.vacated_on is None for s in seats):
                act("vacate", _("协商代表出缺"), "vacate")
        if n.state in (S.PREPARING, S.NEGOTIATING):
            act("topic", _("增加议题"), "topic")
        if n.state == S.NEGOTIATING and topics:
            act("round", _("记录协商会议"), "round")
        if n.state in (S.NEGOTIATING, S.DRAFTED):
            act("electorate", _("登记表决名册"), "electorate")
        if n.state == S.DRAFTED:
            act("contract", _("修改合同文本"), "contract")
        renewal_open = (n.state == S.EXPIRED or (n.state == S.EFFECTIVE and n.expires_on
                                                   and today >= renewal_opens(n.expires_on)))
        if renewal_open and not n.renewals.exists() and user.has_perm("bargaining.add_negotiation"):
            act("renewal", _("启动续订"), "renewal")

    base = page_context(request, n, transition_url_name=TRANSITION, detail=event_detail)
    if not staff:  # a company contact: answer the proposal, read the rest; no documents asked for
        base["kinds"] = []
        base["can_claim"] = base["can_reassign"] = False
        base["task"] = None
    due, due_label = next_date(n)
    context = {
        "n": n, **base, "actions": actions, "staff": staff, "notes_visible": notes_visible,
        "employers": list(n.employers.all()), "team": team,
        "occupations": [dict(Worker.Occupation.choices).get(o, o) for o in n.covered_occupations or ()], "problems": problems,
        "topic_rows": topic_rows, "comparison": comparison, "rounds": list(n.rounds.all()),
        "versions": versions, "current_version": versions[-1] if versions else None, "redline": red,
        "votes": list(n.votes.select_related("version").order_by("id")), "electorate": n.electors.count(),
        "renewals": list(n.renewals.all()),
        "due": due, "due_label": due_label, "due_days": days_left(due, today) if due else None,
        "reply_overdue": n.state == S.PROPOSED and n.reply_due and n.reply_due < today,
        "today": today,
    }
    context.update(extra)
    return context


class NegotiationDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        negotiation = get_object_or_404(selectors.visible_to(request.user), pk=pk)
        return render(request, "bargaining/negotiation_detail.html", negotiation_context(request, negotiation))


# --------------------------------------------------------------------------------------------------
# Creating a negotiation
# --------------------------------------------------------------------------------------------------


class NegotiationCreateView(LoginRequiredMixin, View):
    template_name = "bargaining/negotiation_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("bargaining.add_negotiation"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {"form": form, "label": _("登记集体协商")}, status=status)

    def get(self, request):
        return self.render_form(f.NegotiationForm())

    def post(self, request):
        form = f.NegotiationForm(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        data = form.cleaned_data
        try:
            n = services.create_negotiation(actor=request.user, **data)
        except errors.HANDLED as exc:
            described = errors.describe(exc)
            service_errors(exc, form)
            return self.render_form(form, status=described.status)
        messages.success(request, _("已登记集体协商 %(number)s。") % {"number": n.number})
        return HttpResponseRedirect(reverse(DETAIL, args=[n.pk]))


# --------------------------------------------------------------------------------------------------
# Forms on one negotiation (core.views.ObjectFormView)
# --------------------------------------------------------------------------------------------------


class NegotiationFormView(ObjectFormView):
    template_name = "bargaining/object_form.html"
    visible = staticmethod(selectors.visible_to)
    detail_url_name = DETAIL
    transition_url_name = TRANSITION
    permission = "bargaining.change_negotiation"


class NegotiatorView(NegotiationFormView):
    label = _("登记协商代表")
    form_class = f.NegotiatorForm
    anchor = "#team"

    def run(self, form):
        self.seat = services.set_negotiator(negotiation=self.obj, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("已登记协商代表：%(seat)s。") % {"seat": self.seat}


class VacateSeatView(NegotiationFormView):
    label = _("协商代表出缺")
    form_class = f.VacateSeatForm
    anchor = "#team"

    def run(self, form):
        self.seat = services.vacate_seat(actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("已登记 %(name)s 出缺，须在法定期限内补齐。") % {"name": self.seat.name}


class TopicView(NegotiationFormView):
    label = _("增加议题")
    form_class = f.TopicForm
    anchor = "#topics"

    def run(self, form):
        self.topic = services.set_topic(negotiation=self.obj, actor=self.request.user, **form.service_values())

    def success_message(self):
        return _("已增加议题：%(name)s。") % {"name": self.topic.name}


class RoundView(NegotiationFormView):
    label = _("记录协商会议")
    form_class = f.RoundForm
    anchor = "#rounds"

    def run(self, form):
        self.round = services.record_round(negotiation=self.obj, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("已记录第 %(n)d 轮协商会议。") % {"n": self.round.number}


class ElectorateView(NegotiationFormView):
    label = _("登记表决名册")
    form_class = f.ElectorateForm
    anchor = "#votes"

    def run(self, form):
        data = form.cleaned_data
        self.count = services.set_electorate(negotiation=self.obj, actor=self.request.user, electors=data["electors"],
                                             kind=data.get("kind") or None, comment=data.get("comment", ""))

    def success_message(self):
        return _("已登记表决名册，共 %(n)d 人。") % {"n": self.count}


class ContractView(NegotiationFormView):
    label = _("修改合同文本")
    form_class = f.ContractForm
    anchor = "#contract"

    def run(self, form):
        data = form.cleaned_data
        self.version = services.revise_contract(negotiation=self.obj, actor=self.request.user, clauses=form.clauses(),
                                                note=data.get("note", ""), comment=data.get("comment", ""))

    def success_message(self):
        return _("已保存合同文本第 %(n)d 版。") % {"n": self.version.number}


class RenewalView(NegotiationFormView):
    label = _("启动续订")
    form_class = f.RenewalForm
    permission = "bargaining.add_negotiation"

    def run(self, form):
        self.renewal = services.start_renewal(negotiation=self.obj, actor=self.request.user, **form.cleaned_data)

    def post(self, request, pk, **kwargs):
        response = super().post(request, pk, **kwargs)
        if getattr(self, "renewal", None) is not None:
            return HttpResponseRedirect(reverse(DETAIL, args=[self.renewal.pk]))
        return response

    def success_message(self):
        return _("已启动续订协商 %(number)s，议题取自原合同条款。") % {"number": self.renewal.number}


class UnionNoteView(NegotiationFormView):
    """The union's own brief on a topic: union staff only (a company contact never reaches it)."""

    label = _("工会内部备忘")
    form_class = f.UnionNoteForm
    anchor = "#topics"
    permission = "bargaining.view_union_notes"

    def dispatch(self, request, pk, **kwargs):
        if request.user.is_authenticated and not sees_union_notes(request.user):
            raise PermissionDenied
        return super().dispatch(request, pk, **kwargs)

    def get_form(self, data=None):
        topic = None
        if data is None and self.request.GET.get("topic", "").isdigit():
            topic = self.obj.topics.filter(pk=int(self.request.GET["topic"])).first()
        return self.form_class(data, subject=self.obj, topic=topic)

    def run(self, form):
        if not may_work(self.request.user, self.obj):
            raise PermissionDenied(_("只有集体协商专员或主管可以填写内部备忘。"))
        services.set_union_note(actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("已保存内部备忘（仅工会方可见）。")

