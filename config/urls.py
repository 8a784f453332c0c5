from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from viewflow.contrib.auth import AuthViewset

from core import api, document_views
from core.site import site

# Every app's viewsets.py registers its Application on the web interface's site (docs/ui.md).
autodiscover_modules("viewsets")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("core.urls")),
    path("api/v1/", include("casework.urls")),
    path("api/v1/", include("mediation.urls")),
    path("api/v1/", include("bargaining.urls")),
    path("api/v1/", include("legal_checkup.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's set-up script from its own URL (?script), not inline: the Content-Security-Policy
    # allows no inline script.
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Any other path under /api/v1/ ending in "/" is the API's JSON 404 (without the slash,
    # APPEND_SLASH still redirects first).
    re_path(r"^api/v1/.*/$", api.not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    # Public, no login: printed on every document (core/document_views.py).
    path("verify/", document_views.verify_lookup, name="document-verify-lookup"),
    path("verify/<str:code>", document_views.verify, name="document-verify"),
    # The staff web interface: sign-in, then the viewflow site (core/site.py).
    path("accounts/", AuthViewset(with_profile_view=False).urls),
    path("", site.urls),
]
