"""The legal health check's screens on the web interface's site (core/site.py; found by config/urls.py).

    /legal_checkup/checkups/                                 法治体检: list (state, company, grade, search);
                                                             for a company contact, their company's home
    /legal_checkup/checkups/new/                             register a request for a checkup
    /legal_checkup/checkups/<id>/                            the checkup page (staff) / the report (company contact)
    /legal_checkup/checkups/<id>/transitions/<name>/         one transition's form (the declarations)
    /legal_checkup/checkups/<id>/documents/                  ask for a document (POST; union staff)
    /legal_checkup/checkups/<id>/team/                       add a member to the audit team (conflict check)
    /legal_checkup/checkups/<id>/assessments/<a>/            assess an item, with its evidence
    /legal_checkup/checkups/<id>/assessments/<a>/reassess/   re-assess an item without a finding (follow-up)
    /legal_checkup/checkups/<id>/findings/<f>/               edit a finding's text (drafting)
    /legal_checkup/checkups/<id>/findings/<f>/reassess/      re-assess a finding (follow-up)
    /legal_checkup/checkups/<id>/findings/<f>/escalate/      the next supervision letter (overdue)
    /legal_checkup/checkups/<id>/findings/<f>/reply/         the company's reply on a finding
    /legal_checkup/checkups/<id>/letters/<l>/reply/          a letter's reply
    /legal_checkup/checkups/<id>/letters/<l>/pdf/            a letter's PDF
    /legal_checkup/checkups/<id>/evidence/<e>/               an evidence file
    /legal_checkup/checklists/                               体检清单: the versions (supervisors edit)
    /legal_checkup/checklists/<c>/versions/new/              a new version (POST)
    /legal_checkup/checklists/versions/<v>/                  a version's items
    /legal_checkup/checklists/versions/<v>/items/            add or change an item (unpublished)
    /legal_checkup/checklists/versions/<v>/clauses/          include collective contract clauses (POST)
    /legal_checkup/checklists/versions/<v>/publish/          publish (POST)
    /legal_checkup/checklists/versions/<v>/export/?format=   the version as JSON, CSV or XLSX
    /legal_checkup/checklists/<c>/import/                    a checklist file as a new version (POST)

The check-up's figures are a section of the work bench's dashboard (core.dashboard, registered below).
"""

import functools
import operator

import rules
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import Icon
from viewflow.urls import AppMenuMixin, Application, Viewset

from core import dashboard
from core.roles import Role, is_company_contact
from core.site import site
from core.views import DocumentRequestView, TransitionView

from . import checklist_views, form_views, selectors, views
from .rules import is_union_staff

# The menu asks on every page: group names cached on the user (rules.is_group_member), no query each.
in_union_groups = functools.reduce(operator.or_, (rules.is_group_member(role) for role in Role.UNION_STAFF))

DETAIL = views.DETAIL


def staff_visible(user):
    """What union staff may ask documents of (a company contact asks for none)."""
    qs = selectors.visible_to(user)
    return qs if user.is_authenticated and is_union_staff(user) and not is_company_contact(user) else qs.none()


class CheckupViewset(AppMenuMixin, Viewset):
    title = _("法治体检")
    icon = Icon("fact_check")
    app_name = "checkups"

    index_path = path("", views.CheckupListView.as_view(), name="index")
    create_path = path("new/", views.CheckupCreateView.as_view(), name="create")
    detail_path = path("<int:pk>/", views.CheckupDetailView.as_view(), name="detail")
    # core's one transition view (tests/core/test_declarations.py finds it), on the check-up's template
    transition_path = path("<int:pk>/transitions/<slug:name>/", TransitionView.as_view(
        visible=selectors.visible_to, detail_url_name=DETAIL, transition_url_name=views.TRANSITION,
        template_name="legal_checkup/object_form.html"), name="transition")
    documents_path = path("<int:pk>/documents/", DocumentRequestView.as_view(
        visible=staff_visible, detail_url_name=DETAIL), name="documents")
    team_path = path("<int:pk>/team/", form_views.TeamMemberView.as_view(), name="team")
    assess_path = path("<int:pk>/assessments/<int:apk>/", form_views.AssessView.as_view(), name="assess")
    item_reassess_path = path("<int:pk>/assessments/<int:apk>/reassess/", form_views.ItemReassessView.as_view(),
                              name="item_reassess")
    finding_path = path("<int:pk>/findings/<int:fpk>/", form_views.FindingEditView.as_view(), name="finding")
    reassess_path = path("<int:pk>/findings/<int:fpk>/reassess/", form_views.ReassessView.as_view(), name="reassess")
    escalate_path = path("<int:pk>/findings/<int:fpk>/escalate/", form_views.EscalateView.as_view(), name="escalate")
    reply_path = path("<int:pk>/findings/<int:fpk>/reply/", form_views.ReplyView.as_view(), name="reply")
    letter_reply_path = path("<int:pk>/letters/<int:lpk>/reply/", form_views.LetterReplyView.as_view(),
                             name="letter_reply")
    letter_pdf_path = path("<int:pk>/letters/<int:lpk>/pdf/", form_views.LetterDocumentView.as_view(), name="letter_pdf")
    evidence_path = path("<int:pk>/evidence/<int:epk>/", form_views.EvidenceDownloadView.as_view(), name="evidence")


class ChecklistViewset(AppMenuMixin, Viewset):
    title = _("体检清单")
    icon = Icon("checklist")
    app_name = "checklists"

    index_path = path("", checklist_views.ChecklistListView.as_view(), name="index")
    new_version_path = path("<int:cpk>/versions/new/", checklist_views.NewVersionView.as_view(), name="new_version")
    version_path = path("versions/<int:vpk>/", checklist_views.VersionView.as_view(), name="version")
    item_path = path("versions/<int:vpk>/items/", checklist_views.ItemView.as_view(), name="item")
    clauses_path = path("versions/<int:vpk>/clauses/", checklist_views.IncludeClausesView.as_view(), name="clauses")
    publish_path = path("versions/<int:vpk>/publish/", checklist_views.PublishView.as_view(), name="publish")
    export_path = path("versions/<int:vpk>/export/", checklist_views.ExportView.as_view(), name="export")
    import_path = path("<int:cpk>/import/", checklist_views.ImportView.as_view(), name="import")

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated and user.has_perm("legal_checkup.view_checklist") and not is_company_contact(user)


@site.register
class CheckupApplication(Application):
    """The legal health check: union staff, and company contacts for their own company's issued
    reports (the list and pages filter by selectors.visible_to; anything else is 404)."""

    title = _("法治体检")
    icon = Icon("fact_check")
    app_name = "legal_checkup"
    viewsets = [CheckupViewset(), ChecklistViewset()]

    def has_view_permission(self, user, obj=None):
        # anonymous users get through to the views, which send them to the sign-in page
        return not user.is_authenticated or (user.is_active and in_union_groups(user)) or is_company_contact(user)


# The check-up's figures on the work bench's dashboard (core.dashboard: core knows no module).
dashboard.register("legal_checkup", template="legal_checkup/dashboard.html", context=views.dashboard_context,
                   permission="legal_checkup.add_checkup")
