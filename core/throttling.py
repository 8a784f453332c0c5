"""Throttling: sign-in lockout (django-axes) and request rates (Django REST Framework's throttles).

- **Sign-in** — the web sign-in, the admin's and the API's token endpoint all go through Django's
  `authenticate()`; django-axes counts each failure per user name and per address
  (`AXES_LOCKOUT_PARAMETERS`) and, past `AXES_FAILURE_LIMIT`, refuses every further attempt for
  `AXES_COOLOFF_TIME`, the right password included. The refusal is `lockout_response()`: a page
  in the site's look, or JSON on the API, 429 either way with `Retry-After`.
- **The API** — `AnonThrottle` and `UserThrottle` (per address / per user) on every view;
  `IdentityLookupThrottle`, stricter, on a look-up by ID number or phone (a view names its
  look-up parameters in `identity_lookup_params`); `VerifyThrottle` per address on the public
  verification page and its JSON twin (one counter for both).

Rates are settings (`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, from the environment, README
"Configuration") and read on every request, so a change of settings applies at once. Counters
live in the default cache: Redis in production, shared by every web process.
"""

from __future__ import annotations

import math
from functools import wraps

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import throttling
from rest_framework.settings import api_settings

# --------------------------------------------------------------------------------------------------
# Sign-in (django-axes)
# --------------------------------------------------------------------------------------------------


class SignInLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS.

    A sign-in over HTTP always brings its request (Django's login views, the admin's, DRF's token
    serializer pass it); a call without one (`manage.py shell`, the test client's `login()`) is no
    sign-in attempt from anywhere, and is left to the other backends instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _minutes(delta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60)) if delta else 0


def lockout_message(request) -> str:
    cool_off = get_cool_off(request)
    if cool_off:
        return _("登录失败次数过多，已暂时锁定。请在 %(minutes)d 分钟后再试；如忘记密码，请联系主管重置。") % {
            "minutes": _minutes(cool_off)}
    return _("登录失败次数过多，已被锁定。请联系主管解除锁定。")


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked-out sign-in (settings.AXES_LOCKOUT_CALLABLE): 429, with Retry-After."""
    cool_off = get_cool_off(request)
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "locked_out", "detail": message}, status=429)
    else:
        response = render(request, "core/locked_out.html", {"message": message}, status=429)
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response


# --------------------------------------------------------------------------------------------------
# Request rates (DRF throttles)
# --------------------------------------------------------------------------------------------------


class _RateFromSettings:
    """DRF binds THROTTLE_RATES when it is imported; read the configured rate on every request."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    """Anonymous clients, per address (scope `anon`)."""


class UserThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Signed-in users, per user (scope `user`)."""


class IdentityLookupThrottle(_RateFromSettings, throttling.SimpleRateThrottle):
    """Look-ups by resident ID number or phone (scope `identity_lookup`), per user.

    Only requests that carry one of the view's `identity_lookup_params` count: a list of workers
    is not a look-up, and turning ID numbers into names one at a time is what this bounds.
    """

    scope = "identity_lookup"

    def allow_request(self, request, view):
        params = getattr(view, "identity_lookup_params", ())
        if not any(request.query_params.get(p) for p in params):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class VerifyThrottle(_RateFromSettings, throttling.SimpleRateThrottle):
    """Document verification (scope `verify`), per address: the HTML page and the JSON endpoint."""

    scope = "verify"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttled_message(wait) -> str:
    if wait:
        return _("请求过于频繁，请在 %(seconds)d 秒后再试。") % {"seconds": max(1, math.ceil(wait))}
    return _("请求过于频繁，请稍后再试。")


def throttle_page(throttle_class, template="core/throttled.html"):
    """Apply a DRF throttle to a plain Django view (a public page): over the rate, a 429 page in
    the site's language with Retry-After, and the view is not run."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            throttle = throttle_class()
            if not throttle.allow_request(request, None):
                wait = throttle.wait()
                response = render(request, template, {"message": throttled_message(wait)}, status=429)
                if wait:
                    response["Retry-After"] = str(max(1, math.ceil(wait)))
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
