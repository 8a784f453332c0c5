"""Response headers of the production run that Django and django-csp do not set themselves.

- ``Cache-Control: no-store`` (with ``private``) on every response the project itself makes: the
  API (always, whatever a view said) and the pages and downloads (unless the view chose its own
  caching). Nearly every one of them carries personal data — workers' names, phone numbers, masked
  ID numbers, claims, evidence, PDFs — and the few that do not (the sign-in form, the API schema)
  lose nothing by it. A browser or a proxy keeps no copy on disk, and the back button after
  signing out shows no case. Static files never reach this middleware: WhiteNoise answers them
  first, with its own long-lived caching for the hashed names.
- ``Permissions-Policy``: the site uses no camera, microphone, location, payment or USB; pages
  (and anything injected into them) may not ask for them.
"""

from django.utils.cache import patch_cache_control

API_PREFIX = "/api/"

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb",
))


class PrivateResponseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            if "Cache-Control" in response:
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)
        elif "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
