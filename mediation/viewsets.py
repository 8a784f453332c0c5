"""Mediation's screens on the web interface's site (core/site.py; found by config/urls.py).

    /mediation/mediations/                         诉调对接: list (filters, search)
    /mediation/mediations/<id>/                    the mediation page
    /mediation/mediations/<id>/transitions/<name>/ one transition's form
    /mediation/mediations/<id>/sessions/new/       record a session (调解笔录)
    /mediation/mediations/<id>/payments/new/       record a payment against the agreement
    /mediation/mediations/<id>/reassign/, recuse/  change the mediator (workload, conflicts)
    /mediation/mediations/<id>/documents/          ask for a document (POST)
    /mediation/imports/                            import a court's referral list
    /mediation/imports/<job>/, …/progress/         the import's progress bar and report; JSON
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import Icon
from viewflow.urls import AppMenuMixin, Application, Viewset

from core.roles import is_court_liaison
from core.site import object_pages, site

from . import views
from .rules import is_mediation_staff
from .selectors import visible_mediations

DETAIL = "mediation:mediations:detail"


class MediationViewset(AppMenuMixin, Viewset):
    title = _("调解案件")
    icon = Icon("handshake")
    app_name = "mediations"

    index_path = path("", views.MediationListView.as_view(), name="index")
    detail_path = path("<int:pk>/", views.MediationDetailView.as_view(), name="detail")
    transition_path, documents_path = object_pages(
        visible=visible_mediations, detail_url_name=DETAIL, transition_url_name="mediation:mediations:transition")
    session_path = path("<int:pk>/sessions/new/", views.SessionView.as_view(), name="session")
    payment_path = path("<int:pk>/payments/new/", views.PaymentView.as_view(), name="payment")
    reassign_path = path("<int:pk>/reassign/", views.ReassignView.as_view(), name="reassign")
    recuse_path = path("<int:pk>/recuse/", views.RecuseView.as_view(), name="recuse")


class ImportViewset(AppMenuMixin, Viewset):
    title = _("导入委派清单")
    icon = Icon("upload_file")
    app_name = "imports"

    index_path = path("", views.ImportView.as_view(), name="index")
    job_path = path("<slug:job_id>/", views.ImportJobView.as_view(), name="job")
    progress_path = path("<slug:job_id>/progress/", views.ImportProgressView.as_view(), name="progress")

    def has_view_permission(self, user, obj=None):
        return user.has_perm("mediation.import_referrals")  # the menu; the view checks it too


@site.register
class MediationApplication(Application):
    """Court-plus-union mediation: union mediation staff, and court liaisons for their own court's
    referrals (the lists and pages filter by mediation_visibility_filter; anything else is 404)."""

    title = _("诉调对接")
    icon = Icon("handshake")
    app_name = "mediation"
    viewsets = [MediationViewset(), ImportViewset()]

    def has_view_permission(self, user, obj=None):
        # anonymous users get through to the views, which send them to the sign-in page
        return not user.is_authenticated or is_mediation_staff(user) or is_court_liaison(user)
