"""The legal check-up's API routes, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from . import api, register_api

router = SimpleRouter()
router.register("checkups", api.CheckupViewSet, basename="checkup")
router.register("checkup-letters", api.LetterViewSet, basename="checkupletter")
router.register("checklists", register_api.ChecklistViewSet, basename="checklist")
router.register("offered-clauses", register_api.OfferedClauseViewSet, basename="offeredclause")
router.register("checkup-figures", register_api.CheckupFiguresViewSet, basename="checkupfigures")

urlpatterns = router.urls
