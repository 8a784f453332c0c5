"""The document pipeline: which PDFs exist, from which templates; asking for one, rendering it, checking it.

Every module declares its documents here-style, in its own `documents.py`, with one `register()`
call per kind (see docs/documents.md):

    documents.register("casework.case", "case_summary", title="案件摘要", code="ZY",
                       template="documents/casework/case_summary.html", context=case_context)

- `request(obj, kind)` gives the `Document` row for (obj, kind, obj's current state): the existing
  one, or a new `pending` row whose rendering is queued for after the transaction commits.
  `regenerate=True` adds the next version and keeps the old ones.
- The Celery task (`core.tasks.render_document`) calls `render_and_store()`: the PDF is rendered
  in memory, written to storage, and only then is the row marked `ready` with its hash, size and
  page count, in one transaction; if that fails the file is deleted again. A row is never `ready`
  without its file, and a file never outlives a failed save.
- A transition's declaration names the documents it issues (core/transitions.py): the single
  path asks for them in the transition's transaction, a set-based one after it commits
  (`request_after_commit`), in batches on the Celery workers.
- Each PDF prints its document number and a verification code; `GET /verify/<code>` (no login)
  shows what was issued and compares an uploaded copy's SHA-256.
"""

from __future__ import annotations

import datetime
import gc
import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMFieldMixin

from . import journal
from .errors import DocumentNotAllowed as _NotAllowed
from .models import Document

# No 0/O or 1/I/L to confuse when a clerk types the code from paper: 31 symbols, 31^10 ≈ 8·10^14
# codes, so guessing one that exists is hopeless even without rate limits.
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VERIFICATION_CODE_LENGTH = 10


class DocumentError(Exception):
    pass


class UnknownDocumentKind(DocumentError):
    def __init__(self, model_label, name, known):
        self.model_label, self.name, self.known = model_label, name, list(known)
        super().__init__(f"'{name}' is not a document of {model_label}; known: {', '.join(self.known) or 'none'}")


class DocumentNotAllowed(_NotAllowed):
    """The kind is not issued in the object's current state (API: 409 document_not_allowed)."""

    def __init__(self, kind, state):
        self.kind, self.state = kind, state
        super().__init__(_("%(title)s只能在以下状态生成：%(states)s（当前状态：%(state)s）") % {
            "title": kind.title, "states": "、".join(kind.state_labels()), "state": kind.state_label(state)})


class OwnerMissing(DocumentError):
    """The object a pending document belongs to is gone: nothing to render, no point retrying."""


# --------------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------------


def issuing_organisation(user=None) -> str:
    """The union issuing a document: the user's own union, else WEIQUAN_ISSUING_ORGANISATION."""
    profile = getattr(user, "profile", None) if user is not None else None
    org = getattr(profile, "organisation", None) if profile is not None else None
    if org is not None and org.kind == "union":
        return org.name
    return settings.WEIQUAN_ISSUING_ORGANISATION


def default_issuer(obj) -> str:
    return issuing_organisation(getattr(obj, "handler", None))


def default_reference(obj) -> str:
    """The owner's part of a document number: its own number when it has one (WQ-2026-000123)."""
    number = getattr(obj, "number", None)
    return number or f"{obj._meta.model_name.upper()}-{obj.pk}"


def state_field_name(model) -> str | None:
    for f in model._meta.fields:
        if isinstance(f, FSMFieldMixin):
            return f.name
    return None


def owner_state(obj) -> str:
    name = state_field_name(type(obj))
    return str(getattr(obj, name)) if name else ""


@dataclass(frozen=True)
class DocumentKind:
    model: str  # "casework.case": app_label.model_name, lower case
    name: str  # "case_summary": what the API's {"kind": ...} names; unique per model
    title: str  # "案件摘要": printed as the document's title
    template: str  # under templates/, e.g. "documents/casework/case_summary.html"
    context: Callable[[Any, Document], dict]  # (owner, document) -> template context
    code: str  # short letters in the document number (WQ-2026-000123-ZY01); unique per model
    states: tuple[str, ...] | None = None  # states it may be issued in; None: any
    template_version: str = "1"  # bump when the template changes what a document says
    subject: str = ""  # PDF Subject metadata; defaults to the title
    issuer: Callable[[Any], str] = default_issuer
    reference: Callable[[Any], str] = default_reference
    # A permission (checked with has_perm(permission, owner)) needed to ask for it through the API,
    # beyond seeing the owner; None: whoever may see the object may ask for its documents.
    permission: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.model, self.name)

    def model_class(self):
        return apps.get_model(self.model)

    def state_label(self, state) -> str:
        name = state_field_name(self.model_class())
        if not name:
            return str(state)
        choices = dict(self.model_class()._meta.get_field(name).flatchoices)
        return str(choices.get(state, state))

    def state_labels(self) -> list[str]:
        return [self.state_label(s) for s in (self.states or ())]

    def allowed_in(self, state) -> bool:
        return self.states is None or state in self.states


REGISTRY: dict[tuple[str, str], DocumentKind] = {}


def _model_label(model_or_obj) -> str:
    if isinstance(model_or_obj, str):
        return model_or_obj.lower()
    return model_or_obj._meta.label_lower


def register(model, name, *, title, template, context, code, states=None, **options) -> DocumentKind:
    """Declare a document kind. `model` is a model class or "app_label.ModelName"."""
    label = _model_label(model)
    states = tuple(str(s) for s in states) if states is not None else None
    kind = DocumentKind(
        model=label, name=name, title=title, template=template, context=context, code=code,
        states=states, **options,
    )
    for other in REGISTRY.values():
        if other.model == label and other.code == code and other.name != name:
            raise ValueError(f"{label}: document code '{code}' is already used by '{other.name}'")
    REGISTRY[kind.key] = kind
    return kind


def kinds_for(model_or_obj) -> list[DocumentKind]:
    label = _model_label(model_or_obj)
    return [k for k in REGISTRY.values() if k.model == label]


def get_kind(model_or_obj, name: str) -> DocumentKind:
    label = _model_label(model_or_obj)
    try:
        return REGISTRY[(label, name)]
    except KeyError:
        raise UnknownDocumentKind(label, name, [k.name for k in kinds_for(label)]) from None


def kind_of(document: Document) -> DocumentKind:
    return get_kind(f"{document.content_type.app_label}.{document.content_type.model}", document.kind)


# --------------------------------------------------------------------------------------------------
# Asking for a document
# --------------------------------------------------------------------------------------------------


def new_verification_code() -> str:
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What a person typed from paper: any case, with spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isascii() and ch.isalnum())


def documents_for(obj, kind: str | None = None):
    qs = Document.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=str(obj.pk)
    )
    return qs.filter(kind=kind) if kind else qs


def enqueue_render(document_id: int) -> None:
    from .tasks import queue_render

    queue_render(document_id)


def _schedule(document: Document) -> None:
    # robust: a broker that is down must not turn the request that asked for the document into an
    # error after its transaction has committed; the row stays pending and can be asked for again.
    document_id = document.pk

    def enqueue():
        enqueue_render(document_id)

    transaction.on_commit(enqueue, robust=True)


def request(obj, kind: str | DocumentKind, *, actor=None, regenerate: bool = False) -> tuple[Document, bool]:
    """The document of this kind for `obj` in its current state: (row, created).

    Same (obj, kind, state) gives the same row (a failed one is queued again) unless `regenerate`,
    which adds the next version. The rendering is queued for after the surrounding transaction
    commits. Two requests racing for the same next version meet at the unique constraint
    `unique_document_version`; the loser re-reads and returns the winner's row when it answers
    the same question, or takes the version after it.
    """
    kind = kind if isinstance(kind, DocumentKind) else get_kind(obj, kind)
    if kind.model != _model_label(obj):
        raise UnknownDocumentKind(_model_label(obj), kind.name, [k.name for k in kinds_for(obj)])
    state = owner_state(obj)
    if not kind.allowed_in(state):
        raise DocumentNotAllowed(kind, state)
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    rows = Document.objects.filter(content_type=ct, object_id=str(obj.pk), kind=kind.name)

    with transaction.atomic():
        seen_max = None
        for _attempt in range(5):
            same = rows.filter(owner_state=state).exclude(status=Document.Status.FAILED).order_by("-version")
            if seen_max is not None and regenerate:
                # Someone regenerated this very document while we tried: their version answers us.
                newer = same.filter(version__gt=seen_max).first()
                if newer is not None:
                    return newer, False
            if not regenerate:
                existing = same.first()
                if existing is not None:
                    return existing, False
                failed = rows.filter(owner_state=state, status=Document.Status.FAILED).order_by("-version").first()
                if failed is not None:
                    # A render that gave up earlier: try the same row (number, code) again.
                    Document.objects.filter(pk=failed.pk).update(
                        status=Document.Status.PENDING, error="", requested_by=actor if _is_user(actor) else None
                    )
                    failed.refresh_from_db()
                    _schedule(failed)
                    return failed, False
            last = rows.aggregate(m=Max("version"))["m"] or 0
            if seen_max is None:
                seen_max = last
            version = last + 1
            document = Document(
                content_type=ct, object_id=str(obj.pk), kind=kind.name, title=kind.title,
                owner_state=state, version=version, template_version=kind.template_version,
                number=f"{kind.reference(obj)}-{kind.code}{version:02d}",
                verification_code=new_verification_code(), issuer=kind.issuer(obj),
                requested_by=actor if _is_user(actor) else None,
            )
            try:
                with transaction.atomic():
                    document.save()
            except IntegrityError:
                continue  # lost the race for this version (or, once in 10^15, the code): re-read
            _schedule(document)
            return document, True
    raise DocumentError(f"could not allocate a version of {kind.name} for {obj!r}; try again")


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def request_after_commit(model, ids, kinds, *, actor=None) -> None:
    """After the surrounding transaction commits, ask for `kinds` for each of the objects `ids`
    (a set-based transition moved them): in batches, on the workers when there is a broker."""
    from .tasks import issue_documents, queue_for_ids

    label = model._meta.label_lower
    ids = [str(pk) for pk in ids]
    actor_id = actor.pk if _is_user(actor) else None

    def queue():
        for start in range(0, len(ids), 1000):
            queue_for_ids(issue_documents, label, ids[start:start + 1000], list(kinds), actor_id)

    transaction.on_commit(queue, robust=True)


def issue(label: str, ids, kinds, actor_id=None) -> int:
    """Ask for `kinds` for each object of `label` that may have them in its current state."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    n = 0
    for obj in apps.get_model(label)._default_manager.filter(pk__in=ids):
        for name in kinds:
            if get_kind(obj, name).allowed_in(owner_state(obj)):
                request(obj, name, actor=actor)
                n += 1
    return n


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def verify_path(code: str) -> str:
    return reverse("document-verify", args=[code])


def verify_url(code: str) -> str:
    return settings.WEIQUAN_PUBLIC_URL.rstrip("/") + verify_path(code)


def base_context(kind: DocumentKind, document: Document, issued_at: datetime.datetime) -> dict:
    local = timezone.localtime(issued_at)
    return {
        "kind": kind,
        "document": document,
        "title": kind.title,
        "subject": kind.subject or kind.title,
        "issuer": document.issuer,
        "issued_at": local,
        "issued_on": local.date(),
        "created_iso": local.isoformat(timespec="seconds"),
        "owner_state_label": kind.state_label(document.owner_state),
        "verify_url": verify_url(document.verification_code),
    }


def render_html(document: Document, *, owner=None, issued_at=None) -> str:
    kind = kind_of(document)
    owner = owner if owner is not None else document.owner
    if owner is None:
        raise OwnerMissing(f"document {document.pk}: its {document.content_type} #{document.object_id} no longer exists")
    issued_at = issued_at or timezone.now()
    context = base_context(kind, document, issued_at)
    context.update(kind.context(owner, document))
    return render_to_string(kind.template, context)


# --- What one process reuses across renders ---------------------------------------------------------
# WeasyPrint builds a FontConfiguration (fontconfig's font set and a Pango font map, whose faces and
# coverage are loaded on first use) and parses every stylesheet on each HTML(...).render() unless it
# is given them. Neither changes between documents here (no @font-face, no @counter-style, no url()),
# so they are made once per process (the font configuration once per thread: a Pango font map is
# not meant to be shared between threads) and the output is the same PDF as before.
#
# The stylesheets: every <style> element of the rendered HTML is taken out and handed to WeasyPrint
# as an already parsed weasyprint.CSS, in document order. They are then all of the "user" origin
# instead of "author"; as every sheet moves together (and none uses !important), the cascade among
# them is the same, and inline style="" attributes still win over all of them as before. A sheet
# whose text repeats (base.css, each module's _style.css) is parsed once and kept, by its text; a
# <style data-per-document> one (the page boxes printing the number and verification code) is
# parsed on each render and not kept.

_STYLE_ELEMENT = re.compile(r"<style(?P<attrs>[^>]*)>(?P<css>.*?)</style>", re.S | re.I)
_STYLESHEETS: "OrderedDict[str, Any]" = OrderedDict()
_STYLESHEETS_MAX = 64
_STYLESHEETS_LOCK = threading.Lock()
_PER_THREAD = threading.local()


def _base_url() -> str:
    return (settings.BASE_DIR / "templates" / "documents").as_uri() + "/"


def _url_fetcher():
    from weasyprint import URLFetcher

    # Templates may reference local files (the shared stylesheet, images) but never the network.
    return URLFetcher(allowed_protocols={"file", "data"})


def font_configuration():
    """This thread's FontConfiguration, made on first use and kept (WeasyPrint's own caches of
    line struts and font features live in it too)."""
    config = getattr(_PER_THREAD, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _PER_THREAD.font_config = FontConfiguration()
    return config


def _parse_css(text: str, font_config):
    import weasyprint

    return weasyprint.CSS(string=text, base_url=_base_url(), url_fetcher=_url_fetcher(), font_config=font_config)


def _stylesheet(text: str, *, keep: bool, font_config):
    if not keep:
        return _parse_css(text, font_config)
    with _STYLESHEETS_LOCK:
        sheet = _STYLESHEETS.get(text)
        if sheet is not None:
            _STYLESHEETS.move_to_end(text)
            return sheet
    sheet = _parse_css(text, font_config)
    with _STYLESHEETS_LOCK:
        _STYLESHEETS[text] = sheet
        while len(_STYLESHEETS) > _STYLESHEETS_MAX:
            _STYLESHEETS.popitem(last=False)
    return sheet


def split_stylesheets(html: str, font_config=None) -> tuple[str, list]:
    """(the HTML without its <style> elements, their weasyprint.CSS objects in document order)."""
    font_config = font_config or font_configuration()
    sheets = []

    def take(match):
        if not match.group("css").strip():
            return ""  # a kind without a sheet of its own
        keep = "data-per-document" not in match.group("attrs")
        sheets.append(_stylesheet(match.group("css"), keep=keep, font_config=font_config))
        return ""

    return _STYLE_ELEMENT.sub(take, html), sheets


# The cyclic garbage collector during a render. A 20-page document leaves some 70,000 of
# WeasyPrint's objects in reference cycles (boxes and their parents), and many more are alive while
# it works. Left on, the collector promotes those to the oldest generation, and that soon triggers
# a full collection, which walks every object of the process (Django's, the ORM's, the render's):
# 0.1-0.3 s, about once per large document (twice in some). So it is switched off while WeasyPrint
# works, and the young generation (the render's own cycles, nothing older) is collected right
# after, here, in 0.03-0.05 s: the same garbage freed at once, without the full walks. Other
# threads rendering at the same time share the switch; it is turned back on by the last one, and
# only if it was on before the first (a process that turned it off itself keeps it off).
_GC_LOCK = threading.Lock()
_GC_STATE = {"renders": 0, "was_enabled": False}


def _collector_paused(render: Callable[[], Any]) -> Any:
    with _GC_LOCK:
        if _GC_STATE["renders"] == 0:
            _GC_STATE["was_enabled"] = gc.isenabled()
            gc.disable()
        _GC_STATE["renders"] += 1
    try:
        return render()  # its frame, and with it the render's objects, are gone once it returns
    finally:
        with _GC_LOCK:
            _GC_STATE["renders"] -= 1
            resume = _GC_STATE["renders"] == 0 and _GC_STATE["was_enabled"]
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)


def html_to_pdf(html: str, *, pdf_variant: str | None = None) -> tuple[bytes, int]:
    """HTML -> (PDF bytes, page count)."""
    return _collector_paused(partial(_html_to_pdf, html, pdf_variant=pdf_variant))


def _html_to_pdf(html: str, *, pdf_variant: str | None = None) -> tuple[bytes, int]:
    import weasyprint

    font_config = font_configuration()
    body, stylesheets = split_stylesheets(html, font_config)
    rendered = weasyprint.HTML(string=body, base_url=_base_url(), url_fetcher=_url_fetcher()).render(
        font_config=font_config, stylesheets=stylesheets)
    variant = settings.WEIQUAN_DOCUMENT_PDF_VARIANT if pdf_variant is None else pdf_variant
    data = rendered.write_pdf(pdf_variant=variant or None, custom_metadata=True)
    return data, len(rendered.pages)


def render_pdf(document: Document, *, owner=None, issued_at=None, pdf_variant=None) -> tuple[bytes, int]:
    """The PDF for a document row, in memory: (bytes, pages). Stores nothing."""
    return html_to_pdf(render_html(document, owner=owner, issued_at=issued_at), pdf_variant=pdf_variant)


class _AlreadyRendered(Exception):
    def __init__(self, document):
        self.document = document


def render_and_store(document_id: int) -> Document:
    """Render a pending document and store it; idempotent (a ready document is returned as it is).

    The file is written first, then the row is marked ready in a transaction that holds the row's
    lock; a failure of that transaction deletes the file again, so a crash leaves either nothing or
    a complete (file + ready row) pair. A second worker rendering the same row at the same time
    finds it ready under the lock and drops its own copy.
    """
    document = Document.objects.select_related("content_type").get(pk=document_id)
    if document.status == Document.Status.READY:
        return document
    Document.objects.filter(pk=document.pk).update(attempts=F("attempts") + 1)
    issued_at = timezone.now()
    variant = settings.WEIQUAN_DOCUMENT_PDF_VARIANT or ""
    data, pages = render_pdf(document, issued_at=issued_at, pdf_variant=variant)
    storage = document.file.storage
    stored_name = storage.save(document.file.field.generate_filename(document, "document.pdf"), ContentFile(data))
    try:
        with transaction.atomic():
            fresh = Document.objects.select_for_update().get(pk=document.pk)
            if fresh.status == Document.Status.READY:
                raise _AlreadyRendered(fresh)
            fresh.file.name = stored_name
            fresh.sha256 = hashlib.sha256(data).hexdigest()
            fresh.size = len(data)
            fresh.pages = pages
            fresh.pdf_variant = variant
            fresh.status = Document.Status.READY
            fresh.rendered_at = issued_at
            fresh.error = ""
            fresh.save(update_fields=["file", "sha256", "size", "pages", "pdf_variant", "status", "rendered_at", "error"])
    except _AlreadyRendered as done:
        storage.delete(stored_name)
        return done.document
    except BaseException:
        storage.delete(stored_name)
        raise
    return fresh


def issue_all_now(obj, *, actor=None, directory=None) -> list[Document]:
    """Every kind `obj` may have in its current state, rendered now in this process (demo, scripts).

    With `directory`, each PDF is also copied there as "<number> <title>.pdf".
    """
    import shutil
    from pathlib import Path

    out = []
    for kind in kinds_for(obj):
        if not kind.allowed_in(owner_state(obj)):
            continue
        document, _ = request(obj, kind, actor=actor)
        document = render_and_store(document.pk)
        if directory is not None:
            target = Path(directory)
            target.mkdir(parents=True, exist_ok=True)
            with document.file.open("rb") as src, open(target / f"{document.number} {document.title}.pdf", "wb") as dst:
                shutil.copyfileobj(src, dst)
        out.append(document)
    return out


def mark_failed(document_id: int, error: str) -> None:
    """After the last retry: the row says why; asking for the document again queues it anew."""
    Document.objects.filter(pk=document_id).exclude(status=Document.Status.READY).update(
        status=Document.Status.FAILED, error=error[:2000]
    )


# What a person is told about a failed render, by the error's class (the row's `error` keeps the
# technical text, "ClassName: message", for the administrator). Transient causes are worth a retry
# at once; a defect in a template or its data needs someone to fix it first (then a retry works).
_GONE = {
    "OwnerMissing": _("该文书所属的记录已不存在，无法生成。"),
    "UnknownDocumentKind": _("该文书类型已停用，无法生成。"),
}
_TRANSIENT = {
    "OSError", "IOError", "PermissionError", "FileNotFoundError", "FileExistsError", "TimeoutError",
    "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "BrokenPipeError",
    "OperationalError", "InterfaceError", "DatabaseError", "MemoryError", "SoftTimeLimitExceeded",
    "TimeLimitExceeded", "WorkerLostError",
}
_TRANSIENT_REASON = _("文件存储或数据库暂时不可用。请稍后重新生成。")
_DEFECT_REASON = _(
    "系统未能用本记录的信息填写文书模板（程序缺陷，错误详情已记录）。请联系系统管理员；"
    "问题修复后可重新生成。"
)


def failure_cause(document: Document) -> str:
    """The class name of the error that made the render fail ("" if none is recorded)."""
    head = (document.error or "").split(":", 1)[0].strip()
    return head if head.isidentifier() else ""


def failure_reason(document: Document) -> str:
    """Why a failed document failed, in plain words for the person on the page ("" if not failed)."""
    if document.status != Document.Status.FAILED:
        return ""
    cause = failure_cause(document)
    if cause in _GONE:
        return str(_GONE[cause])
    return str(_TRANSIENT_REASON if cause in _TRANSIENT else _DEFECT_REASON)


def sha256_of(fileobj) -> str:
    digest = hashlib.sha256()
    for chunk in fileobj.chunks() if hasattr(fileobj, "chunks") else iter(partial(fileobj.read, 1 << 16), b""):
        digest.update(chunk)
    return digest.hexdigest()


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def timeline(subject, labels: dict[str, str], state_labels: dict[str, str], detail=None) -> list[dict]:
    """The journal of `subject` as rows a template can print.

    `detail(event) -> str` adds what the payload says (a file name, a lawyer) to the comment.
    """
    rows = []
    for event in journal.events_for(subject):
        changed = event.from_state != event.to_state
        extra = detail(event) if detail else ""
        rows.append({
            "at": timezone.localtime(event.created_at),
            "what": labels.get(event.transition, event.transition),
            "from": str(state_labels.get(event.from_state, event.from_state)) if changed else "",
            "to": str(state_labels.get(event.to_state, event.to_state)) if changed else "",
            "who": person_name(event.actor) if event.actor_id else event.actor_name,
            "comment": "；".join(x for x in (extra, event.comment) if x),
        })
    return rows
