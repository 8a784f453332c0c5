"""Language of the web interface: Simplified Chinese unless the user switched to English.

Django's LocaleMiddleware also follows the browser's Accept-Language, so a union officer whose
browser happens to be set to English would get English pages. For the web interface the default
is `settings.LANGUAGE_CODE` (zh-hans) and only an explicit choice (the language switch in the page
header, i.e. Django's `set_language` cookie) changes it. The API keeps LocaleMiddleware's
negotiation untouched.
"""

from django.conf import settings
from django.utils import translation


class UILanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than its path takes, before anything reads it.

    The limit (core.limits.body_limit) is per kind of body: an upload (multipart) up to
    WEIQUAN_UPLOAD_MAX_BYTES, the public verification page's PDF up to
    WEIQUAN_VERIFY_UPLOAD_MAX_BYTES, anything else up to DATA_UPLOAD_MAX_MEMORY_SIZE. The API
    answers 413 in its error shape (`{"code": "request_too_large", "detail": ...}`), pages with a
    short 413 page. A body without a Content-Length is never read by Django (its stream is limited
    to the declared length), so the declared length is the one to check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import limits

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length:
            limit = limits.body_limit(request.path, request.META.get("CONTENT_TYPE", ""))
            if length > limit:
                return _too_large(request, limits.size_message(length, limit))
        return self.get_response(request)


def _too_large(request, message):
    from django.http import HttpResponse, JsonResponse
    from django.utils.html import escape

    from .errors import KINDS, RequestTooLarge

    status = KINDS[RequestTooLarge.code].status
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": RequestTooLarge.code, "detail": message}, status=status)
    else:
        response = HttpResponse(
            f'<!DOCTYPE html><html lang="zh-hans"><meta charset="utf-8"><title>413</title><p>{escape(message)}</p></html>',
            status=status, content_type="text/html; charset=utf-8",
        )
    return response
