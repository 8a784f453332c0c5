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
