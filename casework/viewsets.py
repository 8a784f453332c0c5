"""The web interface's URL layout: one viewflow `Site`, one `Application` per module (docs/ui.md).

    /                       -> the first application the user may open (the inbox)
    /work/inbox/            我的待办: every module's open tasks for the user (casework.workflow)
    /work/dashboard/        统计: charts
    /casework/cases/        维权案件: list, intake, case page, transition forms, evidence, documents
    /accounts/login/ …      sign-in (Django auth, viewflow's Material templates)

A module adds its screens by declaring an `Application` in its own `viewsets.py` and registering it
on this site (found automatically by config/urls.py):

    from casework.viewsets import site
    @site.register
    class MediationApplication(Application): ...
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import Icon
from viewflow.urls import AppMenuMixin, Application, Site, Viewset

from . import views, work_views


class InboxViewset(AppMenuMixin, Viewset):
    title = _("我的待办")
    icon = Icon("inbox")
    app_name = "inbox"

    index_path = path("", work_views.InboxView.as_view(), name="index")
    claim_path = path("<int:task_pk>/claim/", work_views.ClaimView.as_view(), name="claim")
    reassign_path = path("<int:task_pk>/reassign/", work_views.ReassignView.as_view(), name="reassign")


class DashboardViewset(AppMenuMixin, Viewset):
    title = _("统计")
    icon = Icon("insert_chart")
    app_name = "dashboard"

    index_path = path("", work_views.DashboardView.as_view(), name="index")

    def has_view_permission(self, user, obj=None):
        return user.has_perm("casework.view_dashboard")  # menu only; the view checks it too


class WorkApplication(Application):
    title = _("工作台")
    icon = Icon("work")
    app_name = "work"
    viewsets = [InboxViewset(), DashboardViewset()]

class CaseViewset(AppMenuMixin, Viewset):
    title = _("维权案件")
    icon = Icon("folder_shared")
    app_name = "cases"

    index_path = path("", views.CaseListView.as_view(), name="index")
    add_path = path("new/", views.IntakeView.as_view(), name="add")
    lookup_worker_path = path("lookup/worker/", views.WorkerLookupView.as_view(), name="lookup_worker")
    detail_path = path("<int:pk>/", views.CaseDetailView.as_view(), name="detail")
    transition_path = path("<int:pk>/transitions/<slug:name>/", views.TransitionView.as_view(), name="transition")
    evidence_path = path("<int:pk>/evidence/", views.EvidenceUploadView.as_view(), name="evidence")
    evidence_download_path = path(
        "<int:pk>/evidence/<int:evidence_pk>/", views.EvidenceDownloadView.as_view(), name="evidence_download"
    )
    documents_path = path("<int:pk>/documents/", views.DocumentRequestView.as_view(), name="documents")


class CaseworkApplication(Application):
    """Dispute intake. Union casework staff and legal-aid volunteers (who see only their cases)."""

    title = _("维权受理")
    icon = Icon("gavel")
    app_name = "casework"
    def has_view_permission(self, user, obj=None):
        # the module permission: casework staff and volunteers (permissions.py); anonymous users
        # get through to the views, which send them to the sign-in page
        return not user.is_authenticated or user.has_perm("casework")
    viewsets = [CaseViewset()]


class WeiquanSite(Site):
    title = _("维权工作平台")
    menu_template_name = "ui/site_menu.html"
    primary_color = "#b71c1c"
    secondary_color = "#37474f"

    def register(self, app_class):
        """Add a module's Application (usable as a class decorator)."""
        if any(type(app) is app_class for app in self.viewsets):
            return app_class
        if self._urls_cache is not None:
            raise RuntimeError("site.register() after the URLs were built: register in the module's viewsets.py")
        app = app_class()
        self.viewsets.append(app)
        self._children.append(app)  # viewflow's own register() leaves the menu without it
        return app_class


site = WeiquanSite(viewsets=[WorkApplication(), CaseworkApplication()])
