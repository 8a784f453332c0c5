"""Screens of the web interface for court-plus-union mediation (routed by mediation/viewsets.py).

As for casework (docs/ui.md): a form parses the request, a `mediation.services` function does the
work, a template shows the result. A user sees what `mediation_visibility_filter` lets them see
(anything else is 404: a court liaison sees only their own court's referrals); buttons come from
`allowed_transitions(mediation, user)`; a service's refusal lands on the form the user filled in,
in Chinese, with everything they typed kept.

The referral import runs as the Celery task `mediation.tasks.import_referrals_file` (eager without a
broker): the page stores the upload, starts the task and keeps a small job record in Django's cache
(`IMPORT_JOB_KEY`); the job page polls `…/progress/` (JSON) for the progress bar, then shows the
per-row report.
"""

import os
import uuid
from decimal import Decimal

from celery.result import AsyncResult
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from core import legal_figures as law

from core.models import Document
from core.views import ObjectFormView, page_context, refusal_message, service_errors

from . import forms as f
from . import importers, selectors, services
from .api import MAX_IMPORT_BYTES, MediationFilter
from .documents import event_detail
from .models import (
    DEADLINE_STATES,
    PAYMENT_STATES,
    Mediation,
    MediationSession,
    MediationState as S,
    Payment,
    Source,
)
from .rules import NEXT_STEP_TEXT, base_period_days, confirmation_window, court_of, extension_limits


def get_mediation(request, pk):
    return get_object_or_404(selectors.visible_mediations(request.user), pk=pk)


def days_left(day, today=None):
    return (day - (today or timezone.localdate())).days if day else None


# --------------------------------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------------------------------


class MediationListView(LoginRequiredMixin, View):
    """Filters, search and pagination: the page is chosen on bare ids, then only its rows are loaded
    (selectors.list_rows): a fixed number of queries whatever the table's size."""

    paginate_by = 25
    template_name = "mediation/mediation_list.html"

    def get(self, request):
        user = request.user
        own_court = court_of(user)
        form = f.MediationFilterForm(request.GET or {}, court=own_court)
        mediations = selectors.visible_mediations(user)
        if form.is_valid():
            mediations = MediationFilter(data=form.api_params(), queryset=mediations).qs
            mediations = selectors.search_mediations(mediations, form.cleaned_data.get("q"))
        ids = mediations.order_by("-id").values_list("pk", flat=True)
        page = Paginator(ids, self.paginate_by).get_page(request.GET.get("page"))
        page.object_list = selectors.list_rows(list(page.object_list))
        today = timezone.localdate()
        rows = []
        for m in page.object_list:
            running = m.state in DEADLINE_STATES and m.deadline is not None
            left = days_left(m.deadline, today) if running else None
            rows.append({"m": m, "days_left": left, "overdue": left is not None and left < 0,
                         "soon": left is not None and 0 <= left <= settings.WEIQUAN_MEDIATION_WARNING_DAYS})
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, self.template_name, {
            "form": form, "page": page, "rows": rows, "query": query.urlencode(),
            "can_import": user.has_perm("mediation.import_referrals"),
        })


# --------------------------------------------------------------------------------------------------
# The mediation page
# --------------------------------------------------------------------------------------------------


def mediation_context(request, mediation, **extra):
    user = request.user
    m = (
        selectors.visible_mediations(user)
        .select_related("court", "mediator", "agreement", "organisation", "confirmation_court", "created_by")
        .prefetch_related("respondents", "claims__category", "extensions__recorded_by",
                          Prefetch("sessions", queryset=MediationSession.objects.select_related("recorded_by").order_by("seq")))
        .get(pk=mediation.pk)
    )
    today = timezone.localdate()
    actions = []
    if m.state == S.IN_PROGRESS and user.has_perm("mediation.record_session", m):
        actions.append({"name": "session", "label": _("记录调解"), "url": reverse("mediation:mediations:session", args=[m.pk])})
    if m.state in PAYMENT_STATES and m.agreement_id and user.has_perm("mediation.record_payment", m):
        actions.append({"name": "payment", "label": _("登记履行款项"), "url": reverse("mediation:mediations:payment", args=[m.pk])})
    if m.mediator_id and m.is_open and m.state not in (S.REFERRED, S.ACCEPTED) and user.has_perm("mediation.reassign_mediator", m):
        actions.append({"name": "reassign", "label": _("改派调解员"), "url": reverse("mediation:mediations:reassign", args=[m.pk])})
    if m.mediator_id and m.is_open and user.has_perm("mediation.recuse", m):
        actions.append({"name": "recuse", "label": _("调解员回避"), "url": reverse("mediation:mediations:recuse", args=[m.pk])})

    claimants = [link.worker for link in Mediation.claimants.through.objects.filter(mediation=m)
                 .select_related("worker").order_by("id")]
    claims = list(m.claims.all())
    stated = [c.amount for c in claims if c.amount is not None]
    agreement = m.agreement
    instalments, payments, window = [], [], None
    if agreement is not None:
        for inst in agreement.instalments.order_by("seq"):
            inst.overdue = inst.paid < inst.amount and inst.due_on < today
            instalments.append(inst)
        payments = list(Payment.objects.filter(agreement=agreement).select_related("instalment", "recorded_by"))
        window = confirmation_window(m)
    older_agreements = list(m.agreements.exclude(pk=m.agreement_id or 0).order_by("version"))  # before a resume

    sessions = list(m.sessions.all())
    session_docs = {}
    if sessions:
        for doc in Document.objects.filter(
            content_type=ContentType.objects.get_for_model(MediationSession), object_id__in=[str(s.pk) for s in sessions],
        ).order_by("-version"):
            session_docs.setdefault(int(doc.object_id), doc)
    for session in sessions:
        session.document = session_docs.get(session.pk)
    running = m.state in DEADLINE_STATES and m.deadline is not None
    max_count, max_days = extension_limits(m.source)
    context = {
        "m": m, **page_context(request, m, transition_url_name="mediation:mediations:transition", detail=event_detail),
        "actions": actions, "claimants": claimants, "claims": claims,
        "claim_total": sum(stated, Decimal("0")) if stated else None,
        "respondents": list(m.respondents.all()),
        "agreement": agreement, "instalments": instalments, "payments": payments, "older_agreements": older_agreements,
        "window": window, "window_days": days_left(window.date, today) if window else None,
        "window_open": window is not None and m.state == S.AGREED and today <= window.date,
        "sessions": sessions, "extensions": list(m.extensions.all()),
        "extension_limits": {"count": max_count, "days": max_days},
        "deadline_running": running, "deadline_days": days_left(m.deadline, today) if running else None,
        "period_days": base_period_days(m.source, m.procedure)
        if m.source != Source.COURT_IN_SUIT or m.procedure else None,
        "case_link": m.case is not None and user.has_perm(f"{m.case._meta.app_label}.view_{m.case._meta.model_name}", m.case),
        "next_step_text": NEXT_STEP_TEXT.get(m.next_step, ""),
        "warning_days": settings.WEIQUAN_MEDIATION_WARNING_DAYS,
        "confirmation_days": law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS,
        "today": today,
    }
    context.update(extra)
    return context


class MediationDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        mediation = get_mediation(request, pk)
        return render(request, "mediation/mediation_detail.html", mediation_context(request, mediation))


class MediationFormView(ObjectFormView):
    """A form on one mediation that calls one service (core.views.ObjectFormView)."""

    visible = staticmethod(selectors.visible_mediations)
    detail_url_name = "mediation:mediations:detail"
    transition_url_name = "mediation:mediations:transition"


class SessionView(MediationFormView):
    label = _("记录调解")
    form_class = f.SessionForm
    anchor = "#sessions"

    def run(self, form):
        self.session = services.record_session(mediation=self.obj, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("已记录第 %(seq)d 次调解，调解笔录生成中。") % {"seq": self.session.seq}


class PaymentView(MediationFormView):
    label = _("登记履行款项")
    form_class = f.PaymentForm
    anchor = "#agreement"

    side_template = "mediation/instalment_status.html"

    def context(self, form):
        agreement = self.obj.agreement
        return {"agreement": agreement, "instalments": list(agreement.instalments.order_by("seq")) if agreement else []}

    def run(self, form):
        values = dict(form.cleaned_data)
        seq = values.pop("instalment")
        instalment = None
        if seq is not None:
            agreement = self.obj.agreement
            instalment = agreement.instalments.filter(seq=seq).first() if agreement else None
            if instalment is None:
                raise ValidationError({"instalment": [_("没有第 %(seq)d 期款项。") % {"seq": seq}]})
        self.payments = services.record_payment(mediation=self.obj, actor=self.request.user,
                                                instalment=instalment, **values)

    def success_message(self):
        total = sum((p.amount for p in self.payments), Decimal("0"))
        return _("已登记履行款项 ¥%(amount)s。") % {"amount": f"{total:,.2f}"}


class ReassignView(MediationFormView):
    label = _("改派调解员")
    form_class = f.ReassignForm
    permission = "mediation.reassign_mediator"

    def run(self, form):
        services.reassign_mediator(mediation=self.obj, actor=self.request.user, **form.cleaned_data)


class RecuseView(MediationFormView):
    label = _("调解员回避")
    form_class = f.RecuseForm
    permission = "mediation.recuse"

    def run(self, form):
        services.recuse(mediation=self.obj, actor=self.request.user, **form.cleaned_data)


# --------------------------------------------------------------------------------------------------
# Referral import: upload, background task, progress, report
# --------------------------------------------------------------------------------------------------

IMPORT_JOB_KEY = "mediation:import-job:{}"
IMPORT_JOB_TTL = 24 * 3600
STATUS_LABELS = {"created": _("已登记"), "duplicate": _("重复"), "refused": _("未导入")}


def save_job(job):
    cache.set(IMPORT_JOB_KEY.format(job["id"]), job, IMPORT_JOB_TTL)


def load_job(request, job_id):
    """The user's own import job (another user's, or an expired one, is 404)."""
    job = cache.get(IMPORT_JOB_KEY.format(job_id))
    if job is None or job.get("owner") != request.user.pk:
        raise Http404
    return job


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(importers.reasons_of(exc))
    if isinstance(exc, PermissionDenied):
        return refusal_message(exc)
    return _("导入失败：%(error)s") % {"error": exc}


def refresh_job(job):
    """Bring the job record up to date from its Celery task (PROGRESS meta, then the report)."""
    if job["state"] in ("SUCCESS", "FAILURE") or not job.get("task_id"):
        return job
    result = AsyncResult(job["task_id"])
    state = result.state
    if state == "PROGRESS" and isinstance(result.info, dict):
        job.update({k: result.info.get(k, job.get(k, 0)) for k in ("done", "total", "created", "duplicates", "refused")})
        job["state"] = "PROGRESS"
    elif state == "SUCCESS":
        finish_job(job, result.result)
    elif state in ("FAILURE", "REVOKED"):
        job["state"], job["error"] = "FAILURE", _error_text(result.result) if state == "FAILURE" else _("导入已取消。")
    elif state == "STARTED":
        job["state"] = "STARTED"
    save_job(job)
    return job


def finish_job(job, report):
    job.update({
        "state": "SUCCESS", "report": report, "done": len(report["rows"]), "total": report["total"],
        "created": report["created"], "duplicates": report["duplicates"], "refused": report["refused"],
    })


def job_summary(job):
    total = job.get("total") or 0
    done = job.get("done") or 0
    return {
        "id": job["id"], "state": job["state"], "filename": job["filename"], "total": total, "done": done,
        "created": job.get("created", 0), "duplicates": job.get("duplicates", 0), "refused": job.get("refused", 0),
        "percent": 100 if job["state"] == "SUCCESS" else (int(done * 100 / total) if total else 0),
        "finished": job["state"] in ("SUCCESS", "FAILURE"), "error": job.get("error", ""),
    }


class ImportView(LoginRequiredMixin, View):
    """Upload a court's referral list. Checked first (encoding, format, header), then imported by the
    Celery task; the job page follows it."""

    template_name = "mediation/import.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("mediation.import_referrals"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def own_court(self):
        return services.intake_court_of(self.request.user)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {
            "form": form, "max_mb": MAX_IMPORT_BYTES // (1024 * 1024), "columns": importers.COLUMN_ALIASES,
        }, status=status)

    def get(self, request):
        return self.render_form(f.ImportForm(own_court=self.own_court()))

    def post(self, request):
        from . import tasks

        own = self.own_court()
        form = f.ImportForm(request.POST, request.FILES, own_court=own)
        if not form.is_valid():
            return self.render_form(form, status=400)
        upload = form.cleaned_data["file"]
        court = form.cleaned_data.get("court") or own
        source = form.cleaned_data.get("source") or None
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", _("文件过大（上限 %(mb)d MB）。") % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)})
            return self.render_form(form, status=400)
        data = upload.read()
        try:  # cheap checks before anything is queued: readable, a known format, rows present
            text, _encoding = importers.decode(data)
            _fmt, records = importers.parse(text, upload.name)
            if not records:
                raise ValidationError({"file": [_("文件中没有委派记录。")]})
        except ValidationError as exc:
            service_errors(exc, form)
            return self.render_form(form, status=400)
        extension = os.path.splitext(upload.name)[1].lower()[:8]
        stored = default_storage.save(f"imports/{uuid.uuid4().hex}{extension}", ContentFile(data))
        job = {"id": uuid.uuid4().hex, "owner": request.user.pk, "filename": upload.name, "state": "PENDING",
               "total": len(records), "done": 0, "created": 0, "duplicates": 0, "refused": 0, "report": None,
               "error": "", "task_id": None, "started_at": timezone.now().isoformat()}
        save_job(job)
        try:
            result = tasks.import_referrals_file.delay(
                stored, filename=upload.name, actor_id=request.user.pk, court_id=court.pk if court else None, source=source,
            )
        except (ValidationError, PermissionDenied) as exc:  # eager (no broker): the task ran here and refused
            job.update({"state": "FAILURE", "error": _error_text(exc)})
        except Exception as exc:  # the broker is down: nothing was imported
            if default_storage.exists(stored):
                default_storage.delete(stored)
            cache.delete(IMPORT_JOB_KEY.format(job["id"]))
            form.add_error(None, _("导入任务未能启动，请稍后重试（%(error)s）。") % {"error": type(exc).__name__})
            return self.render_form(form, status=503)
        else:
            job["task_id"] = result.id
            if result.ready() and result.successful():  # eager: already done
                finish_job(job, result.result)
        save_job(job)
        return HttpResponseRedirect(reverse("mediation:imports:job", args=[job["id"]]))


class ImportJobView(LoginRequiredMixin, View):
    """The job page: a progress bar while the task runs (polling ImportProgressView), then the
    per-row report: created / duplicate / refused with reasons."""

    paginate_by = 200

    def get(self, request, job_id):
        job = refresh_job(load_job(request, job_id))
        report = job.get("report") or {}
        rows = report.get("rows", [])
        status = request.GET.get("status", "")
        if status in STATUS_LABELS:
            rows = [r for r in rows if r["status"] == status]
        for row in rows:
            row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
        page = Paginator(rows, self.paginate_by).get_page(request.GET.get("page"))
        return render(request, "mediation/import_job.html", {
            "job": job, "summary": job_summary(job), "report": report, "page": page, "status": status,
            "query": f"status={status}" if status else "",
            "progress_url": reverse("mediation:imports:progress", args=[job["id"]]),
        })


class ImportProgressView(LoginRequiredMixin, View):
    """GET: {state, done, total, percent, created, duplicates, refused, finished, error} as JSON."""

    def get(self, request, job_id):
        return JsonResponse(job_summary(refresh_job(load_job(request, job_id))))
