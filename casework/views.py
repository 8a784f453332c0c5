"""Screens of the web interface for dispute intake (routed by casework/viewsets.py).

Views are thin, like the API: a form parses the request, a service in casework.services does the
work, a template shows the result. What a user sees is what `case_visibility_filter` lets them see
(anything else is 404); the transitions' forms are core's one transition view, made from
casework/transitions.py. A service's refusal is shown inline, in the user's language, on the form
they filled in, with everything they typed still there.
"""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import FileResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from core import charts, dashboard, identifiers
from core import services as parties
from core.selectors import visible_workers
from core.models import Category
from core.views import page_context, refusal_message, service_errors
from core.inbox import open_tasks

from . import forms as f
from . import services
from .api import CaseFilter
from .models import Case, CaseClaimant, CaseState, Claim, Evidence
from .rules import EDITABLE_STATES, LIMITATION_WATCH_STATES, limitation_for
from .selectors import claim_total, claimant_count, search_cases, visible_cases


def get_case(request, pk):
    return get_object_or_404(visible_cases(request.user), pk=pk)


# --------------------------------------------------------------------------------------------------
# Case list
# --------------------------------------------------------------------------------------------------


class CaseListView(LoginRequiredMixin, View):
    """Filters, search and pagination: 6 queries for a page whatever the table's size (count, the
    page's ids, its rows, categories, respondents, claimants), plus the session's few."""

    paginate_by = 25
    template_name = "casework/case_list.html"

    def get_queryset(self, form):
        cases = visible_cases(self.request.user)
        if form.is_valid():
            cases = CaseFilter(data=form.api_params(), queryset=cases).qs
            cases = search_cases(cases, form.cleaned_data.get("q"))
        return cases

    def get(self, request):
        form = f.CaseFilterForm(request.GET or None)
        if not request.GET:
            form = f.CaseFilterForm({})
        # Deferred join: the page is chosen on bare ids (the OFFSET walks the primary key index and
        # evaluates nothing per skipped row), then only its 25 rows get their joins and sums.
        ids = self.get_queryset(form).order_by("-id").values_list("pk", flat=True)
        page = Paginator(ids, self.paginate_by).get_page(request.GET.get("page"))
        page_ids = list(page.object_list)
        by_id = {
            case.pk: case for case in Case.objects.filter(pk__in=page_ids)
            .select_related("handler", "legal_aid_by")
            .annotate(claim_total=claim_total(), claimant_count=claimant_count())
            .prefetch_related(
                "categories", "respondents",
                Prefetch("case_claimants", queryset=CaseClaimant.objects.select_related("worker").order_by("id")),
            )
        }
        page.object_list = [by_id[pk] for pk in page_ids]
        query = request.GET.copy()
        query.pop("page", None)
        today = timezone.localdate()
        rows = []
        for case in page:
            claimants = list(case.case_claimants.all())
            due = case.screening_due_on if case.state in EDITABLE_STATES else None
            rows.append({
                "case": case, "first_claimant": claimants[0].worker if claimants else None,
                "due": due, "overdue": due is not None and due < today,
                "limitation_soon": case.limitation_ends_on is not None and case.state in LIMITATION_WATCH_STATES
                and 0 <= (case.limitation_ends_on - today).days <= settings.WEIQUAN_LIMITATION_WARNING_DAYS,
            })
        return render(request, self.template_name, {
            "form": form, "page": page, "rows": rows, "query": query.urlencode(),
            "can_add": request.user.has_perm("casework.add_case"),
        })


# --------------------------------------------------------------------------------------------------
# Case page
# --------------------------------------------------------------------------------------------------


def case_context(request, case, **extra):
    user = request.user
    case = (
        visible_cases(user).select_related("handler", "legal_aid_by", "created_by")
        .prefetch_related(
            Prefetch("case_claimants", queryset=CaseClaimant.objects.select_related("worker")),
            "respondents", "categories", Prefetch("claims", queryset=Claim.objects.select_related("category")),
        ).get(pk=case.pk)
    )
    claim_total = sum((c.amount for c in case.claims.all() if c.amount is not None), Decimal("0"))
    limitation = limitation_for(case)
    today = timezone.localdate()
    context = {
        "case": case,
        **page_context(request, case, transition_url_name="casework:cases:transition"),
        "claimants": list(case.case_claimants.all()), "claims": list(case.claims.all()), "claim_total": claim_total,
        "evidence": list(case.evidence.select_related("uploaded_by")),
        "evidence_form": extra.pop("evidence_form", None) or f.EvidenceForm(),
        "can_add_evidence": user.has_perm("casework.change_case", case) or case.legal_aid_by_id == user.pk,
        "screening_due": case.screening_due_on if case.state in EDITABLE_STATES else None,
        # the limitation matters until arbitration is applied for (or the case is over)
        "limitation": limitation if case.state in LIMITATION_WATCH_STATES else None, "today": today,
        "limitation_days": (limitation.date - today).days if limitation else None,
        "limitation_warning_days": settings.WEIQUAN_LIMITATION_WARNING_DAYS,
        "max_evidence_mb": settings.WEIQUAN_EVIDENCE_MAX_BYTES // (1024 * 1024),
        "evidence_types": " ".join(services.EVIDENCE_EXTENSIONS),
    }
    context.update(extra)
    return context


class CaseDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        case = get_case(request, pk)
        return render(request, "casework/case_detail.html", case_context(request, case))


class EvidenceUploadView(LoginRequiredMixin, View):
    def post(self, request, pk):
        case = get_case(request, pk)
        form = f.EvidenceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                evidence = services.add_evidence(case=case, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                service_errors(exc, form)
            except PermissionDenied as exc:
                form.add_error(None, refusal_message(exc))
            else:
                messages.success(request, _("证据已上传：%(name)s（SHA-256 %(hash)s…）") % {
                    "name": evidence.original_name, "hash": evidence.sha256[:12]})
                return HttpResponseRedirect(reverse("casework:cases:detail", args=[case.pk]) + "#evidence")
        return render(request, "casework/case_detail.html", case_context(request, case, evidence_form=form), status=400)


class EvidenceDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk, evidence_pk):
        case = get_case(request, pk)
        evidence = get_object_or_404(Evidence, pk=evidence_pk, case=case)
        response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name)
        response["X-Evidence-SHA256"] = evidence.sha256
        return response


# --------------------------------------------------------------------------------------------------
# Intake
# --------------------------------------------------------------------------------------------------


class WorkerLookupView(LoginRequiredMixin, View):
    """GET ?q=<phone or ID number>: the registered worker, for the intake form (JSON)."""

    def get(self, request):
        if not request.user.has_perm("core.view_worker"):
            raise PermissionDenied
        text = (request.GET.get("q") or "").strip()
        worker, error = None, ""
        if not text:
            error = _("请输入手机号或身份证号码。")
        elif len(identifiers.normalise_resident_id(text)) == 18 and not text.startswith("+"):
            try:
                worker = parties.find_worker(id_number=identifiers.validate_resident_id(text), among=visible_workers(request.user))
            except ValidationError as exc:
                error = exc.messages[0]
        else:
            try:
                worker = parties.find_worker(phone=identifiers.normalise_phone(text), among=visible_workers(request.user))
            except ValidationError as exc:
                error = exc.messages[0]
        if worker is None:
            return JsonResponse({"found": False, "error": error, "message": error or _("未找到已登记的劳动者，请在下方登记新劳动者。")})
        return JsonResponse({"found": True, "worker": {
            "id": worker.pk, "name": worker.name, "id_number_masked": worker.id_number_masked,
            "phone": worker.phone, "occupation": worker.get_occupation_display(),
        }})


def resolve_worker(form, actor):
    """The worker a claimant row stands for: chosen, looked up, or registered now."""
    data = form.cleaned_data
    if data.get("worker"):
        return data["worker"]
    if data.get("id_number"):
        found = parties.find_worker(id_number=data["id_number"])
        if found:
            return found
    lookup = (data.get("lookup") or "").strip()
    if lookup and not data.get("id_number"):
        found = None
        try:
            found = parties.find_worker(id_number=identifiers.validate_resident_id(lookup))
        except ValidationError:
            try:
                found = parties.find_worker(phone=identifiers.normalise_phone(lookup))
            except ValidationError:
                pass
        if found:
            return found
        if not data.get("name"):
            raise ValidationError({"lookup": [_("未找到该手机号或身份证号的劳动者；新劳动者请填写姓名和身份证号码。")]})
    try:
        return parties.register_worker(
            actor=actor, name=data["name"], id_number=data["id_number"], occupation=data["occupation"],
            phone=data.get("phone") or "", is_union_member=data.get("is_union_member", False),
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        raise


class IntakeView(LoginRequiredMixin, View):
    """Register a walk-in worker's complaint in one form: claimants (found or new), respondents
    (chosen or new), claims, evidence. Everything in one transaction: a refusal leaves nothing
    behind, and the form comes back with what was typed (files must be chosen again)."""

    template_name = "casework/intake.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("casework.add_case"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, claimants, claims, status=200, evidence_errors=()):
        return render(self.request, self.template_name, {
            "form": form, "claimants": claimants, "claims": claims, "evidence_errors": evidence_errors,
            "evidence_types": ",".join(services.EVIDENCE_EXTENSIONS),
            "max_evidence_mb": settings.WEIQUAN_EVIDENCE_MAX_BYTES // (1024 * 1024),
            "lookup_url": reverse("casework:cases:lookup_worker"),
        }, status=status)

    def get(self, request):
        return self.render_form(f.IntakeForm(), f.ClaimantFormSet(prefix="claimant"), f.ClaimFormSet(prefix="claim"))

    def post(self, request):
        form = f.IntakeForm(request.POST)
        claimants = f.ClaimantFormSet(request.POST, prefix="claimant")
        claims = f.ClaimFormSet(request.POST, prefix="claim")
        files = request.FILES.getlist("evidence")
        evidence_errors = []
        for upload in files:
            try:
                services.validate_evidence_file(upload)
            except ValidationError as exc:
                evidence_errors.append(f"{upload.name}：{exc.messages[0]}")
        valid = form.is_valid() & claimants.is_valid() & claims.is_valid()
        if not valid or evidence_errors:
            return self.render_form(form, claimants, claims, evidence_errors=evidence_errors)
        try:
            with transaction.atomic():
                case = self.create(form, claimants, claims, files)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        if field in form.fields:
                            form.add_error(field, message)
                        elif field == "credit_code":
                            form.add_error("new_respondent_credit_code", message)
                        elif field in ("name",) and form.cleaned_data.get("new_respondent_name"):
                            form.add_error("new_respondent_name", message)
                        elif field == "override_reason":
                            form.add_error("override_reason", message)
                        elif field in ("claims",):
                            form.add_error(None, message)
                        elif field in ("id_number", "phone", "lookup"):
                            pass  # already on the claimant row
                        else:
                            form.add_error(None, message)
            else:
                for message in exc.messages:
                    form.add_error(None, message)
            if not form.errors and not any(claimants.errors):
                form.add_error(None, _("登记未完成，请检查上面的内容。"))
            return self.render_form(form, claimants, claims)
        except PermissionDenied as exc:
            form.add_error(None, refusal_message(exc))
            return self.render_form(form, claimants, claims, status=403)
        messages.success(request, _("已登记：%(number)s %(title)s") % {"number": case.number, "title": case.title})
        return HttpResponseRedirect(reverse("casework:cases:detail", args=[case.pk]))

    def create(self, form, claimants, claims, files):
        user = self.request.user
        data = form.cleaned_data
        workers, representatives = [], []
        for row in claimants:
            if not row.has_changed() and row.empty_permitted:
                continue
            worker = resolve_worker(row, user)
            if worker not in workers:
                workers.append(worker)
            if row.cleaned_data.get("is_representative"):
                representatives.append(worker)
        respondents = list(data["respondents"])
        if data.get("new_respondent_name"):
            respondents.append(parties.register_organisation(
                actor=user, name=data["new_respondent_name"].strip(), kind=data["new_respondent_kind"],
                credit_code=data.get("new_respondent_credit_code") or None,
                override_credit_code=data.get("override_credit_code", False),
                override_reason=data.get("override_reason", ""),
            ))
        claim_rows = [
            {"category": row.cleaned_data["category"].code, "description": row.cleaned_data["description"],
             "amount": row.cleaned_data.get("amount")}
            for row in claims if row.has_changed() and row.cleaned_data.get("description")
        ]
        case = services.create_case(
            actor=user, title=data["title"], channel=data["channel"], facts=data["facts"],
            claimants=workers, representatives=representatives, respondents=respondents,
            categories=[c.code for c in data["categories"]], claims=claim_rows,
            received_on=data["received_on"], infringement_known_on=data.get("infringement_known_on"),
            employment_ended_on=data.get("employment_ended_on"),
        )
        for upload in files:
            services.add_evidence(case=case, actor=user, file=upload, description=data.get("evidence_description", ""))
        return case


# --------------------------------------------------------------------------------------------------
# The dashboard (on the work bench: casework/viewsets.py)
# --------------------------------------------------------------------------------------------------


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
        horizon = today + datetime.timedelta(days=settings.WEIQUAN_LIMITATION_WARNING_DAYS)
        figures = cases.order_by().aggregate(
            open=Count("id", filter=Q(state__in=[s.value for s in CaseState if s not in (CaseState.CLOSED, CaseState.REJECTED, CaseState.RESOLVED)])),
            screening_overdue=Count("id", filter=Q(state__in=EDITABLE_STATES, screening_due_on__lt=today)),
            limitation_ending=Count("id", filter=Q(state__in=LIMITATION_WATCH_STATES, limitation_overridden=False,
                                                   limitation_ends_on__gte=today, limitation_ends_on__lte=horizon)),
            # not counting cases a supervisor accepted despite the limitation (a reasoned override)
            limitation_passed=Count("id", filter=Q(state__in=LIMITATION_WATCH_STATES, limitation_overridden=False,
                                                   limitation_ends_on__lt=today)),
            group=Count("id", filter=Q(is_group=True)),
            recovered=Sum("amount_recovered"),
            total=Count("id"),
        )
        claimed = cases.order_by().aggregate(claimed=Sum("claims__amount"))["claimed"] or Decimal("0")
        overdue_items = [
            (_("审查超期"), figures["screening_overdue"]),
            (_("时效%(days)d日内届满") % {"days": settings.WEIQUAN_LIMITATION_WARNING_DAYS}, figures["limitation_ending"]),
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
            "limitation_warning_days": settings.WEIQUAN_LIMITATION_WARNING_DAYS,
            # the modules' own sections (core.dashboard: e.g. the check-up's figures)
            "sections": dashboard.sections(request),
        }
        return render(request, "work/dashboard.html", context)
