"""The foundation's API routes (under /api/v1/): the parties register, documents, and the API's own
services (token, me, staff, the legal calendar, verification: core/api_extras.py)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api, api_extras, document_api

router = DefaultRouter()
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("workers", api.WorkerViewSet, basename="worker")
router.register("documents", document_api.DocumentViewSet, basename="document")

urlpatterns = [
    path("auth/token/", api_extras.TokenView.as_view(), name="api-token"),
    path("me/", api_extras.MeView.as_view(), name="api-me"),
    path("staff/", api_extras.StaffView.as_view(), name="api-staff"),
    path("calendar/holidays/", api_extras.HolidaysView.as_view(), name="api-calendar-holidays"),
    path("calendar/deadline/", api_extras.DeadlineView.as_view(), name="api-calendar-deadline"),
    path("verify/<str:code>/", api_extras.VerifyView.as_view(), name="api-verify"),
    *router.urls,
]
