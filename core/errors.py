"""One error model for the API and the web pages (DESIGN.md, "Errors").

Services stay usable outside HTTP: they raise Django's `ValidationError` (bad input, field by
field) and `PermissionDenied`, django-fsm's `ConcurrentTransition`, or a `Refusal` below. Each
refusal has a *code* and a lazily translated *message* written for the person who asked; `KINDS`
is the one table that says, per code, which HTTP status the API answers and where a page shows it.
The API's exception handler and the views both go through `describe()`: nothing else decides what
a user is told, and nothing looks at the language of a message.
"""

import math
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Refusal(Exception):
    """A request the user may not make now, with the reason in their words."""

    code = "refused"
    default_message = _("暂不能执行此操作。")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __str__(self):
        return str(self.message)


class TransitionRefused(Refusal):
    """The transition does not start from the object's current state, or its conditions are unmet.

    Also raised by actions that are not transitions but need a state (recording a session while
    nobody is mediating): `name` is then None. `unmet` lists the unmet conditions' hints."""

    code = "transition_not_allowed"
    default_message = _("当前状态下不能执行此操作。")

    def __init__(self, obj, name, message=None, unmet=()):
        self.obj = obj
        self.name = name
        self.unmet = [str(u) for u in unmet]
        super().__init__(message)

    @property
    def detail(self) -> str:
        return str(self.message)


class DocumentNotAllowed(Refusal):
    """The kind of document is not issued in the object's current state."""

    code = "document_not_allowed"


class RequestTooLarge(Refusal):
    """The request's body is larger than the path takes (core/limits.py, `body_limit()`)."""

    code = "request_too_large"
    default_message = _("请求内容过大。")


# Everything `describe()` knows: what a view catches to show the user.
HANDLED = (ValidationError, PermissionDenied, ConcurrentTransition, TransitionNotAllowed, Refusal)


@dataclass(frozen=True)
class Kind:
    status: int
    # Where a page shows it: "fields" beside the inputs it names; "form" above the form the user
    # filled in, their input kept; "page" as the "not possible now" panel with what they may do.
    placement: str


KINDS = {
    "invalid": Kind(status.HTTP_400_BAD_REQUEST, "fields"),
    "permission_denied": Kind(status.HTTP_403_FORBIDDEN, "form"),
    "conflict": Kind(status.HTTP_409_CONFLICT, "form"),
    "transition_not_allowed": Kind(status.HTTP_409_CONFLICT, "page"),
    "document_not_allowed": Kind(status.HTTP_409_CONFLICT, "form"),
    "refused": Kind(status.HTTP_409_CONFLICT, "form"),
    "request_too_large": Kind(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "form"),
}

CONFLICT_MESSAGE = _("刚刚已被他人更新，请刷新确认当前状态后重试。您填写的内容已保留。")
PERMISSION_MESSAGE = _("您没有权限执行此操作。")


@dataclass
class Described:
    code: str
    message: str
    kind: Kind
    exc: Exception

    @property
    def status(self) -> int:
        return self.kind.status

    @property
    def placement(self) -> str:
        return self.kind.placement


def describe(exc) -> Described | None:
    """The code, message, status and placement of a domain exception; None for anything else."""
    if isinstance(exc, ValidationError):
        code, message = "invalid", "；".join(exc.messages)
    elif isinstance(exc, PermissionDenied):
        code, message = "permission_denied", str(exc) if exc.args and exc.args[0] else str(PERMISSION_MESSAGE)
    elif isinstance(exc, ConcurrentTransition):
        # core.transitions raises it with a message for people; django-fsm's own says "Cannot save".
        code, message = "conflict", str(exc.args[0]) if exc.args and exc.args[0] else str(CONFLICT_MESSAGE)
    elif isinstance(exc, TransitionNotAllowed):
        code, message = "transition_not_allowed", str(TransitionRefused.default_message)
    elif isinstance(exc, Refusal):
        code, message = exc.code, str(exc.message)
    else:
        return None
    return Described(code, message, KINDS[code], exc)


def validation_body(exc: ValidationError) -> dict:
    """A ValidationError as the API's 400 body: {field: [message, …]} (DRF's own shape)."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def _refused_body(exc, user) -> dict:
    from . import transitions

    obj, name, unmet = None, None, []
    if isinstance(exc, TransitionRefused):
        obj, name, unmet = exc.obj, exc.name, exc.unmet
    elif isinstance(exc, TransitionNotAllowed):
        obj, name = exc.object, getattr(exc.method, "__name__", None)
        unmet = transitions.unmet_conditions(obj, name) if obj is not None and name else []
    body = {"code": "transition_not_allowed", "detail": str(getattr(exc, "message", "") or exc)}
    if obj is not None:
        body["state"] = transitions.current_state(obj)
        body["allowed"] = transitions.allowed_transitions(obj, user) if user is not None else []
    if unmet:
        body["unmet_conditions"] = unmet
    return body


def exception_handler(exc, context):
    """DRF's exception handler (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"])."""
    if isinstance(exc, exceptions.Throttled):
        from .throttling import throttled_message

        headers = {"Retry-After": str(math.ceil(exc.wait))} if exc.wait else None
        return Response({"code": "throttled", "detail": throttled_message(exc.wait)},
                        status=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)
    described = describe(exc)
    if described is None:
        return drf_exception_handler(exc, context)
    if described.code == "invalid":
        return Response(validation_body(exc), status=described.status)
    if described.code == "permission_denied":
        return drf_exception_handler(exceptions.PermissionDenied(detail=described.message), context)
    if described.code == "transition_not_allowed":
        request = context.get("request")
        return Response(_refused_body(exc, getattr(request, "user", None)), status=described.status)
    return Response({"code": described.code, "detail": described.message}, status=described.status)
