"""Collective bargaining's API routes, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("negotiations", api.NegotiationViewSet, basename="negotiation")
router.register("negotiation-rounds", api.RoundViewSet, basename="negotiationround")
router.register("bargaining-topics", api.TopicCatalogueViewSet, basename="bargainingtopic")

urlpatterns = router.urls
