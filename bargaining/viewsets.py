"""Bargaining's screens on the web interface's site (core/site.py; found by config/urls.py).

    /bargaining/negotiations/                          集体协商: list (state, level, employer, search)
    /bargaining/negotiations/new/                      register a negotiation
    /bargaining/negotiations/<id>/                     the negotiation page
    /bargaining/negotiations/<id>/transitions/<name>/  one transition's form (the declarations)
    /bargaining/negotiations/<id>/negotiators/new/     seat a negotiator (or fill a vacant seat)
    /bargaining/negotiations/<id>/negotiators/vacate/  a seat left vacant
    /bargaining/negotiations/<id>/topics/new/          a topic (catalogue or custom) with the demand
    /bargaining/negotiations/<id>/notes/               the union's internal note on a topic
    /bargaining/negotiations/<id>/rounds/new/          a round: both sides' positions per topic
    /bargaining/negotiations/<id>/electorate/          the roll that votes on the draft
    /bargaining/negotiations/<id>/contract/            a new version of the contract's text
    /bargaining/negotiations/<id>/renewal/             start the renewal of a contract
    /bargaining/negotiations/<id>/documents/           ask for a document (POST; union staff)
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import Icon
from viewflow.urls import AppMenuMixin, Application, Viewset

from core.roles import is_company_contact
from core.site import site
from core.views import DocumentRequestView, TransitionView

from . import views
from .rules import is_union_staff
from .selectors import visible_to

DETAIL = "bargaining:negotiations:detail"


def staff_visible(user):
    """What union staff may ask documents of (a company contact asks for none)."""
    qs = visible_to(user)
    return qs if user.is_authenticated and is_union_staff(user) else qs.none()


class NegotiationViewset(AppMenuMixin, Viewset):
    title = _("集体协商")
    icon = Icon("groups")
    app_name = "negotiations"

    index_path = path("", views.NegotiationListView.as_view(), name="index")
    create_path = path("new/", views.NegotiationCreateView.as_view(), name="create")
    detail_path = path("<int:pk>/", views.NegotiationDetailView.as_view(), name="detail")
    transition_path = path("<int:pk>/transitions/<slug:name>/", TransitionView.as_view(
        visible=visible_to, detail_url_name=DETAIL, transition_url_name="bargaining:negotiations:transition"),
        name="transition")
    documents_path = path("<int:pk>/documents/", DocumentRequestView.as_view(
        visible=staff_visible, detail_url_name=DETAIL), name="documents")
    negotiator_path = path("<int:pk>/negotiators/new/", views.NegotiatorView.as_view(), name="negotiator")
    vacate_path = path("<int:pk>/negotiators/vacate/", views.VacateSeatView.as_view(), name="vacate")
    topic_path = path("<int:pk>/topics/new/", views.TopicView.as_view(), name="topic")
    note_path = path("<int:pk>/notes/", views.UnionNoteView.as_view(), name="note")
    round_path = path("<int:pk>/rounds/new/", views.RoundView.as_view(), name="round")
    electorate_path = path("<int:pk>/electorate/", views.ElectorateView.as_view(), name="electorate")
    contract_path = path("<int:pk>/contract/", views.ContractView.as_view(), name="contract")
    renewal_path = path("<int:pk>/renewal/", views.RenewalView.as_view(), name="renewal")


@site.register
class BargainingApplication(Application):
    """Collective bargaining: union staff, and company contacts for their own organisation's
    negotiations (the list and pages filter by selectors.visible_to; anything else is 404)."""

    title = _("集体协商")
    icon = Icon("groups")
    app_name = "bargaining"
    viewsets = [NegotiationViewset()]

    def has_view_permission(self, user, obj=None):
        # anonymous users get through to the views, which send them to the sign-in page
        return not user.is_authenticated or is_union_staff(user) or is_company_contact(user)
