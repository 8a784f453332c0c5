"""The foundation's API routes (under /api/v1/): the parties register and documents."""

from rest_framework.routers import DefaultRouter

from . import api, document_api

router = DefaultRouter()
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("workers", api.WorkerViewSet, basename="worker")
router.register("documents", document_api.DocumentViewSet, basename="document")

urlpatterns = router.urls
