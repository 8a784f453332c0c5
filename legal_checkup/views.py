"""Screens of the web interface for the legal health check (routed by legal_checkup/viewsets.py).

As for bargaining: a form parses the request, a `legal_checkup.services` function does the work, a
template shows the result. A user sees what `selectors.visible_to` lets them see, anything else is
404: union staff every checkup; a company contact only their own company's, and only once the
report is issued. Buttons come from the transition declarations.

Two pages per checkup, on the same address:

- union staff get the working page (`checkup_context`): the assessments with the assessors' notes
  and the workers interviewed (union-internal), the findings and their review, the team and its
  conflict check, the score's computation, the documents, the journal;
- a company contact gets the report page (`company_context`), built from its own, narrower reads:
  the issued report as the company receives it (worker names redacted, as in the PDF), each
  finding's due date, status and what the company must do, its replies and the letters addressed
  to it. That context never holds an assessment object, a note, an interview, a review comment or
  the journal's comments, so no template can show them by mistake.

The forms on a checkup are in form_views.py, the checklists' pages in checklist_views.py.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from core import documents, errors
from core.inbox import open_tasks
from core.models import Organisation
from core.roles import is_company_contact
from core.transitions import allowed_transitions, machine_for
from core.views import documents_panel, page_context, service_errors

from . import page_forms as f
from . import selectors, services
from .models import ISSUED_STATES, CheckupState as S, Finding, Letter, Reply, Result, Severity
from .rules import RESULT_VALUES, WEIGHTS, is_union_staff, score
from .services.audit import conflicts_of
from .services.common import redact_workers, worker_names
from .services.company import ESCALATION_STATES, REPLY_STATES, overdue

DETAIL = "legal_checkup:checkups:detail"
TRANSITION = "legal_checkup:checkups:transition"
TEAM_STATES = (S.REQUESTED, S.PLANNED, S.FIELDWORK)
# The staff page's journal shows the latest steps; the earlier ones fold away (the fieldwork alone
# journals every item assessed).
TIMELINE_RECENT = 8
# What the company sees of the journal: the steps since the report reached it, without comments.
COMPANY_EVENTS = ("issue", "start_rectification", "reply", "escalate", "letter_reply", "follow_up", "close")


def days_left(day, today=None):
    return (day - (today or timezone.localdate())).days if day else None


def is_staff_viewer(user) -> bool:
    """Union staff (a company contact never, whatever else they are)."""
    return is_union_staff(user) and not is_company_contact(user)


def may_work(user, checkup) -> bool:
    return user.has_perm("legal_checkup.change_checkup", checkup)


def open_findings(findings_qs):
    """Findings the company still has to rectify: not rectified, no reply saying it is done."""
    return findings_qs.exclude(status=Finding.Status.RECTIFIED).exclude(replies__done=True)


def person(user):
    return (user.get_full_name() or user.get_username()) if user else ""


# --------------------------------------------------------------------------------------------------
# The list (union staff) and the company's home (a company contact)
# --------------------------------------------------------------------------------------------------


class CheckupListView(LoginRequiredMixin, View):
    paginate_by = 25

    def get(self, request):
        if is_company_contact(request.user):
            return render(request, "legal_checkup/company_home.html", company_home(request))
        if not is_union_staff(request.user):
            raise PermissionDenied
        user = request.user
        visible = selectors.visible_to(user)
        companies = Organisation.objects.filter(checkups__in=visible).distinct().order_by("name")
        form = f.CheckupFilterForm(request.GET or None, companies=companies)
        checkups = visible
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            checkups = selectors.search(checkups, state=data.get("state"), company=data.get("company"),
                                        grade=data.get("grade"), text=(data.get("q") or "").strip())
        today = timezone.localdate()
        open_due = Subquery(open_findings(Finding.objects.filter(checkup=OuterRef("pk"), due_on__isnull=False))
                            .order_by("due_on").values("due_on")[:1])
        page = Paginator(checkups.order_by("-id").annotate(n_findings=Count("findings", distinct=True),
                                                           next_due=open_due),
                         self.paginate_by).get_page(request.GET.get("page"))
        rows = []
        for c in page.object_list:
            due = c.next_due if c.state in (S.ISSUED, S.RECTIFYING, S.FOLLOW_UP) else None
            left = days_left(due, today)
            rows.append({"c": c, "due": due, "days_left": left, "overdue": left is not None and left < 0,
                         "soon": left is not None and 0 <= left <= 7})
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "legal_checkup/checkup_list.html", {
            "form": form, "page": page, "rows": rows, "query": query.urlencode(),
            "can_create": user.has_perm("legal_checkup.add_checkup"),
            "can_manage_checklists": user.has_perm("legal_checkup.manage_checklists"),
        })


def todo_for_company(checkup, findings, letters, today):
    """What the company must do now, in plain words (the portal's "待办")."""
    todo = []
    if checkup.state == S.ISSUED:
        todo.append(_("签收报告：点击“签收报告并开始整改”。"))
    if checkup.state in REPLY_STATES:
        unanswered = [x for x in findings if not x["replies"]]
        pending = [x for x in findings if x["replies"] and not x["done"] and x["status"] != Finding.Status.RECTIFIED]
        if unanswered:
            todo.append(_("逐项答复整改措施：还有 %(n)d 项问题未答复。") % {"n": len(unanswered)})
        if pending:
            todo.append(_("整改完成后更新答复：%(n)d 项问题尚未完成整改。") % {"n": len(pending)})
    for letter in letters:
        if letter["replied_on"] is None:
            todo.append(_("书面答复%(kind)s（答复期限 %(due)s）。") % {"kind": letter["kind"],
                                                              "due": f"{letter['reply_due']:%Y-%m-%d}"})
    return todo


def company_home(request):
    """A company contact's home: their company's issued checkups, each finding's due date and status,
    and what they must do."""
    user = request.user
    today = timezone.localdate()
    checkups = []
    for c in selectors.visible_to(user).order_by("-issued_on", "-id").prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related("item").prefetch_related("replies", "letters"))):
        findings = [finding_row(x, [], today) for x in c.findings.all()]
        letters = [letter_row(letter) for x in c.findings.all() for letter in x.letters.all()
                   if letter.addressee_id == c.company_id]
        checkups.append({"c": c, "findings": findings, "todo": todo_for_company(c, findings, letters, today),
                         "overdue": sum(1 for x in findings if x["overdue"])})
    return {"checkups": checkups, "organisation": getattr(getattr(user, "profile", None), "organisation", None)}


# --------------------------------------------------------------------------------------------------
# The checkup page: rows shared by both pages
# --------------------------------------------------------------------------------------------------


def finding_row(finding, names, today, *, staff=False):
    """A finding as a page shows it. `names`: the workers' names to redact (the company's page)."""
    replies = list(finding.replies.all())
    done = any(r.done for r in replies)
    left = days_left(finding.due_on, today) if not done and finding.status != Finding.Status.RECTIFIED else None
    row = {
        "pk": finding.pk, "finding": finding if staff else None, "code": finding.item.code, "title": finding.item.title,
        "severity": finding.severity, "severity_label": finding.get_severity_display(),
        "legal_basis": finding.legal_basis, "found": redact_workers(finding.found, names),
        "risk": redact_workers(finding.risk, names), "recommendation": redact_workers(finding.recommendation, names),
        "due_on": finding.due_on, "days_left": left, "overdue": left is not None and left < 0,
        "soon": left is not None and 0 <= left <= 7,
        "status": finding.status, "status_label": finding.get_status_display(),
        "escalation": finding.escalation, "done": done,
        "reassessed_result": finding.get_reassessed_result_display(), "reassessed_on": finding.reassessed_on,
        "reassessment_note": redact_workers(finding.reassessment_note, names),
        "replies": [{"pk": r.pk, "plan": redact_workers(r.plan, names), "responsible": r.responsible,
                     "target_on": r.target_on, "done": r.done, "created_at": r.created_at,
                     "by": person(r.created_by), "evidence": list(r.evidence.all())} for r in replies],
        "repeat": finding.repeat_of_id is not None,
    }
    return row


def letter_row(letter, today=None):
    today = today or timezone.localdate()
    left = days_left(letter.reply_due, today) if letter.replied_on is None else None
    return {"pk": letter.pk, "letter": letter, "kind_code": letter.kind, "kind": letter.get_kind_display(),
            "issued_on": letter.issued_on, "reply_due": letter.reply_due, "replied_on": letter.replied_on,
            "reply_text": letter.reply_text, "addressee": letter.addressee.name, "days_left": left,
            "overdue": left is not None and left < 0, "checkup_id": letter.finding.checkup_id,
            "document": documents.documents_for(letter).filter(status="ready").order_by("-version").first(),
            "handed_over": letter.kind == Letter.Kind.RECOMMENDATION}


def score_breakdown(assessments):
    """Per severity: its weight and how many items were found compliant, partial, non-compliant, n/a."""
    counts = Counter((a.item.severity, a.result or "") for a in assessments)
    rows = []
    for severity, label in Severity.choices:
        rows.append({
            "severity": severity, "label": label, "weight": WEIGHTS[severity],
            "compliant": counts[(severity, Result.COMPLIANT)], "partial": counts[(severity, Result.PARTIAL)],
            "non_compliant": counts[(severity, Result.NON_COMPLIANT)],
            "not_applicable": counts[(severity, Result.NOT_APPLICABLE)], "open": counts[(severity, "")],
        })
    return rows


def the_score(assessments):
    assessed = [(a.item.severity, a.result) for a in assessments if a.result in RESULT_VALUES or a.result == "not_applicable"]
    return score(assessed) if assessed else None


def buttons_for(request, checkup):
    machine = machine_for(checkup)
    allowed = allowed_transitions(checkup, request.user)
    return [{"name": t.name, "label": t.label, "style": t.style, "url": reverse(TRANSITION, args=[checkup.pk, t.name])}
            for t in machine if t.name in allowed]


# --------------------------------------------------------------------------------------------------
# The union staff's page
# --------------------------------------------------------------------------------------------------


def event_detail(event):
    payload = event.payload or {}
    bits = []
    if payload.get("item"):
        bits.append(_("事项 %(code)s") % {"code": payload["item"]})
    if payload.get("result"):
        bits.append(dict(Result.choices).get(payload["result"], payload["result"]))
    if payload.get("letter"):
        bits.append(dict(Letter.Kind.choices).get(payload["letter"], payload["letter"]))
    if payload.get("computation"):
        bits.append(payload["computation"])
    if payload.get("name") and event.transition in ("add_team_member", "add_evidence"):
        bits.append(payload["name"])
    return " · ".join(str(b) for b in bits)


def main_task(checkup):
    """The union's open task on this checkup (not a company contact's companion task)."""
    from .flows import COMPANION, CheckupFlow

    return (open_tasks().filter(artifact_object_id=checkup.pk, process__flow_class=CheckupFlow)
            .exclude(process__data__companion=COMPANION).select_related("owner").first())


def checkup_context(request, checkup, **extra):
    user = request.user
    c = (selectors.visible_to(user).select_related("union", "drafted_by", "approved_by", "created_by")
         .prefetch_related("team").get(pk=checkup.pk))
    today = timezone.localdate()
    work = may_work(user, c)
    assessments = list(c.assessments.select_related("item", "assessed_by").prefetch_related("evidence"))
    findings_qs = (c.findings.select_related("item", "repeat_of__checkup")
                   .prefetch_related(Prefetch("replies", queryset=Reply.objects.select_related("created_by")
                                              .prefetch_related("evidence")),
                                     Prefetch("letters", queryset=Letter.objects.select_related("addressee", "finding"))))
    can_escalate = user.has_perm("legal_checkup.escalate", c) and c.state in ESCALATION_STATES
    findings = []
    for x in findings_qs:
        row = finding_row(x, [], today, staff=True)
        row["repeat_of"] = x.repeat_of
        row["review_comment"] = x.review_comment
        row["letters"] = [letter_row(letter, today) for letter in x.letters.all()]
        row["can_edit"] = work and c.state == S.DRAFTING
        row["can_reassess"] = work and c.state == S.FOLLOW_UP
        row["can_reply"] = work and c.state in REPLY_STATES
        row["can_escalate"] = can_escalate and overdue(x, today) and x.escalation < len(Letter.LADDER)
        row["next_letter"] = Letter.LADDER[x.escalation].label if x.escalation < len(Letter.LADDER) else ""
        row["can_record_letter_reply"] = user.has_perm("legal_checkup.escalate", c)
        findings.append(row)
    with_finding = {x["finding"].assessment_id for x in findings}
    rows = [{"a": a, "evidence": list(a.evidence.all()), "has_finding": a.pk in with_finding,
             "can_assess": work and c.state == S.FIELDWORK,
             "can_reassess": work and c.state == S.FOLLOW_UP and a.pk not in with_finding} for a in assessments]
    lead_conflicts = conflicts_of(c.lead, c) if c.lead else []
    team = [{"user": u, "conflicts": conflicts_of(u, c)} for u in c.team.all()]

    actions = []
    if work and c.state in TEAM_STATES:
        actions.append({"name": "team", "label": _("加入检查组成员"), "url": reverse("legal_checkup:checkups:team", args=[c.pk])})

    base = page_context(request, c, transition_url_name=TRANSITION, detail=event_detail)
    task = main_task(c)
    if base["task"] is not None and (task is None or base["task"].pk != task.pk):
        base.update(task=task, can_claim=False, can_reassign=False, reassign_candidates=[])
    events = base.pop("events")
    earlier, recent = (events[:-TIMELINE_RECENT], events[-TIMELINE_RECENT:]) if len(events) > TIMELINE_RECENT + 2 else ([], events)
    current = the_score(assessments)
    final = None
    if c.state == S.CLOSED:
        from .services.transitions import final_results

        final = score(final_results(c))
    assessed = sum(1 for a in assessments if a.result)
    context = {
        "c": c, **base, "events": recent, "events_earlier": earlier, "actions": actions, "work": work, "internal": True, "today": today,
        "rows": rows, "findings": findings, "team": team, "lead_conflicts": lead_conflicts,
        "assessed": assessed, "to_assess": len(assessments) - assessed,
        "current_score": current, "breakdown": score_breakdown(assessments), "final_score": final,
        "lead_name": person(c.lead), "contacts": company_contacts(c),
    }
    context.update(extra)
    return context


def company_contacts(checkup):
    from django.contrib.auth import get_user_model

    from core.roles import Role

    return list(get_user_model().objects.filter(groups__name=Role.COMPANY_CONTACT, is_active=True,
                                                profile__organisation=checkup.company_id).order_by("pk"))


# --------------------------------------------------------------------------------------------------
# The company contact's page
# --------------------------------------------------------------------------------------------------


def company_context(request, checkup, **extra):
    """The issued report as the company receives it; never notes, interviews, review comments or
    the journal's comments (see the module's doc)."""
    user = request.user
    c = selectors.visible_to(user).select_related("union").get(pk=checkup.pk)
    today = timezone.localdate()
    names = worker_names()
    findings_qs = (c.findings.select_related("item", "repeat_of__checkup")
                   .prefetch_related(Prefetch("replies", queryset=Reply.objects.select_related("created_by")
                                              .prefetch_related("evidence")),
                                     Prefetch("letters", queryset=Letter.objects.select_related("addressee", "finding"))))
    may_reply = user.has_perm("legal_checkup.reply", c) and c.state in REPLY_STATES
    findings = []
    letters = []
    for x in findings_qs:
        row = finding_row(x, names, today)
        mine = [letter_row(letter, today) for letter in x.letters.all() if letter.addressee_id == c.company_id]
        row["letters"] = mine
        letters.extend(mine)
        row["can_reply"] = may_reply
        earlier = x.repeat_of.checkup if x.repeat_of_id else None
        row["repeat_of_number"] = earlier.number if earlier else ""
        row["repeat_of_visible"] = earlier is not None and earlier.company_id == c.company_id and earlier.state in ISSUED_STATES
        row["repeat_of_pk"] = earlier.pk if earlier else None
        findings.append(row)
    assessments = list(c.assessments.select_related("item").only(
        "id", "result", "examined", "not_applicable_reason", "reassessed_result", "item__code", "item__title",
        "item__severity", "item__order", "checkup_id"))
    items = [{"code": a.item.code, "title": a.item.title, "severity": a.item.get_severity_display(),
              "weight": WEIGHTS[a.item.severity], "result": a.result, "result_label": a.get_result_display(),
              "examined": redact_workers(a.examined, names), "na_reason": redact_workers(a.not_applicable_reason, names)}
             for a in assessments]
    events = [{"label": e.label, "created_at": e.created_at, "actor": e.actor_name, "detail": e.detail}
              for e in page_timeline(c) if e.transition in COMPANY_EVENTS]
    final = None
    if c.state == S.CLOSED:
        from .services.transitions import final_results

        final = score(final_results(c))
    context = {
        "c": c, "buttons": buttons_for(request, c), "findings": findings, "letters": letters, "items": items,
        "score": the_score(assessments), "final_score": final, "breakdown": score_breakdown(assessments),
        "documents": documents_panel(c, []), "kinds": [], "events": events, "today": today,
        "todo": todo_for_company(c, findings, letters, today), "may_reply": may_reply,
        "lead_name": person(c.lead),
    }
    context.update(extra)
    return context


def page_timeline(checkup):
    from core.views import timeline

    return timeline(checkup, detail=event_detail)


class CheckupDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        checkup = get_object_or_404(selectors.visible_to(request.user), pk=pk)
        if is_company_contact(request.user):
            return render(request, "legal_checkup/checkup_company.html", company_context(request, checkup))
        return render(request, "legal_checkup/checkup_detail.html", checkup_context(request, checkup))


# --------------------------------------------------------------------------------------------------
# A new checkup
# --------------------------------------------------------------------------------------------------


class CheckupCreateView(LoginRequiredMixin, View):
    template_name = "legal_checkup/checkup_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("legal_checkup.add_checkup"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {"form": form, "label": _("登记法治体检")}, status=status)

    def get(self, request):
        initial = {}
        if request.GET.get("company", "").isdigit():
            initial["company"] = int(request.GET["company"])
        return self.render_form(f.CheckupForm(initial=initial))

    def post(self, request):
        form = f.CheckupForm(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            c = services.create_checkup(actor=request.user, **form.cleaned_data)
        except errors.HANDLED as exc:
            described = errors.describe(exc)
            service_errors(exc, form)
            return self.render_form(form, status=described.status)
        messages.success(request, _("已登记法治体检 %(number)s：下一步制定体检计划。") % {"number": c.number})
        return HttpResponseRedirect(reverse(DETAIL, args=[c.pk]))


# --------------------------------------------------------------------------------------------------
# The dashboard's section (core.dashboard; registered in viewsets.py)
# --------------------------------------------------------------------------------------------------


def dashboard_context(request) -> dict:
    """What leadership asks for: checkups by state and grade, the items failed most across
    companies, the rectification rate, letters issued per kind and the share answered, overdue
    findings (selectors.figures, the API's table too)."""
    from core import charts

    figures = selectors.figures()
    by_state = [(label, figures["by_state"].get(value, 0)) for value, label in S.choices]
    by_grade = [(grade, figures["by_grade"].get(grade, 0)) for grade in ("A", "B", "C", "D")]
    failed = [(f"{row['item__code']} {row['item__title'][:14]}", row["findings"]) for row in figures["most_failed"]]
    letters = []
    for kind, label in Letter.Kind.choices:
        row = figures["letters"].get(kind, {"issued": 0, "answered": 0})
        share = round(100 * row["answered"] / row["issued"]) if row["issued"] else None
        letters.append({"kind": kind, "label": label, **row, "share": share})
    rate = figures["rectification_rate"]
    return {
        "total": sum(figures["by_state"].values()),
        "open": sum(n for s, n in figures["by_state"].items() if s not in (S.CLOSED, S.CANCELLED)),
        "rate": None if rate is None else round(rate * 100, 1),
        "overdue": figures["overdue_findings"], "letters": letters, "most_failed": figures["most_failed"],
        "state_chart": charts.bar_chart(by_state, title=_("法治体检按状态"), label_w=100),
        "grade_chart": charts.bar_chart(by_grade, title=_("体检等级"), label_w=40),
        "failed_chart": charts.bar_chart(failed, title=_("不符合最多的事项"), label_w=190, css_class="warn") if failed else "",
    }
