"""Dispute intake's screens on the web interface's site (core/site.py; found by config/urls.py).

    /casework/cases/                         维权案件: list, intake, case page, evidence, documents
    /casework/cases/<id>/transitions/<name>/ one transition's form (core.views.TransitionView)
    /work/dashboard/                         统计: the cases' figures, on the work bench
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import Icon
from viewflow.urls import AppMenuMixin, Application, Viewset

from core.site import object_pages, site

from . import views
from .selectors import visible_cases

DETAIL = "casework:cases:detail"


class DashboardViewset(AppMenuMixin, Viewset):
    title = _("统计")
    icon = Icon("insert_chart")
    app_name = "dashboard"

    index_path = path("", views.DashboardView.as_view(), name="index")

    def has_view_permission(self, user, obj=None):
        return user.has_perm("casework.view_dashboard")  # menu only; the view checks it too


class CaseViewset(AppMenuMixin, Viewset):
    title = _("维权案件")
    icon = Icon("folder_shared")
    app_name = "cases"

    index_path = path("", views.CaseListView.as_view(), name="index")
    add_path = path("new/", views.IntakeView.as_view(), name="add")
    lookup_worker_path = path("lookup/worker/", views.WorkerLookupView.as_view(), name="lookup_worker")
    detail_path = path("<int:pk>/", views.CaseDetailView.as_view(), name="detail")
    transition_path, documents_path = object_pages(
        visible=visible_cases, detail_url_name=DETAIL, transition_url_name="casework:cases:transition")
    evidence_path = path("<int:pk>/evidence/", views.EvidenceUploadView.as_view(), name="evidence")
    evidence_download_path = path(
        "<int:pk>/evidence/<int:evidence_pk>/", views.EvidenceDownloadView.as_view(), name="evidence_download"
    )


@site.register
class CaseworkApplication(Application):
    """Dispute intake. Union casework staff and legal-aid volunteers (who see only their cases)."""

    title = _("维权受理")
    icon = Icon("gavel")
    app_name = "casework"
    viewsets = [CaseViewset()]

    def has_view_permission(self, user, obj=None):
        # the module permission: casework staff and volunteers (rules.py); anonymous users
        # get through to the views, which send them to the sign-in page
        return not user.is_authenticated or user.has_perm("casework")


site.work.add(DashboardViewset())
