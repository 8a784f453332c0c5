"""The API's shared pieces (base /api/v1/, DESIGN.md "Public interface") and the parties register.

Views are thin: an input serializer parses the request, a service does the work (rules,
permission, transaction, journal), an output serializer renders the result; errors take the
contract's shapes in core/errors.py.

`TransitionViewSetMixin`, `RulesPermission` and `StandardPagination` are for every stateful
module's API: a viewset of a model with declared transitions gets `POST …/{id}/transitions/{name}/`,
`GET …/{id}/events/` and an OpenAPI description of both; `DocumentsViewSetMixin`
(core/document_api.py) adds its documents.
"""

from typing import ClassVar

import django_filters as filters
from django import forms as django_forms
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.generators import SchemaGenerator as SpectacularSchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from . import identifiers, links, services
from . import serializers as s
from .models import Organisation, Worker, resident_id_digest
from .selectors import visible_organisations, visible_workers
from .serializers import EventSerializer, TransitionErrorSerializer
from .transitions import machine_for

# --------------------------------------------------------------------------------------------------
# Reusable pieces
# --------------------------------------------------------------------------------------------------


class RulesPermission(permissions.BasePermission):
    """Ask the `rules` registry, so the API grants exactly what the admin, the UI and services grant.

    A view names `collection_permission` (checked on every request, without an object) and/or
    `object_permission` (checked by `get_object()` against the row). Either may be None.
    """

    def has_permission(self, request, view):
        perm = getattr(view, "collection_permission", None)
        return perm is None or request.user.has_perm(perm)

    def has_object_permission(self, request, view, obj):
        perm = getattr(view, "object_permission", None)
        return perm is None or request.user.has_perm(perm, obj)


class StandardPagination(PageNumberPagination):
    """The configured page size, which a client may change with `?page_size=` up to a bound.

    A `page_size` that is not a whole number from 1 is a 400 (DRF would ignore it silently); one
    above the bound is the bound. A page past the last is DRF's 404."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw not in (None, ""):  # blank, as no page_size at all
            try:
                serializers.IntegerField(min_value=1).run_validation(raw)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({self.page_size_query_param: exc.detail}) from exc
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


# --------------------------------------------------------------------------------------------------
# The OpenAPI description: the responses every operation shares (SPECTACULAR_SETTINGS names this
# generator), so no operation leaves out a status it can give
# --------------------------------------------------------------------------------------------------

# Query parameters that never make a 400: a page past the last is a 404, and an unknown ordering or
# any search text is accepted.
_LENIENT_QUERY = {"page", "search", "ordering"}


class _SharedResponses:
    """Mixed into each view's AutoSchema by `SchemaGenerator`: after the view's own description
    (its `extend_schema` entries win), the statuses DRF and core/errors.py give on every path:

    - 400 when the operation reads a body, or query parameters that are validated (filters,
      `page_size`, a query serializer);
    - 401 when the view authenticates (no credentials, or a token that is not valid);
    - 403 when a permission beyond "signed in" applies, or on a write (session authentication
      demands its CSRF token);
    - 404 on a path with parameters (no such object for this user), and on a paginated list (a
      page past the last);
    - 429 when the view is throttled.
    Each with its body's shape; an entry the view documented without a body gets it too.
    """

    def _get_format_parameters(self):
        # `?format=` left empty chooses nothing (DRF negotiates as if it were not there): it is one
        # of the values the parameter takes (schemathesis found it answered 200).
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["schema"]["enum"] = [*parameter["schema"]["enum"], ""]
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # What the model lets a row hold, a field declared by hand or made read-only says too: DRF
        # keeps neither `allow_blank` on a read-only field nor `allow_null` on a declared nested
        # serializer (`handler = UserSummarySerializer(read_only=True)` of a nullable foreign key).
        model_field = _model_field_of(field)
        if model_field is not None:
            if model_field.null and not field.allow_null:
                field.allow_null = True
            if (isinstance(field, serializers.ChoiceField) and model_field.blank
                    and not getattr(field, "allow_blank", True)):
                field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.DecimalField) and not field.read_only and schema.get("type") == "string":
            # Written as a string ("12.50") or a JSON number (12.5): DRF's DecimalField takes both.
            schema = {"oneOf": [schema, {"type": "number"}],
                      **{k: schema.pop(k) for k in ("description", "title", "readOnly", "nullable") if k in schema}}
        return schema

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        # Fields only some readers get (a serializer's `schema_optional_fields`): not required.
        optional = set(getattr(serializer, "schema_optional_fields", ()))
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation:
            self._add_shared_responses(path, operation)
        return operation

    def _add_shared_responses(self, path, operation):
        view = self.view
        responses = operation.setdefault("responses", {})
        error = {"$ref": self.resolve_serializer(s.ErrorSerializer, "response").ref["$ref"]}
        coded = {"$ref": self.resolve_serializer(s.CodedErrorSerializer, "response").ref["$ref"]}

        def add(code, body, description):
            entry = responses.setdefault(str(code), {"description": description})
            if body is not None and not entry.get("content"):
                entry["content"] = {"application/json": {"schema": body}}

        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            # Bodies are JSON; the form encodings the parsers also take (for the browsable API) are
            # left out, as they cannot say null or a list of objects. Uploads stay multipart.
            for media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                content.pop(media_type, None)
        filterset = getattr(view, "filterset_class", None)
        for parameter in operation.get("parameters", []):
            if (parameter.get("in") == "query" and not parameter.get("required")
                    and (filterset is not None and parameter["name"] in filterset.base_filters
                         or parameter["name"] in (*_LENIENT_QUERY, "page_size"))):
                # django-filter reads `?received_before=` as no filter at all.
                parameter["allowEmptyValue"] = True
        query = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
        if "requestBody" in operation or any(name not in _LENIENT_QUERY for name in query):
            add(400, {"type": "object", "additionalProperties": {}},
                "Bad input: {field: [message, …]} (`non_field_errors` for the whole).")
        authenticators = view.get_authenticators()
        if authenticators:
            add(401, error, "Not signed in, or the token is not valid.")
        if self._may_refuse(path, authenticators):
            add(403, error, "Not permitted for this user.")
        if "{" in path or (self._is_list_view() and self._get_paginator() is not None):
            add(404, error, "No such object for this user (or a page past the last).")
        for code in ("409", "413"):
            if code in responses:
                add(code, coded, responses[code].get("description", ""))
        if view.get_throttles():
            add(429, coded, "Too many requests: wait for `Retry-After` seconds.")

    def _may_refuse(self, path, authenticators) -> bool:
        if self.method not in permissions.SAFE_METHODS and any(
                isinstance(a, SessionAuthentication) for a in authenticators):
            return True  # a session without its CSRF token
        for permission in self.view.get_permissions():
            if isinstance(permission, RulesPermission):
                if getattr(self.view, "collection_permission", None) or (
                        "{" in path and getattr(self.view, "object_permission", None)):
                    return True
            elif not isinstance(permission, (permissions.AllowAny, permissions.IsAuthenticated)):
                return True
        return False


def _model_field_of(field):
    """The model field a serializer field reads directly (`source` one attribute of the parent
    ModelSerializer's model), or None."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*" or getattr(field, "many", False):
        return None
    try:
        return model._meta.get_field(source)
    except FieldDoesNotExist:
        return None


class SchemaGenerator(SpectacularSchemaGenerator):
    """drf-spectacular's generator, with `_SharedResponses` mixed into every view's schema."""

    def create_view(self, callback, method, request=None):
        view = super().create_view(callback, method, request)
        schema_class = view.schema.__class__  # (a weak proxy to the schema)
        if not issubclass(schema_class, _SharedResponses):
            shared = type(f"Shared{schema_class.__name__}", (_SharedResponses, schema_class), {})
            self._set_schema_to_view(view, shared())
        return view


class TransitionViewSetMixin:
    """`POST …/{id}/transitions/{name}/` and `GET …/{id}/events/` for a viewset of a stateful model.

    Everything comes from the model's transition declarations (core/transitions.py): the names
    (any other is 404), the input serializer of each, the service that runs it and the OpenAPI
    entry. The viewset declares `detail_serializer_class`, the object's output after a transition
    (it carries `state` and `allowed_transitions`).

    The object comes from `get_object()`, so the viewset's visibility queryset (404) and object
    permission (403) apply before any input is read; after the service returns, the object is read
    again through `get_queryset()` so the response shows what was committed.
    """

    detail_serializer_class: ClassVar[type[serializers.Serializer] | None] = None
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    pagination_class = StandardPagination
    # The list's rows (lighter than the detail), and creation: the body's serializer and the
    # service that makes the object (`staticmethod(services.create_case)`).
    list_serializer_class: ClassVar[type[serializers.Serializer] | None] = None
    create_input: ClassVar[type[serializers.Serializer] | None] = None
    create_service = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        model = getattr(getattr(cls, "queryset", None), "model", None)
        if model is not None and machine_for(model) is not None:
            extend_schema_view(transition=_transition_schema(cls, machine_for(model)))(cls)

    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)", url_name="transition")
    def transition(self, request, name, pk=None):
        machine = machine_for(self.get_queryset().model)
        if name not in machine:
            raise NotFound(f"'{name}' is not a transition here.")
        declared = machine.get(name)
        obj = self.get_object()
        data = declared.serializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        declared.run(obj, actor=request.user, **data.validated_data)
        return Response(self.detail_data(obj))

    @extend_schema(responses=EventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request, pk=None):
        """The object's journal, oldest first (append-only and hash-chained; see `journal.py`)."""
        obj = self.get_object()
        return Response(EventSerializer(links.events_seen_by(obj, request.user), many=True).data)

    def get_serializer_class(self):
        if self.action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        return self.detail_serializer_class

    def create(self, request):
        if self.create_input is None:
            raise MethodNotAllowed(request.method)
        data = self.create_input(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        obj = self.create_service(actor=request.user, **data.validated_data)
        return Response(self.detail_data(obj), status=status.HTTP_201_CREATED)

    def detail_data(self, obj) -> dict:
        fresh = self.get_queryset().get(pk=obj.pk)
        return self.detail_serializer_class(fresh, context=self.get_serializer_context()).data

    def run_action(self, request, input_serializer, service, **extra):
        """An action on one object that is not a transition (recusal, reassignment…): parse the
        body with `input_serializer`, call `service(<subject>=obj, actor=…, **input)`; return the
        object and what the service returned."""
        obj = self.get_object()
        data = input_serializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        subject = machine_for(obj).subject
        return obj, service(**{subject: obj}, actor=request.user, **data.validated_data, **extra)


@csrf_exempt  # as every API view: a session's POST to no route is a 404, not a CSRF page
def not_found(request, *args, **kwargs):
    """A path under /api/v1/ that no route takes (config/urls.py): the API's JSON 404, not the
    site's HTML page (an `{id}` that is no number, a mistyped collection)."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)


def _transition_schema(viewset, machine):
    prefix = machine.model.__name__
    inputs = [t.serializer for t in machine]
    return extend_schema(
        summary="Run a transition",
        description=(
            "Body: `comment` plus the named transition's own fields (one of the input shapes below). "
            "Transitions: " + ", ".join(
                f"`{t.name}` ({t.serializer.__name__.removesuffix('Serializer')})" for t in machine
            )
            + ". 409 `transition_not_allowed` carries the current `state` and the transitions the user "
            "may run (`allowed`); 409 `conflict` means someone else changed the object first."
        ),
        parameters=[
            OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(machine.transitions)),
        ],
        request=PolymorphicProxySerializer(
            component_name=f"{prefix}TransitionInput", serializers=inputs, resource_type_field_name=None,
        ),
        responses={
            200: viewset.detail_serializer_class,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors: {field: [message, …]}."),
            403: OpenApiResponse(description="Not permitted for this user."),
            404: OpenApiResponse(description="No such object for this user, or no such transition."),
            409: OpenApiResponse(TransitionErrorSerializer, description="Not allowed from this state, or a conflict."),
        },
    )


# --------------------------------------------------------------------------------------------------
# Organisations and workers: filters (lookups by identifier validate their input with the same
# checks registration uses, so a mistyped ID number is a 400, not an empty list)
# --------------------------------------------------------------------------------------------------


class IntegerFilter(filters.NumberFilter):
    """An id to filter by: a whole number (`?platform=0.5` is a 400, not an empty page)."""

    field_class = django_forms.IntegerField


class _StrictBooleanField(django_forms.NullBooleanField):
    """true/false (or 1/0, True/False); absent or blank is no filter; anything else is refused
    (django-filter's own field reads `?overdue=maybe` as no filter)."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise DjangoValidationError(_("“%(value)s” value must be either True or False."),
                                    code="invalid", params={"value": value})

    def validate(self, value):
        pass


class BooleanFilter(filters.BooleanFilter):
    field_class = _StrictBooleanField

    def __init__(self, *args, **kwargs):
        # The raw text to the field (the select widget would read any unknown value as "no filter").
        kwargs.setdefault("widget", django_forms.TextInput)
        super().__init__(*args, **kwargs)


class OrganisationFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=Organisation.Kind.choices)
    credit_code = filters.CharFilter(method="filter_credit_code")

    class Meta:
        model = Organisation
        fields = ["kind", "parent", "credit_code"]

    def filter_credit_code(self, queryset, name, value):
        return queryset.filter(credit_code=value.strip().upper())


class WorkerFilter(filters.FilterSet):
    id_number = filters.CharFilter(
        method="filter_id_number", validators=[identifiers.validate_resident_id],
        help_text="Exact resident ID number; matched through its keyed digest, never decrypted.",
    )
    phone = filters.CharFilter(method="filter_phone", validators=[identifiers.normalise_phone])
    occupation = filters.MultipleChoiceFilter(choices=Worker.Occupation.choices)
    platform = IntegerFilter(field_name="platforms")

    is_union_member = BooleanFilter()

    class Meta:
        model = Worker
        fields = ["id_number", "phone", "occupation", "relationship_type", "is_union_member", "platform"]

    def filter_id_number(self, queryset, name, value):
        return queryset.filter(id_number_digest=resident_id_digest(value))

    def filter_phone(self, queryset, name, value):
        return queryset.filter(phone=identifiers.normalise_phone(value))


@extend_schema_view(
    create=extend_schema(
        request=s.OrganisationCreateSerializer,
        responses={201: s.OrganisationSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
        description="A credit code failing its GB 32100 checksum is a 400 warning; a supervisor may "
                    "keep it with `override_credit_code: true` and an `override_reason`.",
    ),
)
class OrganisationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Organisation.objects.all()
    serializer_class = s.OrganisationSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    collection_permission = "core.view_organisation"
    pagination_class = StandardPagination
    filterset_class = OrganisationFilter
    search_fields = ["name", "credit_code", "contact_person"]
    ordering_fields = ["name", "created_at", "id"]

    def get_queryset(self):
        return visible_organisations(self.request.user)

    def create(self, request):
        data = s.OrganisationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = services.register_organisation(actor=request.user, **data.validated_data)
        return Response(s.OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(
        request=s.WorkerCreateSerializer,
        responses={201: s.WorkerSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    ),
)
class WorkerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Workers. The resident ID number is write-only; reads show `id_number_masked`.

    Look a worker up with `?id_number=` (matched through the keyed digest) or `?phone=`. Such
    look-ups, and `?search=` (it matches phones too), have a stricter rate than the rest of the
    API (`WEIQUAN_THROTTLE_IDENTITY_LOOKUP`; over it, 429).
    """

    queryset = Worker.objects.prefetch_related("platforms")
    serializer_class = s.WorkerSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    collection_permission = "core.view_worker"
    pagination_class = StandardPagination
    filterset_class = WorkerFilter
    search_fields = ["name", "phone"]
    ordering_fields = ["name", "created_at", "id"]
    # Look-ups by identity are rate-limited more strictly than the API (core.throttling); `search`
    # too, since it matches phone numbers.
    identity_lookup_params = ("id_number", "phone", "search")

    def get_queryset(self):
        return visible_workers(self.request.user).prefetch_related("platforms")

    def create(self, request):
        data = s.WorkerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        worker = services.register_worker(actor=request.user, **data.validated_data)
        worker = self.get_queryset().get(pk=worker.pk)
        return Response(s.WorkerSerializer(worker).data, status=status.HTTP_201_CREATED)
