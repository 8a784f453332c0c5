"""The web interface for bargaining: who sees what (union staff every negotiation, a company contact
only their organisation's and only to answer the proposal), the union's internal notes never on a
company contact's page, the list's filters, the page's panels (team, topics, comparison with its
chart, costing, contract versions and the redline, votes), and each form: done, or refused with the
reason beside the field and nothing written."""

import datetime
import re
from decimal import Decimal

import pytest

from bargaining import services
from bargaining.models import Negotiation, NegotiationTopic, Negotiator, OrderStatistic, Side, Topic, UnionNote
from core import journal
from core.roles import Role
from tests.bargaining.helpers import (
    agree_all, contact_of, make_negotiation, negotiation_in_state, officer, platform, today, union,
)
from tests.scenarios import make_user

pytestmark = pytest.mark.django_db

LIST = "/bargaining/negotiations/"
# Distinctive values of the union's internal notes: none may reach a company contact.
# Figures no timestamp or amount on a page can contain (a time has two digits before its point).
SECRET_TARGET, SECRET_FLOOR, SECRET_NOTE = Decimal("7637.37"), Decimal("5583.83"), "底线暗号青鸟"


def page_of(n, rest=""):
    return f"{LIST}{n.pk}/{rest}"


def text(response):
    return response.content.decode()


def login(client, user):
    client.force_login(user)
    return client


def listed(client, query=""):
    return set(re.findall(r"XS-?\d{4}-?\d+", text(client.get(LIST + query))))


def with_notes(n, actor):
    piece = n.topics.get(name="计件单价") if n.topics.filter(name="计件单价").exists() else n.topics.first()
    services.set_union_note(topic=piece, actor=actor, priority=1, target_value=SECRET_TARGET,
                            walk_away_value=SECRET_FLOOR, note=SECRET_NOTE)
    return piece


def assert_no_notes(html):
    for value in ("7637.37", "5583.83", SECRET_NOTE, "工会内部备忘", "底线", "data-note="):
        assert value not in html, value


# --- who sees what ------------------------------------------------------------------------------


def test_pages_need_sign_in(client):
    n = make_negotiation()
    for url in (LIST, page_of(n), f"{LIST}new/", page_of(n, "rounds/new/")):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/"), url


@pytest.mark.parametrize("state", ["preparing", "proposed", "negotiating", "drafted", "voting", "signed", "filed",
                                   "effective", "refused", "suspended"])
def test_every_page_renders_for_officer_supervisor_and_own_contact(client, state):
    o = officer()
    n = negotiation_in_state(state, actor=o)
    other = make_negotiation(actor=o)
    contact = contact_of(n)
    for user in (o, make_user(Role.SUPERVISOR), contact):
        login(client, user)
        response = client.get(page_of(n))
        assert response.status_code == 200, (user, state)
        assert n.number in text(response) and n.get_state_display() in text(response)
    assert client.get(page_of(other)).status_code == 404  # the contact: another organisation's


def test_company_contact_lists_only_their_own(client):
    o = officer()
    mine, theirs = make_negotiation(actor=o), make_negotiation(actor=o)
    contact = contact_of(mine)
    assert listed(login(client, contact)) == {mine.number}
    assert listed(client, f"?employer={theirs.employers.first().pk}") == {mine.number}  # not a choice for them
    assert listed(login(client, o)) >= {mine.number, theirs.number}
    assert client.get(LIST).status_code == 200


def test_other_roles_see_nothing(client):
    n = make_negotiation()
    stranger = make_user(Role.COMPANY_CONTACT)  # no organisation
    login(client, stranger)
    assert client.get(page_of(n)).status_code == 404
    assert n.number not in text(client.get(LIST))
    court = make_user(Role.COURT_LIAISON)
    login(client, court)
    assert client.get(page_of(n)).status_code in (403, 404)


def test_the_list_filters(client):
    o = officer()
    a = make_negotiation(actor=o, title="骑手休息权集体协商")
    b = negotiation_in_state("proposed", actor=o, title="配送单价集体协商")
    login(client, o)
    assert listed(client, "?state=proposed") == {b.number}
    assert listed(client, "?q=休息权") == {a.number}
    assert listed(client, f"?employer={a.employers.first().pk}") == {a.number}
    assert a.number in listed(client, "?level=enterprise")
    assert listed(client, "?level=industry") == set()
    assert "剩" in text(client.get(LIST + "?state=proposed"))  # the reply due, days left


# --- the union's internal notes ---------------------------------------------------------------------


def test_union_notes_are_shown_to_union_staff_only(client):
    o = officer()
    n = negotiation_in_state("negotiating", actor=o)
    with_notes(n, o)
    page = text(login(client, o).get(page_of(n)))
    assert "7637.37" in page and "5583.83" in page and SECRET_NOTE in page
    assert SECRET_NOTE in text(login(client, make_user(Role.SUPERVISOR)).get(page_of(n)))
    contact = contact_of(n)
    login(client, contact)
    assert_no_notes(text(client.get(page_of(n))))
    assert_no_notes(text(client.get(LIST)))
    assert_no_notes(text(client.get("/work/inbox/")))
    assert client.get(page_of(n, f"notes/?topic={n.topics.first().pk}")).status_code == 403
    assert client.post(page_of(n, "notes/"), {"topic": n.topics.first().pk, "note": "x"}).status_code == 403


def test_union_note_form(client):
    o = officer()
    n = negotiation_in_state("negotiating", actor=o)
    t = n.topics.first()
    login(client, o)
    assert client.get(page_of(n, f"notes/?topic={t.pk}")).status_code == 200
    refused = client.post(page_of(n, "notes/"), {"topic": t.pk, "priority": "9", "target_value": "x"})
    assert refused.status_code == 400 and "wq-error" in text(refused)
    assert not UnionNote.objects.exists()
    done = client.post(page_of(n, "notes/"), {"topic": t.pk, "priority": "2", "target_value": "6.10",
                                              "walk_away_value": "5.60", "note": "先谈休息"})
    assert done.status_code == 302
    assert UnionNote.objects.get(topic=t).target_value == Decimal("6.10")


# --- the page's panels ----------------------------------------------------------------------------------


def test_page_shows_team_topics_rounds_comparison_chart_and_costing(client):
    o = officer()
    n = negotiation_in_state("negotiating", actor=o)
    piece = n.topics.get(topic__code="piece_rate")
    OrderStatistic.objects.create(negotiation=n, city="厦门", month=datetime.date(2025, 1, 1), time_band="午高峰",
                                  weather="晴", orders=10000, piece_rate=Decimal("5.00"),
                                  avg_distance_km=Decimal("3.1"), active_workers=100)
    services.record_round(negotiation=n, actor=o, positions=[
        {"topic": piece.pk, "union_value": "5.80", "employer_value": "5.10", "union_text": "不低于5.8元", "employer_text": "5.1元"}])
    n.refresh_from_db()
    services.record_round(negotiation=n, actor=o, positions=[
        {"topic": piece.pk, "union_value": "5.60", "employer_value": "5.30"}])
    page = text(login(client, o).get(page_of(n)))
    assert "首席代表" in page and "职工方" in page and "企业方" in page
    assert "计件单价" in page and "核心共性问题" in page
    assert 'data-round="2"' in page
    assert f'data-compare="{piece.pk}"' in page and "0.70" in page and "0.30" in page  # the gaps
    assert f'data-chart="{piece.pk}"' in page and "<svg" in page
    assert f'data-cost="{piece.pk}"' in page and "平台月成本" in page
    # a company contact sees the positions, not the costing
    contact_page = text(login(client, contact_of(n)).get(page_of(n)))
    assert f'data-compare="{piece.pk}"' in contact_page and "平台月成本" not in contact_page


def test_vacant_seat_shows_its_fill_by_date(client):
    o = officer()
    n = negotiation_in_state("negotiating", actor=o)
    seat = n.negotiators.filter(side=Side.UNION, role=Negotiator.SeatRole.NEGOTIATOR).first()
    services.vacate_seat(seat=seat, actor=o, vacated_on=today())
    page = text(login(client, o).get(page_of(n)))
    assert f'data-vacant="{seat.pk}"' in page and "须在" in page and "前补齐" in page


def test_contract_versions_and_redline(client):
    o = officer()
    n = negotiation_in_state("drafted", actor=o)
    login(client, o)
    form = client.get(page_of(n, "contract/"))
    assert form.status_code == 200 and "第1条" in text(form)
    version = n.current_version()
    edited = version.text.replace("5.50", "5.80") + "\n\n第9条 附则\n本合同一式三份。"
    done = client.post(page_of(n, "contract/"), {"text": edited, "note": "单价调整"})
    assert done.status_code == 302
    assert n.versions.count() == 2
    new = n.current_version()
    assert new.clauses[0]["topic"] == version.clauses[0]["topic"]  # the clause kept its topic
    page = text(client.get(page_of(n)))
    assert 'id="redline"' in page and "<ins>" in page and "附则" in page and 'data-status="added"' in page
    refused = client.post(page_of(n, "contract/"), {"text": "   "})
    assert refused.status_code == 400 and n.versions.count() == 2


# --- forms: done, or refused with nothing written -----------------------------------------------------


def test_create_a_negotiation(client):
    o = officer()
    u, p = union(), platform()
    login(client, o)
    assert client.get(f"{LIST}new/").status_code == 200
    before = Negotiation.objects.count()
    refused = client.post(f"{LIST}new/", {"title": "区域协商", "level": "regional", "procedure": "ordinary",
                                          "union": u.pk, "employers": [p.pk]})
    assert refused.status_code == 400 and "县级以下" in text(refused)
    assert Negotiation.objects.count() == before
    done = client.post(f"{LIST}new/", {"title": "外卖骑手集体协商", "level": "enterprise", "procedure": "ordinary",
                                       "union": u.pk, "employers": [p.pk], "covered_occupations": ["rider"],
                                       "covered_headcount": "800"})
    n = Negotiation.objects.get(title="外卖骑手集体协商")
    assert done.status_code == 302 and done["Location"].endswith(page_of(n))
    assert n.officer == o and n.state == "preparing"
    # a company contact may not
    login(client, contact_of(n))
    assert client.get(f"{LIST}new/").status_code == 403


def test_seat_and_vacate_negotiators(client):
    o = officer()
    n = make_negotiation(actor=o, team=False)
    login(client, o)
    assert client.get(page_of(n, "negotiators/new/")).status_code == 200
    refused = client.post(page_of(n, "negotiators/new/"), {"side": Side.UNION, "role": "expert", "name": "专家甲",
                                                          "is_union_chair": "on"})
    assert refused.status_code == 400 and "外聘专家不得担任首席代表" in text(refused)
    assert not n.negotiators.exists()
    done = client.post(page_of(n, "negotiators/new/"), {"side": Side.UNION, "role": "chief", "name": "王主席",
                                                       "is_union_chair": "on"})
    assert done.status_code == 302
    seat = n.negotiators.get(name="王主席")
    vacated = client.post(page_of(n, "negotiators/vacate/"), {"seat": seat.pk, "reason": "调离"})
    assert vacated.status_code == 302
    seat.refresh_from_db()
    assert seat.vacated_on == today()
    again = client.post(page_of(n, "negotiators/vacate/"), {"seat": seat.pk})
    assert again.status_code == 400  # no longer a seat to vacate
    filled = client.post(page_of(n, "negotiators/new/"), {"side": Side.UNION, "role": "chief", "name": "李副主席",
                                                         "delegation_reference": "委托〔2026〕1号", "replaces": seat.pk})
    assert filled.status_code == 302 and n.negotiators.get(name="李副主席").replaces == seat


def test_add_topics(client):
    o = officer()
    n = make_negotiation(actor=o, topics=False)
    login(client, o)
    assert client.get(page_of(n, "topics/new/")).status_code == 200
    refused = client.post(page_of(n, "topics/new/"), {"name": "", "demand_text": ""})
    assert refused.status_code == 400 and not n.topics.exists()
    catalogue = client.post(page_of(n, "topics/new/"), {"topic": Topic.objects.get(code="piece_rate").pk,
                                                        "demand_value": "5.5", "demand_text": "不低于5.5元"})
    assert catalogue.status_code == 302
    piece = n.topics.get()
    assert piece.core_common and piece.unit == "yuan_per_order" and piece.costing == "piece_rate"
    custom = client.post(page_of(n, "topics/new/"), {"name": "高温补贴", "unit": "yuan_per_month", "core_common": "0",
                                                     "demand_value": "300"})
    assert custom.status_code == 302
    heat = n.topics.get(name="高温补贴")
    assert not heat.core_common and heat.demand_value == Decimal("300")
    duplicate = client.post(page_of(n, "topics/new/"), {"name": "高温补贴", "demand_value": "200", "unit": "yuan_per_month"})
    assert duplicate.status_code == 400 and n.topics.count() == 2


def test_record_a_round(client):
    o = officer()
    n = negotiation_in_state("negotiating", actor=o)
    piece, rest, penalties = n.topics.order_by("order")
    login(client, o)
    form = client.get(page_of(n, "rounds/new/"))
    assert form.status_code == 200 and f'name="p{piece.pk}-union_value"' in text(form)
    assert f'name="p{penalties.pk}-union_value"' not in text(form)  # a text topic has no figure
    events = journal.events_for(n).count()
    refused = client.post(page_of(n, "rounds/new/"), {
        "mode": "in_person", f"p{piece.pk}-union_value": "5.8", f"p{piece.pk}-employer_value": "5.2",
        f"p{piece.pk}-agreed": "on"})
    assert refused.status_code == 400 and "达成一致时双方数值应相同" in text(refused)
    assert 'value="5.8"' in text(refused)  # what was typed is kept
    assert not n.rounds.exists() and journal.events_for(n).count() == events
    done = client.post(page_of(n, "rounds/new/"), {
        "mode": "in_person", "place": "市总工会", "minutes": "双方就单价与休息交换意见。",
        f"p{piece.pk}-union_value": "5.8", f"p{piece.pk}-employer_value": "5.2",
        f"p{rest.pk}-union_value": "20", f"p{rest.pk}-employer_value": "20", f"p{rest.pk}-agreed": "on",
        f"p{penalties.pk}-union_text": "取消超时罚款", f"p{penalties.pk}-employer_text": "改为提醒"})
    assert done.status_code == 302
    (round_,) = n.rounds.all()
    assert round_.positions.count() == 3
    rest.refresh_from_db()
    assert rest.agreed and rest.agreed_value == Decimal("20")
    again = text(client.get(page_of(n, "rounds/new/")))
    assert 'value="5.80"' in again  # the next round starts from the last positions


def test_electorate(client):
    o = officer()
    n = negotiation_in_state("drafted", actor=o)
    login(client, o)
    refused = client.post(page_of(n, "electorate/"), {"kind": "congress", "electors": "E001 张三\nE002"})
    assert refused.status_code == 400 and "第2行" in text(refused) and not n.electors.exists()
    duplicate = client.post(page_of(n, "electorate/"), {"kind": "congress", "electors": "E001 张三\nE001 李四"})
    assert duplicate.status_code == 400 and "重复" in text(duplicate) and not n.electors.exists()
    done = client.post(page_of(n, "electorate/"), {"kind": "congress", "electors": "E001 张三\nE002 李四\nE003 王五"})
    assert done.status_code == 302 and n.electors.count() == 3
    assert "E002 李四" in text(client.get(page_of(n, "electorate/")))


def test_start_renewal(client):
    from bargaining.rules import renewal_opens
    from tests.harness import on

    o = officer()
    n = negotiation_in_state("effective", actor=o)
    login(client, o)
    early = client.post(page_of(n, "renewal/"), {})
    assert early.status_code == 400 and not n.renewals.exists()
    with on(renewal_opens(n.expires_on)):
        client.force_login(o)
        assert 'data-action="renewal"' in text(client.get(page_of(n)))
        done = client.post(page_of(n, "renewal/"), {})
        renewal = n.renewals.get()
        assert done.status_code == 302 and done["Location"].endswith(page_of(renewal))
        assert renewal.topics.count() == n.current_version().clauses.__len__()


# --- transitions on the page ---------------------------------------------------------------------------


def test_send_proposal_refused_names_the_rule(client):
    o = officer()
    n = make_negotiation(actor=o, team=False)
    login(client, o)
    page = text(client.get(page_of(n)))
    assert 'id="composition-problems"' in page and "不得少于3人" in page
    refused = client.post(page_of(n, "transitions/send_proposal/"), {})
    assert refused.status_code == 409 and "不得少于3人" in text(refused)
    n.refresh_from_db()
    assert n.state == "preparing"


def test_company_contact_answers_the_proposal_and_nothing_else(client):
    o = officer()
    n = negotiation_in_state("proposed", actor=o)
    contact = contact_of(n)
    login(client, contact)
    page = text(client.get(page_of(n)))
    assert 'data-transition="accept_proposal"' in page and 'data-transition="refuse_proposal"' in page
    assert "data-action=" not in page and 'id="document-form"' not in page
    for rest in ("negotiators/new/", "negotiators/vacate/", "topics/new/", "rounds/new/", "electorate/",
                 "contract/", "renewal/", "notes/"):
        assert client.get(page_of(n, rest)).status_code == 403, rest
    assert client.post(page_of(n, "documents/"), {"kind": "proposal"}).status_code == 404
    refused = client.post(page_of(n, "transitions/refuse_proposal/"), {"reason": ""})
    assert refused.status_code == 400
    done = client.post(page_of(n, "transitions/accept_proposal/"), {"reply_text": "同意协商"})
    assert done.status_code == 302
    n.refresh_from_db()
    assert n.state == "negotiating" and n.reply_text == "同意协商"
    assert client.get(page_of(n, "transitions/suspend/")).status_code == 403


def test_officer_runs_transitions_from_the_page(client):
    o = officer()
    n = negotiation_in_state("negotiating", actor=o)
    agree_all(n, actor=o)
    login(client, o)
    assert 'data-transition="draft_agreement"' in text(client.get(page_of(n)))
    done = client.post(page_of(n, "transitions/draft_agreement/"), {"note": "初稿"})
    assert done.status_code == 302
    n.refresh_from_db()
    assert n.state == "drafted" and n.versions.count() == 1
    assert NegotiationTopic.objects.filter(negotiation=n, agreed=True).exists()
