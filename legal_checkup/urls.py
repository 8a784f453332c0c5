"""The legal check-up's API routes, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("checkups", api.CheckupViewSet, basename="checkup")
router.register("checkup-letters", api.LetterViewSet, basename="checkupletter")
router.register("checklists", api.ChecklistViewSet, basename="checklist")
router.register("offered-clauses", api.OfferedClauseViewSet, basename="offeredclause")
router.register("checkup-figures", api.CheckupFiguresViewSet, basename="checkupfigures")

urlpatterns = router.urls
