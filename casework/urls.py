from rest_framework.routers import DefaultRouter

from . import api, document_api

router = DefaultRouter()
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("workers", api.WorkerViewSet, basename="worker")
router.register("cases", api.CaseViewSet, basename="case")
router.register("documents", document_api.DocumentViewSet, basename="document")

urlpatterns = router.urls
