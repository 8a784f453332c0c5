"""Dispute intake's API routes (under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")

urlpatterns = router.urls
