from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from casework import document_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("casework.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Public, no login: printed on every document (casework/document_views.py).
    path("verify/", document_views.verify_lookup, name="document-verify-lookup"),
    path("verify/<str:code>", document_views.verify, name="document-verify"),
]
