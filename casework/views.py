"""Screens of the web interface for dispute intake (routed by casework/viewsets.py).

Views are thin, like the API: a form parses the request, a service in casework.services does the
work, a template shows the result. What a user sees is what `case_visibility_filter` lets them see
(anything else is 404); what they may do is what the FSM's permissions (`allowed_transitions`) and
the rules predicates allow. A service's refusal is shown inline, in Chinese, on the form the user
filled in, with everything they typed still there.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, DecimalField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django_fsm import ConcurrentTransition

from . import diagrams, identifiers, journal, services
from . import documents as pipeline
from . import forms as f
from .filters import CaseFilter
from .models import Case, CaseClaimant, CaseState, Claim, Evidence
from .permissions import case_visibility_filter
from .selectors import matching_organisations, matching_workers
from .transitions import TransitionRefused, allowed_transitions
from .workflow import flow_for, open_tasks

TRANSITION_LABELS = {name: label for name, (label, _form, _style) in f.TRANSITIONS.items()}

# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def service_errors(exc, form, formsets=()):
    """Put a service's ValidationError on the form fields it names (else on the form as a whole)."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.message_dict.items():
        target = form if field in form.fields else None
        for message in errors:
            if target is not None:
                form.add_error(field, message)
            else:
                placed = False
                for formset in formsets:
                    if field in getattr(formset, "service_fields", ()):
                        formset.service_errors.append(message)
                        placed = True
                if not placed:
                    form.add_error(None, message)


def refusal_message(exc) -> str:
    if isinstance(exc, ConcurrentTransition):
        return _("该案件刚刚已被他人更新，请刷新页面确认当前状态后重试。您填写的内容已保留。")
    if isinstance(exc, TransitionRefused):
        case = exc.obj
        state = case.get_state_display() if hasattr(case, "get_state_display") else ""
        if exc.unmet:
            return _("暂不能执行：%(reasons)s") % {"reasons": "；".join(exc.unmet)}
        return _("案件当前状态（%(state)s）不能执行此操作。") % {"state": state}
    if isinstance(exc, PermissionDenied):
        return _("您没有权限执行此操作。") + (f"（{exc}）" if str(exc) and not str(exc).startswith("You ") else "")
    return str(exc)


def _claim_total():
    return Subquery(
        Claim.objects.filter(case=OuterRef("pk")).order_by().values("case_id").annotate(total=Sum("amount")).values("total"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _claimant_count():
    return Coalesce(
        Subquery(CaseClaimant.objects.filter(case=OuterRef("pk")).order_by().values("case_id")
                 .annotate(n=Count("pk")).values("n")), 0,
    )


def visible_cases(user):
    return Case.objects.filter(case_visibility_filter(user))


def get_case(request, pk):
    return get_object_or_404(visible_cases(request.user), pk=pk)


# --------------------------------------------------------------------------------------------------
# Case list
# --------------------------------------------------------------------------------------------------


def search_cases(queryset, text):
    """By case number or title, by worker (name, phone, ID number) or by company (name, credit code).

    Subqueries rather than joins, so a case matching twice is listed once and the count stays exact.
    """
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(number__icontains=text) | Q(title__icontains=text)
        | Q(pk__in=CaseClaimant.objects.filter(worker__in=matching_workers(text)).values("case_id"))
        | Q(pk__in=Case.respondents.through.objects.filter(
            organisation__in=matching_organisations(text)).values("case_id"))
    )


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
            .annotate(claim_total=_claim_total(), claimant_count=_claimant_count())
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
            due = case.screening_due_on if case.state in services.EDITABLE_STATES else None
            rows.append({
                "case": case, "first_claimant": claimants[0].worker if claimants else None,
                "due": due, "overdue": due is not None and due < today,
                "limitation_soon": case.limitation_ends_on is not None and case.state in services.LIMITATION_WATCH_STATES
                and 0 <= (case.limitation_ends_on - today).days <= 30,
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
    allowed = allowed_transitions(case, user)
    buttons = [
        {"name": name, "label": label, "style": style,
         "url": reverse("casework:cases:transition", args=[case.pk, name])}
        for name, (label, _form, style) in f.TRANSITIONS.items() if name in allowed
    ]
    events = list(journal.events_for(case))
    for event in events:
        event.label = f.EVENT_LABELS.get(event.transition, event.transition)
        event.from_label = CaseState(event.from_state).label if event.from_state in CaseState.values else event.from_state
        event.to_label = CaseState(event.to_state).label if event.to_state in CaseState.values else event.to_state
    documents = list(pipeline.documents_for(case).order_by("kind", "-version"))
    kinds = [k for k in pipeline.kinds_for(case) if k.allowed_in(case.state)
             and (not k.permission or user.has_perm(k.permission, case))]
    claim_total = sum((c.amount for c in case.claims.all() if c.amount is not None), Decimal("0"))
    flow_instance = flow_for(case)
    task = open_tasks().filter(artifact_object_id=case.pk, process__flow_class=type(flow_instance)).select_related("owner").first()
    limitation = services.limitation_for(case)
    today = timezone.localdate()
    context = {
        "case": case, "buttons": buttons, "events": events, "documents": documents, "kinds": kinds,
        "claimants": list(case.case_claimants.all()), "claims": list(case.claims.all()), "claim_total": claim_total,
        "evidence": list(case.evidence.select_related("uploaded_by")),
        "evidence_form": extra.pop("evidence_form", None) or f.EvidenceForm(),
        "can_add_evidence": user.has_perm("casework.change_case", case) or case.legal_aid_by_id == user.pk,
        "task": task, "task_flow": flow_instance,
        "can_reassign": task is not None and flow_instance.can_manage(user),
        "can_claim": task is not None and flow_instance.can_claim(user, task),
        "reassign_candidates": reassign_candidates(task, case) if task is not None and flow_instance.can_manage(user) else [],
        "screening_due": case.screening_due_on if case.state in services.EDITABLE_STATES else None,
        # the limitation matters until arbitration is applied for (or the case is over)
        "limitation": limitation if case.state in services.LIMITATION_WATCH_STATES else None, "today": today,
        "limitation_days": (limitation.date - today).days if limitation else None,
        "diagram": diagrams.state_machine_svg(Case, current=case.state, allowed=allowed, labels=TRANSITION_LABELS),
        "max_evidence_mb": settings.WEIQUAN_EVIDENCE_MAX_BYTES // (1024 * 1024),
        "evidence_types": " ".join(services.EVIDENCE_EXTENSIONS),
    }
    context.update(extra)
    return context


def reassign_candidates(task, obj):
    from .permissions import may_act

    node = task.flow_task
    return [u for u in f.staff_users(*(node.candidates or [])).prefetch_related("groups") if may_act(u, obj)]


class CaseDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        case = get_case(request, pk)
        return render(request, "casework/case_detail.html", case_context(request, case))


class TransitionView(LoginRequiredMixin, View):
    """One transition's form: GET shows it, POST runs the service; a refusal re-renders the form with
    the user's input and the reason."""

    template_name = "casework/transition_form.html"

    def dispatch(self, request, pk, name):
        if name not in f.TRANSITIONS:
            raise Http404
        self.case = get_case(request, pk)
        self.label, self.form_class, _style = f.TRANSITIONS[name]
        self.name = name
        return super().dispatch(request, pk, name)

    def render_form(self, form, status=200):
        allowed = allowed_transitions(self.case, self.request.user)
        if self.name not in allowed and not form.non_field_errors():
            form.add_error(None, _("当前状态（%(state)s）下您不能执行“%(action)s”。") % {
                "state": self.case.get_state_display(), "action": self.label})
        return render(self.request, self.template_name, {
            "case": self.case, "form": form, "name": self.name, "label": self.label,
            "diagram": diagrams.state_machine_svg(Case, current=self.case.state, highlight_transition=self.name,
                                                  labels=TRANSITION_LABELS),
        }, status=status)

    def get(self, request, pk, name):
        return self.render_form(self.form_class())

    def post(self, request, pk, name):
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        service = getattr(services, self.name)
        try:
            service(case=self.case, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            service_errors(exc, form)
            return self.render_form(form)
        except (TransitionRefused, ConcurrentTransition, PermissionDenied) as exc:
            form.add_error(None, refusal_message(exc))
            self.case.refresh_from_db()
            return self.render_form(form, status=403 if isinstance(exc, PermissionDenied) else 409)
        messages.success(request, _("已完成：%(action)s。") % {"action": self.label})
        return HttpResponseRedirect(reverse("casework:cases:detail", args=[self.case.pk]))


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


class DocumentRequestView(LoginRequiredMixin, View):
    """Ask for a document of the object on the page (any module): `get_owner` finds the object the
    user may see, `detail_url_name` is where the answer is shown."""

    detail_url_name = "casework:cases:detail"

    def get_owner(self, request, pk):
        return get_case(request, pk)

    def post(self, request, pk):
        owner = self.get_owner(request, pk)
        try:
            kind = pipeline.get_kind(owner, request.POST.get("kind", ""))
            if kind.permission and not request.user.has_perm(kind.permission, owner):
                raise PermissionDenied
            document, created = pipeline.request(owner, kind, actor=request.user,
                                                 regenerate=request.POST.get("regenerate") == "1")
        except pipeline.DocumentError as exc:
            messages.error(request, str(exc))
        except PermissionDenied:
            messages.error(request, _("您没有权限生成此文书。"))
        else:
            document.refresh_from_db()
            if document.status == document.Status.READY:
                messages.success(request, _("文书已生成：%(title)s %(number)s") % {"title": document.title, "number": document.number})
            else:
                messages.info(request, _("文书生成中：%(title)s，请稍后刷新。") % {"title": document.title})
        return HttpResponseRedirect(reverse(self.detail_url_name, args=[owner.pk]) + "#documents")


# --------------------------------------------------------------------------------------------------
# Intake
# --------------------------------------------------------------------------------------------------


class WorkerLookupView(LoginRequiredMixin, View):
    """GET ?q=<phone or ID number>: the registered worker, for the intake form (JSON)."""

    def get(self, request):
        if not request.user.has_perm("casework.view_worker"):
            raise PermissionDenied
        text = (request.GET.get("q") or "").strip()
        worker, error = None, ""
        if not text:
            error = _("请输入手机号或身份证号码。")
        elif len(identifiers.normalise_resident_id(text)) == 18 and not text.startswith("+"):
            try:
                worker = services.find_worker(id_number=identifiers.validate_resident_id(text))
            except ValidationError as exc:
                error = exc.messages[0]
        else:
            try:
                worker = services.find_worker(phone=identifiers.normalise_phone(text))
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
        found = services.find_worker(id_number=data["id_number"])
        if found:
            return found
    lookup = (data.get("lookup") or "").strip()
    if lookup and not data.get("id_number"):
        found = None
        try:
            found = services.find_worker(id_number=identifiers.validate_resident_id(lookup))
        except ValidationError:
            try:
                found = services.find_worker(phone=identifiers.normalise_phone(lookup))
            except ValidationError:
                pass
        if found:
            return found
        if not data.get("name"):
            raise ValidationError({"lookup": [_("未找到该手机号或身份证号的劳动者；新劳动者请填写姓名和身份证号码。")]})
    try:
        return services.register_worker(
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
            respondents.append(services.register_organisation(
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
