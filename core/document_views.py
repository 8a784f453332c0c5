"""The public verification page printed on every document: GET/POST /verify/<code>, no login.

A court clerk or a company holding a paper or a PDF types the code (or follows the printed address)
and sees whether the union issued such a document: its kind, number, issuing organisation, date and
SHA-256, never the parties or the contents. Uploading the PDF compares its SHA-256 with the one
recorded when it was issued: the same file, or an altered/other one.
"""

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import documents
from .models import Document
from .throttling import VerifyThrottle, throttle_page


class VerifyUploadForm(forms.Form):
    file = forms.FileField(label=_("上传待核验的 PDF 文件"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        # A document PDF is a few hundred KiB; anything far larger is not one of ours. (A body
        # larger than this is refused before it is read: core.middleware.RequestSizeLimitMiddleware.)
        if f.size > settings.WEIQUAN_VERIFY_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("文件过大，不是本系统出具的文书。"))
        return f


class CodeForm(forms.Form):
    code = forms.CharField(label=_("核验码"), max_length=40)


def _lookup(code: str):
    normalised = documents.normalise_code(code)
    if not normalised or len(normalised) > 16:
        return normalised, None
    document = (
        Document.objects.filter(verification_code=normalised)
        .exclude(status=Document.Status.FAILED)
        .select_related("content_type")
        .first()
    )
    return normalised, document


def _newer_version(document):
    if document is None:
        return None
    return (
        Document.objects.filter(
            content_type=document.content_type, object_id=document.object_id, kind=document.kind,
            version__gt=document.version, status=Document.Status.READY,
        )
        .order_by("-version")
        .only("version", "rendered_at", "owner_state")
        .first()
    )


def verify_lookup(request):
    """/verify/?code=XXXX -> /verify/XXXX (the form on the empty page)."""
    form = CodeForm(request.GET or None)
    if form.is_valid():
        return redirect("document-verify", code=documents.normalise_code(form.cleaned_data["code"]) or "-")
    return render(request, "core/document_verify.html", {"code_form": form, "looked_up": False})


# Public and side-effect free: the upload is hashed and discarded, nothing is stored or changed and
# no session is involved, so there is nothing for a cross-site request to forge; exempting it lets a
# clerk's script POST a file with curl as well as the browser form.
@csrf_exempt
@require_http_methods(["GET", "POST", "HEAD"])
@throttle_page(VerifyThrottle)  # per address, with the JSON twin (WEIQUAN_THROTTLE_VERIFY): no code guessing
def verify(request, code):
    normalised, document = _lookup(code)
    context = {
        "code": normalised or code,
        "document": document,
        "looked_up": True,
        "code_form": CodeForm(initial={"code": normalised}),
        "newer": _newer_version(document),
        "public_url": settings.WEIQUAN_PUBLIC_URL,
        "result": None,
    }
    if document is not None:
        try:
            context["kind"] = documents.kind_of(document)
        except documents.UnknownDocumentKind:
            context["kind"] = None
    if request.method == "POST" and document is not None and document.status == Document.Status.READY:
        form = VerifyUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            uploaded = documents.sha256_of(upload)
            context["result"] = {
                "genuine": uploaded == document.sha256,
                "sha256": uploaded,
                "name": upload.name,
                "size": upload.size,
            }
    else:
        form = VerifyUploadForm()
    context["upload_form"] = form
    status = 200 if document is not None else 404
    return render(request, "core/document_verify.html", context, status=status)
