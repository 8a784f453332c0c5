"""Mediation's API routes, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("mediations", api.MediationViewSet, basename="mediation")
router.register("mediation-sessions", api.MediationSessionViewSet, basename="mediationsession")

urlpatterns = router.urls
