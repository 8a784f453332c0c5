"""Turn domain exceptions into the error shapes the API contract promises (DESIGN.md, "Errors").

Services raise plain Django and django-fsm exceptions so they stay usable outside HTTP; this module
is the single place that decides what a client sees for each of them:

- `TransitionRefused`, `TransitionNotAllowed` -> 409 `transition_not_allowed` with the object's
  state and what *this* user may do instead, so a client can recover without a second request;
- `ConcurrentTransition` -> 409 `conflict` (someone else moved the object first: reload and retry);
- Django `ValidationError` -> 400 with field errors, shaped like DRF's own serializer errors;
- Django `PermissionDenied` -> 403, keeping the service's explanation.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import transitions


def _transition_not_allowed(obj, name, detail, unmet, user) -> Response:
    body = {"code": "transition_not_allowed", "detail": detail}
    if obj is not None:
        body["state"] = transitions.current_state(obj, name) if name else None
        body["allowed"] = transitions.allowed_transitions(obj, user) if user is not None else []
    if unmet:
        body["unmet_conditions"] = unmet
    return Response(body, status=status.HTTP_409_CONFLICT)


def _validation_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    request = context.get("request")
    user = getattr(request, "user", None)

    if isinstance(exc, transitions.TransitionRefused):
        return _transition_not_allowed(exc.obj, exc.name, exc.detail, exc.unmet, user)
    if isinstance(exc, TransitionNotAllowed):
        name = getattr(exc.method, "__name__", None)
        unmet = transitions.unmet_conditions(exc.object, name) if exc.object is not None and name else []
        return _transition_not_allowed(exc.object, name, str(exc), unmet, user)
    if isinstance(exc, ConcurrentTransition):
        return Response(
            {"code": "conflict", "detail": str(exc) or "The object was changed by someone else; reload it and try again."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_errors(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)
