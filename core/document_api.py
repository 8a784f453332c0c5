"""Documents in the API (DESIGN.md "Public interface"):

- `DocumentsViewSetMixin` gives any object viewset `GET …/{id}/documents/` (the object's documents,
  every version) and `POST …/{id}/documents/` `{"kind": …, "regenerate": false}` -> 202 with the
  document row: `pending` until the worker has rendered it, or the existing row when the same
  (object, kind, state) was already asked for. The object comes from the viewset's own
  `get_object()`, so who may see the object may see and ask for its documents.
- `DocumentViewSet`: `GET /api/v1/documents/{id}/` and `GET /api/v1/documents/{id}/download/`
  (application/pdf). A document is visible to whoever may view its owner
  (`<app_label>.view_<model>` on the owner object); to anyone else it does not exist (404).

Wiring (core/urls.py): add the mixin to a viewset's bases and register
`router.register("documents", DocumentViewSet, basename="document")`.
"""

import json

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from . import documents as pipeline
from .models import Document

# --------------------------------------------------------------------------------------------------
# Serializers
# --------------------------------------------------------------------------------------------------


class DocumentSerializer(serializers.ModelSerializer):
    owner_type = serializers.SerializerMethodField(help_text="app_label.model of the owner, e.g. casework.case")
    owner_id = serializers.CharField(source="object_id", read_only=True)
    download_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField(
        help_text="When `status` is `failed`: why, in plain words for a person (`error` keeps the technical "
                  "text). POST the same `kind` to the owner's documents/ to try again.",
    )

    class Meta:
        model = Document
        fields = [
            "id", "kind", "title", "number", "verification_code", "owner_type", "owner_id",
            "owner_state", "version", "template_version", "status", "issuer", "sha256", "size",
            "pages", "pdf_variant", "error", "failure_reason", "created_at", "rendered_at", "download_url",
            "verify_url",
        ]
        read_only_fields = fields

    def get_owner_type(self, document) -> str:
        return f"{document.content_type.app_label}.{document.content_type.model}"

    def _absolute(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_failure_reason(self, document) -> str | None:
        return pipeline.failure_reason(document) or None

    def get_download_url(self, document) -> str | None:
        if document.status != Document.Status.READY:
            return None
        try:
            return self._absolute(reverse("document-download", args=[document.pk]))
        except NoReverseMatch:  # DocumentViewSet not routed
            return None

    def get_verify_url(self, document) -> str:
        return self._absolute(pipeline.verify_path(document.verification_code))


class DocumentRequestSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="A document kind registered for this object's model.")
    regenerate = serializers.BooleanField(
        default=False,
        help_text="Make a new version even if this kind was already issued in the object's current state.",
    )


class DocumentNotAllowedSerializer(serializers.Serializer):
    code = serializers.CharField(default="document_not_allowed")
    detail = serializers.CharField()
    kind = serializers.CharField()
    state = serializers.CharField()
    allowed_states = serializers.ListField(child=serializers.CharField())


# --------------------------------------------------------------------------------------------------
# …/{id}/documents/ on an object viewset
# --------------------------------------------------------------------------------------------------


class DocumentsViewSetMixin:
    """Adds `GET/POST …/{id}/documents/` to a viewset whose `get_object()` returns the owner."""

    @extend_schema(methods=["GET"], responses=DocumentSerializer(many=True), filters=False,
                   summary="The object's documents, every kind and version, newest first")
    @extend_schema(
        methods=["POST"], request=DocumentRequestSerializer, filters=False,
        summary="Ask for a document (rendered asynchronously)",
        description=(
            "202 with the document row: `status` is `pending` until it has been rendered, then `ready` "
            "(poll `GET /api/v1/documents/{id}/`), or `failed` with `failure_reason`. Asking again for the "
            "same kind in the same object state returns the same row (a failed one is rendered again, "
            "keeping its number) unless `regenerate` is true, which makes the next version and "
            "keeps the earlier ones. 409 `document_not_allowed` when the kind is not issued in the "
            "object's current state."
        ),
        responses={
            202: DocumentSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Unknown kind: {kind: [message]}."),
            404: OpenApiResponse(description="No such object for this user."),
            409: OpenApiResponse(DocumentNotAllowedSerializer, description="Not issued in this state."),
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="documents", url_name="documents",
            filter_backends=[], pagination_class=None)
    def documents(self, request, pk=None):
        owner = self.get_object()
        if request.method == "GET":
            rows = pipeline.documents_for(owner).select_related("content_type").order_by("kind", "-version")
            return Response(DocumentSerializer(rows, many=True, context=self.get_serializer_context()).data)

        data = DocumentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            kind = pipeline.get_kind(owner, data.validated_data["kind"])
        except pipeline.UnknownDocumentKind as exc:
            known = "、".join(exc.known) or "无"
            return Response({"kind": [_("未知的文书类型：%(kind)s（可选：%(known)s）") % {"kind": exc.name, "known": known}]},
                            status=status.HTTP_400_BAD_REQUEST)
        if kind.permission and not request.user.has_perm(kind.permission, owner):
            raise PermissionDenied(f"You may not ask for a {kind.name} of this object.")
        try:
            document, _created = pipeline.request(
                owner, kind, actor=request.user, regenerate=data.validated_data["regenerate"]
            )
        except pipeline.DocumentNotAllowed as exc:
            return Response({
                "code": "document_not_allowed",
                "detail": str(exc),
                "kind": kind.name,
                "state": exc.state,
                "allowed_states": list(kind.states or ()),
            }, status=status.HTTP_409_CONFLICT)
        # Rendering starts when the request's transaction commits; with an eager Celery (no broker)
        # it has already run, so read the row again to report what is there now.
        document.refresh_from_db()
        return Response(
            DocumentSerializer(document, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED,
        )


# --------------------------------------------------------------------------------------------------
# /api/v1/documents/{id}/ and …/download/
# --------------------------------------------------------------------------------------------------


def can_view_owner(user, document) -> bool:
    ct = document.content_type
    owner = document.owner
    return owner is not None and user.has_perm(f"{ct.app_label}.view_{ct.model}", owner)


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client send `Accept: application/pdf` to the download; errors still go out as JSON text."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        # An error (401, 404, 409…) asked for with ?format=pdf: its JSON body, labelled as JSON.
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode()


class DocumentViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A generated document and its PDF. Visible to whoever may view the object it belongs to."""

    queryset = Document.objects.select_related("content_type")
    serializer_class = DocumentSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        document = super().get_object()
        if not can_view_owner(self.request.user, document):
            # As for the owner itself: what a user may not see does not exist for them.
            raise NotFound()
        return document

    @extend_schema(
        summary="Download the PDF",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such document for this user."),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="`document_not_ready`: still pending, or failed."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def download(self, request, pk=None):
        document = self.get_object()
        if document.status != Document.Status.READY:
            return Response(
                {"code": "document_not_ready", "status": document.status,
                 "detail": "该文书尚未生成完成。" if document.status == Document.Status.PENDING else "该文书生成失败，可重新申请。"},
                status=status.HTTP_409_CONFLICT,
            )
        response = FileResponse(
            document.file.open("rb"), content_type="application/pdf", as_attachment=True,
            filename=f"{document.number} {document.title}.pdf",
        )
        response["ETag"] = f'"{document.sha256}"'
        response["X-Document-SHA256"] = document.sha256
        response["Cache-Control"] = "private, no-store"
        return response
