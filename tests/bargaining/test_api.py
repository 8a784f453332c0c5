"""The bargaining API contract: /api/v1/negotiations/ — every transition (allowed, and refused with
the 409 shape), the team, topics, the union's notes, rounds, comparison, versions and the redline,
the roll and votes, order statistics and costing, the check-up clauses, renewal; and who sees what."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from bargaining import services
from bargaining.models import Negotiation, OrderStatistic, Vote
from core import journal
from core.roles import Role
from tests.bargaining.helpers import (
    agree_all,
    contact_of,
    electorate,
    labor_bureau,
    make_negotiation,
    negotiation_in_state,
    officer,
    platform,
    today,
    union,
)
from tests.harness import at_once, on
from tests.scenarios import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/negotiations/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def url(n, tail=""):
    return f"{URL}{n.pk}/{tail}"


def transition(user, n, name, body=None):
    return client_for(user).post(url(n, f"transitions/{name}/"), body or {}, format="json")


def ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def assert_refused(user, n, name, body=None):
    """409 `transition_not_allowed` with the state and what this user may do instead; nothing moved."""
    before = Negotiation.objects.get(pk=n.pk).state
    response = transition(user, n, name, body)
    assert response.status_code == 409, (name, response.content.decode())
    data = response.json()
    assert data["code"] == "transition_not_allowed" and data["detail"]
    assert data["state"] == before
    detail = ok(client_for(user).get(url(n)))
    assert data["allowed"] == detail["allowed_transitions"]
    assert name not in data["allowed"]
    assert Negotiation.objects.get(pk=n.pk).state == before
    return data


# --- list, filters, creation ---------------------------------------------------------------------


def test_list_filters_by_state_level_employer_and_search():
    actor = officer()
    meituan = platform("测试美团外卖平台")
    a = make_negotiation(actor=actor, employers=[meituan], title="骑手休息与计件单价协商", team=False, topics=False)
    b = negotiation_in_state("proposed", actor=actor)
    c = make_negotiation(actor=actor, level="regional", region="思明区", title="区域性快递员协商", team=False,
                         topics=False)
    client = client_for(actor)

    def ids(**params):
        return {row["id"] for row in ok(client.get(URL, params))["results"]}

    assert {a.pk, b.pk, c.pk} <= ids()
    assert ids(state="proposed") & {a.pk, b.pk, c.pk} == {b.pk}
    assert ids(level="regional") & {a.pk, b.pk, c.pk} == {c.pk}
    assert ids(employer=meituan.pk) == {a.pk}
    assert ids(search="美团") == {a.pk}
    assert ids(search=c.number) == {c.pk}
    row = next(r for r in ok(client.get(URL, {"employer": meituan.pk}))["results"])
    assert row["employers"] == [{"id": meituan.pk, "name": meituan.name, "kind": "platform"}]
    assert "allowed_transitions" not in row


def test_create_registers_a_negotiation_and_refuses_bad_input_field_by_field():
    actor = officer()
    side, firm = union(), platform()
    body = {"title": "外卖骑手劳动报酬集体协商", "union": side.pk, "employers": [firm.pk], "level": "enterprise",
            "covered_occupations": ["rider"], "covered_cities": "厦门", "covered_headcount": 800}
    created = ok(client_for(actor).post(URL, body, format="json"), 201)
    assert created["state"] == "preparing" and created["number"].startswith("XS")
    assert created["officer"]["id"] == actor.pk and created["allowed_transitions"] == []
    assert [e.transition for e in journal.events_for(Negotiation.objects.get(pk=created["id"]))] == ["create"]

    refused = client_for(actor).post(URL, {**body, "employers": [side.pk], "level": "regional"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"employers", "region"}
    assert client_for(actor).post(URL, {"union": side.pk}, format="json").status_code == 400
    assert client_for(contact_of(make_negotiation(team=False, topics=False))).post(
        URL, body, format="json").status_code == 403


def test_detail_has_state_allowed_transitions_team_and_topics():
    n = negotiation_in_state("preparing")
    body = ok(client_for(officer()).get(url(n)))
    assert body["state"] == "preparing" and body["allowed_transitions"] == ["send_proposal"]
    assert len(body["negotiators"]) == 6 and len(body["topics"]) == 3
    assert {t["code"] for t in body["topics"]} == {"piece_rate", "rest", "rewards_penalties"}
    assert body["vacant_seats"] == [] and body["current_version"] is None


# --- every transition through the API, each allowed once and refused once ----------------------------


def _seat_team_by_api(client, n):
    for side in ("union", "employer"):
        for i in range(3):
            ok(client.post(url(n, "negotiators/"), {
                "side": side, "role": "chief" if i == 0 else "negotiator", "name": f"{side}代表{i}",
                "is_union_chair": side == "union" and i == 0}, format="json"), 201)


def test_a_negotiation_walks_every_transition_by_the_api():
    actor = officer()
    client = client_for(actor)
    n = make_negotiation(actor=actor, team=False, topics=False)

    # preparing: no team, no topics -> 409 with the unmet rules; the others are not from here.
    refused = assert_refused(actor, n, "send_proposal")
    assert refused["unmet_conditions"]
    assert_refused(actor, n, "accept_proposal")
    _seat_team_by_api(client, n)
    piece = ok(client.post(url(n, "topics/"), {"topic": "piece_rate", "demand_value": "5.50",
                                               "demand_text": "每单不低于5.5元"}, format="json"), 201)
    assert piece["core_common"] is True and piece["unit"] == "yuan_per_order"
    ok(client.post(url(n, "topics/"), {"name": "高温补贴发放", "unit": "text", "demand_text": "6至9月每月300元"},
                   format="json"), 201)
    assert ok(transition(actor, n, "send_proposal"))["state"] == "proposed"

    # proposed
    assert_refused(actor, n, "suspend", {"reason": "x"})
    body = ok(transition(actor, n, "accept_proposal", {"reply_text": "同意协商"}))
    assert body["state"] == "negotiating" and body["reply_text"] == "同意协商"

    # negotiating <-> suspended
    assert_refused(actor, n, "resume")
    assert ok(transition(actor, n, "suspend", {"reason": "平台组织架构调整"}))["state"] == "suspended"
    assert_refused(actor, n, "draft_agreement")
    assert ok(transition(actor, n, "resume"))["state"] == "negotiating"

    # a round with no agreement: draft_agreement is refused with its condition
    topics = ok(client.get(url(n, "topics/")))
    ok(client.post(url(n, "rounds/"), {"positions": [
        {"topic": topics[0]["id"], "union_value": "5.50", "employer_value": "4.80"},
        {"topic": topics[1]["id"], "union_text": "每月300元", "employer_text": "每月150元"}]}, format="json"), 201)
    assert assert_refused(actor, n, "draft_agreement")["unmet_conditions"]
    ok(client.post(url(n, "rounds/"), {"positions": [
        {"topic": topics[0]["id"], "union_value": "5.20", "employer_value": "5.20", "agreed": True},
        {"topic": topics[1]["id"], "union_text": "每月200元", "employer_text": "每月200元", "agreed": True}]},
        format="json"), 201)
    assert ok(transition(actor, n, "draft_agreement", {"note": "首稿"}))["state"] == "drafted"

    # drafted: no roll yet, and no vote before it is submitted
    assert_refused(actor, n, "submit_for_vote")
    assert_refused(actor, n, "record_vote", {"method": "counted", "attendance": 0, "approvals": 0})
    ok(client.put(url(n, "electorate/"), {"kind": "congress", "electors": [
        {"reference": f"E{i}", "name": f"职工代表{i}"} for i in range(1, 10)]}, format="json"))
    assert ok(transition(actor, n, "submit_for_vote"))["state"] == "voting"

    # voting: a vote that fails goes back to the table; one that passes ratifies
    assert_refused(actor, n, "sign", {"term_years": 2})
    failed = ok(transition(actor, n, "record_vote", {"method": "counted", "attendance": 6, "approvals": 4}))
    assert failed["state"] == "negotiating"
    ok(transition(actor, n, "draft_agreement"))
    ok(transition(actor, n, "submit_for_vote"))
    ballots = [{"elector": f"E{i}", "approve": i <= 6} for i in range(1, 8)]
    assert ok(transition(actor, n, "record_vote", {"method": "ballots", "ballots": ballots}))["state"] == "ratified"
    votes = ok(client.get(url(n, "votes/")))
    assert [(v["passed"], v["attendance"], v["approvals"], v["ballots"]) for v in votes] == [
        (False, 6, 4, 0), (True, 7, 6, 7)]

    # ratified -> signed -> filed -> (objected) -> ... -> filed -> effective
    assert_refused(actor, n, "file", {"authority": labor_bureau().pk})
    assert ok(transition(actor, n, "sign", {"term_years": 2}))["state"] == "signed"
    assert_refused(actor, n, "take_effect")
    assert_refused(actor, n, "object", {"reason": "未报送即异议"})
    bureau = labor_bureau()
    assert ok(transition(actor, n, "file", {"authority": bureau.pk}))["filing_authority"]["id"] == bureau.pk
    assert_refused(actor, n, "expire")
    assert ok(transition(actor, n, "object", {"reason": "加班费计算基数低于法定标准"}))["state"] == "negotiating"
    ok(transition(actor, n, "draft_agreement"))
    ok(transition(actor, n, "submit_for_vote"))
    ok(transition(actor, n, "record_vote", {"method": "counted", "attendance": 9, "approvals": 9}))
    ok(transition(actor, n, "sign", {"term_years": 1}))
    ok(transition(actor, n, "file", {"authority": bureau.pk}))
    # take_effect by hand before the window ends needs the reviewer's no-objection
    assert transition(actor, n, "take_effect").status_code == 409
    effective = ok(transition(actor, n, "take_effect", {"no_objection_on": today().isoformat()}))
    assert effective["state"] == "effective" and effective["effect_basis"] == "no_objection"

    # effective: not expired before its end, then expired after it
    assert transition(actor, n, "expire").status_code == 409
    assert_refused(actor, n, "send_proposal")
    expires_on = datetime.date.fromisoformat(effective["expires_on"])
    with on(expires_on + datetime.timedelta(days=1)):
        assert ok(transition(actor, n, "expire"))["state"] == "expired"
        assert_refused(actor, n, "expire")
        renewal = ok(client.post(url(n, "start_renewal/"), {"comment": "续订"}, format="json"), 201)
    assert renewal["state"] == "preparing" and renewal["renewal_of"]["id"] == n.pk
    assert len(renewal["topics"]) == 2

    events = [e["transition"] for e in ok(client.get(url(n, "events/")))]
    assert {"send_proposal", "accept_proposal", "suspend", "resume", "draft_agreement", "submit_for_vote",
            "record_vote", "sign", "file", "object", "take_effect", "expire", "start_renewal"} <= set(events)


def test_the_refused_branch_and_field_errors():
    actor = officer()
    n = negotiation_in_state("proposed", actor=actor)
    missing = transition(actor, n, "refuse_proposal", {})
    assert missing.status_code == 400 and "reason" in missing.json()
    body = ok(transition(actor, n, "refuse_proposal", {"reason": "企业认为时机不成熟"}))
    assert body["state"] == "refused" and body["refusal_reason"] == "企业认为时机不成熟"
    assert body["allowed_transitions"] == []
    assert_refused(actor, n, "accept_proposal")
    assert transition(actor, n, "no_such_thing").status_code == 404


def test_a_transition_the_user_may_not_run_is_403():
    n = negotiation_in_state("negotiating")
    lawyer = make_user(Role.LAWYER)  # union staff: reads every negotiation, works none
    assert client_for(lawyer).get(url(n)).json()["allowed_transitions"] == []
    response = transition(lawyer, n, "suspend", {"reason": "x"})
    assert response.status_code == 403
    assert client_for(lawyer).post(url(n, "topics/"), {"name": "x", "demand_text": "y"}, format="json").status_code == 403


def test_the_effective_contracts_clauses_are_offered_for_the_check_up():
    actor = officer()
    n = negotiation_in_state("signed", actor=actor)
    assert client_for(actor).get(url(n, "clauses/")).status_code == 400
    services.file(negotiation=n, actor=actor, authority=labor_bureau())
    n.refresh_from_db()
    services.take_effect(negotiation=n, actor=actor, no_objection_on=today())
    items = ok(client_for(actor).get(url(n, "clauses/")))
    version = n.current_version()
    assert [(i["title"], i["text"]) for i in items] == [(c["title"], c["text"]) for c in version.clauses]
    assert items[0]["code"] == f"{n.number}-01"
    employer = n.employers.get()
    assert items[0]["employers"] == [{"id": employer.pk, "name": employer.name, "kind": employer.kind}]


# --- the team --------------------------------------------------------------------------------------------


def test_a_seat_is_vacated_and_filled_by_the_api():
    actor = officer()
    n = negotiation_in_state("negotiating", actor=actor)
    client = client_for(actor)
    seat = next(s for s in ok(client.get(url(n, "negotiators/"))) if s["side"] == "employer" and s["role"] != "chief")
    vacated = ok(client.post(url(n, f"negotiators/{seat['id']}/vacate/"), {"reason": "离职"}, format="json"))
    assert vacated["vacant"] is True and vacated["vacated_on"] == today().isoformat()
    detail = ok(client.get(url(n)))
    assert [v["seat"] for v in detail["vacant_seats"]] == [seat["id"]]
    again = client.post(url(n, f"negotiators/{seat['id']}/vacate/"), {}, format="json")
    assert again.status_code == 400 and "seat" in again.json()
    filled = ok(client.post(url(n, "negotiators/"), {"side": "employer", "name": "新代表", "replaces": seat["id"]},
                            format="json"), 201)
    assert filled["replaces"] == seat["id"]
    assert ok(client.get(url(n)))["vacant_seats"] == []
    other = negotiation_in_state("preparing", actor=actor)
    assert client.post(url(other, f"negotiators/{seat['id']}/vacate/"), {}, format="json").status_code == 404


def test_catalogue_of_topics():
    rows = ok(client_for(officer()).get("/api/v1/bargaining-topics/"))["results"]
    codes = [r["code"] for r in rows]
    assert "piece_rate" in codes and "algorithm_time_estimate" in codes
    assert next(r for r in rows if r["code"] == "commission")["unit"] == "percent"


# --- rounds, comparison --------------------------------------------------------------------------------


def test_rounds_and_the_comparison_of_positions():
    actor = officer()
    n = negotiation_in_state("negotiating", actor=actor)
    client = client_for(actor)
    piece = n.topics.get(topic__code="piece_rate")
    bad = client.post(url(n, "rounds/"), {"positions": [{"topic": 999999, "union_value": "1"}]}, format="json")
    assert bad.status_code == 400 and "positions" in bad.json()
    assert client.post(url(n, "rounds/"), {"positions": [{"topic": piece.pk, "union_value": "abc"}]},
                       format="json").status_code == 400
    for union_value, employer_value in (("5.50", "4.60"), ("5.30", "4.90")):
        ok(client.post(url(n, "rounds/"), {"mode": "online", "positions": [
            {"topic": piece.pk, "union_value": union_value, "employer_value": employer_value}]}, format="json"), 201)
    rounds = ok(client.get(url(n, "rounds/")))
    assert [r["number"] for r in rounds] == [1, 2]
    assert rounds[1]["positions"][0]["gap"] == "0.40"
    row = next(c for c in ok(client.get(url(n, "comparison/"))) if c["topic"]["id"] == piece.pk)
    assert [(r["round"], r["gap"]) for r in row["rounds"]] == [(1, "0.90"), (2, "0.40")]
    one = ok(client.get(f"/api/v1/negotiation-rounds/{rounds[0]['id']}/"))
    assert one["number"] == 1
    docs = client.post(f"/api/v1/negotiation-rounds/{rounds[0]['id']}/documents/", {"kind": "round_minutes"},
                       format="json")
    assert docs.status_code == 202, docs.content


# --- the contract's text and the redline -----------------------------------------------------------------


def test_versions_and_the_redline_between_any_two():
    actor = officer()
    n = negotiation_in_state("drafted", actor=actor)
    client = client_for(actor)
    first = ok(client.get(url(n, "versions/")))
    assert [v["number"] for v in first] == [1]
    clauses = first[0]["clauses"]
    assert len(clauses) == 3
    edited = [
        {**clauses[0], "text": clauses[0]["text"] + "，每年复核一次"},   # changed
        clauses[2],                                                   # unchanged (moved up: clause 2 removed)
        {"title": "争议处理", "text": "履行中发生争议，双方协商解决。"},      # added
    ]
    created = ok(client.post(url(n, "versions/"), {"clauses": edited, "note": "第二稿"}, format="json"), 201)
    assert created["number"] == 2
    red = ok(client.get(url(n, "versions/diff/"), {"from": 1, "to": 2}))
    assert red["from"] == 1 and red["to"] == 2
    assert red["summary"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1}
    by_status = {c["status"]: c for c in red["clauses"]}
    assert by_status["removed"]["from_text"] == clauses[1]["text"] and by_status["removed"]["to_text"] is None
    assert by_status["added"]["to_text"] == "履行中发生争议，双方协商解决。" and by_status["added"]["from_text"] is None
    changed = by_status["changed"]
    assert {"op": "insert", "text": "，每年复核一次"} in changed["diff"]
    assert "".join(op["text"] for op in changed["diff"] if op["op"] != "delete") == \
        f"{clauses[0]['title']}\n{edited[0]['text']}"
    # and backwards, and errors
    assert ok(client.get(url(n, "versions/diff/"), {"from": 2, "to": 1}))["summary"]["added"] == 1
    assert client.get(url(n, "versions/diff/"), {"from": 1}).status_code == 400
    assert client.get(url(n, "versions/diff/"), {"from": 1, "to": 7}).status_code == 404
    empty = client.post(url(n, "versions/"), {"clauses": []}, format="json")
    assert empty.status_code == 400 and "clauses" in empty.json()


def test_revising_outside_the_draft_is_refused():
    actor = officer()
    n = negotiation_in_state("voting", actor=actor)
    response = client_for(actor).post(url(n, "versions/"), {"clauses": [{"title": "a", "text": "b"}]}, format="json")
    assert response.status_code == 400


# --- order statistics and costing ------------------------------------------------------------------------


def _statistics_csv(rows=None):
    month = (today().replace(day=1) - datetime.timedelta(days=40)).strftime("%Y-%m")
    header = "city,month,time_band,weather,orders,piece_rate,avg_distance_km,active_workers,fare,commission_pct"
    rows = rows or [f"厦门,{month},午高峰,晴,1200,5.00,3.20,60,8.50,20",
                    f"厦门,{month},晚高峰,暴雨,300,5.50,2.80,45,9.00,18.5"]
    return SimpleUploadedFile("stats.csv", "\n".join([header, *rows]).encode(), content_type="text/csv")


def test_order_statistics_import_and_costing():
    actor = officer()
    n = negotiation_in_state("negotiating", actor=actor)
    client = client_for(actor)
    report = ok(client.post(url(n, "order_statistics/"), {"file": _statistics_csv()}, format="multipart"))
    assert report["rows"] == 2 and report["written"] == 2 and report["errors"] == []
    summary = ok(client.get(url(n, "order_statistics/")))
    assert summary["rows"] == 2 and summary["orders"] == 1500 and summary["cities"] == ["厦门"]

    costing = ok(client.get(url(n, "costing/")))
    piece = next(row for row in costing if row["costing"] == "piece_rate")
    assert piece["demand"]["value"] == "5.50" and piece["demand"]["costing"] is not None


def test_an_order_statistics_file_with_bad_rows_is_400_with_the_report_and_nothing_kept():
    actor = officer()
    n = negotiation_in_state("negotiating", actor=actor)
    month = (today().replace(day=1) - datetime.timedelta(days=40)).strftime("%Y-%m")
    bad = _statistics_csv([f"厦门,{month},午高峰,晴,1200,5.00,3.20,60,8.50,20", f"厦门,{month},晚高峰,晴,很多,5.00,3,1,,"])
    response = client_for(actor).post(url(n, "order_statistics/"), {"file": bad}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["written"] == 0 and body["errors"] and body["errors"][0]["line"] == 3
    assert not OrderStatistic.objects.filter(negotiation=n).exists()
    assert client_for(actor).post(url(n, "order_statistics/"), {}, format="multipart").status_code == 400


def test_order_statistics_and_costing_are_the_unions_bargaining_staffs():
    n = negotiation_in_state("negotiating")
    for user in (contact_of(n), make_user(Role.LAWYER)):
        client = client_for(user)
        assert client.post(url(n, "order_statistics/"), {"file": _statistics_csv()}, format="multipart").status_code == 403
        assert client.get(url(n, "order_statistics/")).status_code == 403
        assert client.get(url(n, "costing/")).status_code == 403
    assert not OrderStatistic.objects.filter(negotiation=n).exists()


# --- the union's notes --------------------------------------------------------------------------------------

SECRET_NOTE = "底线内部备忘ZX9"
# Figures no timestamp, hash or amount in a response can contain (a time has two digits before its point).
SECRET_TARGET, SECRET_WALK_AWAY = "7613.13", "4437.37"


def _with_notes(n, actor):
    for topic in n.topics.all():
        services.set_union_note(topic=topic, actor=actor, priority=1, target_value=Decimal(SECRET_TARGET),
                                walk_away_value=Decimal(SECRET_WALK_AWAY), note=SECRET_NOTE)


def test_union_notes_are_read_and_written_by_union_staff_only():
    actor = officer()
    n = negotiation_in_state("negotiating", actor=actor)
    piece = n.topics.get(topic__code="piece_rate")
    route = url(n, f"topics/{piece.pk}/union_note/")
    client = client_for(actor)
    empty = ok(client.get(route))
    assert empty == {"topic": piece.pk, "priority": None, "target_value": None, "walk_away_value": None,
                     "note": "", "updated_at": None}
    saved = ok(client.put(route, {"priority": 1, "target_value": "5.80", "walk_away_value": "5.10",
                                  "note": "先谈休息，单价可让步到5.1"}, format="json"))
    assert (saved["target_value"], saved["walk_away_value"]) == ("5.80", "5.10")
    assert client.put(route, {"priority": 9}, format="json").status_code == 400
    # other union staff read it but may not change it
    lawyer = client_for(make_user(Role.LAWYER))
    assert ok(lawyer.get(route))["walk_away_value"] == "5.10"
    assert lawyer.put(route, {"note": "x"}, format="json").status_code == 403
    # the employer side: the route is not there, whatever the method or topic
    contact = client_for(contact_of(n))
    assert contact.get(route).status_code == 404
    assert contact.put(route, {"note": "x"}, format="json").status_code == 404
    assert contact.get(url(n, "topics/999999/union_note/")).status_code == 404
    # a topic of another negotiation is not this one's
    other = negotiation_in_state("preparing", actor=actor)
    assert client.get(url(other, f"topics/{piece.pk}/union_note/")).status_code == 404
    # not journaled: the journal is the employer side's to read too
    assert "set_union_note" not in {e.transition for e in journal.events_for(n)}


def _every_read(client, n):
    """Every GET a user of the negotiation may reach, with the bodies."""
    rounds = client.get(url(n, "rounds/")).json()
    paths = [URL, url(n), url(n, "events/"), url(n, "documents/"), url(n, "negotiators/"), url(n, "topics/"),
             url(n, "rounds/"), url(n, "comparison/"), url(n, "versions/"), url(n, "versions/diff/?from=1&to=2"),
             url(n, "votes/"), url(n, "electorate/"), url(n, "order_statistics/"), url(n, "costing/"),
             url(n, "clauses/"), *[f"/api/v1/negotiation-rounds/{r['id']}/" for r in rounds],
             *[f"/api/v1/negotiation-rounds/{r['id']}/documents/" for r in rounds]]
    paths += [url(n, f"topics/{t.pk}/union_note/") for t in n.topics.all()]
    return {path: client.get(path) for path in paths}


def test_a_company_contact_sees_their_own_negotiations_and_never_the_unions_notes():
    actor = officer()
    n = negotiation_in_state("drafted", actor=actor)
    _with_notes(n, actor)
    services.revise_contract(negotiation=n, actor=actor, clauses=n.current_version().clauses[:2], note="删去一条")
    n.refresh_from_db()
    theirs = negotiation_in_state("proposed", actor=actor)
    contact = contact_of(n)
    client = client_for(contact)

    # only their organisation's negotiations
    listed = ok(client.get(URL))
    assert [row["id"] for row in listed["results"]] == [n.pk]
    for path in ("", "events/", "documents/", "negotiators/", "topics/", "rounds/", "comparison/", "versions/",
                 "votes/"):
        assert client.get(url(theirs, path)).status_code == 404, path
    assert transition(contact, theirs, "accept_proposal").status_code == 404

    # nothing of the union's notes in anything they can read: not the values, not the key
    bodies = _every_read(client, n)
    reached = {path: r for path, r in bodies.items() if r.status_code == 200}
    assert url(n) in reached and url(n, "topics/") in reached and url(n, "versions/diff/?from=1&to=2") in reached
    for path, response in bodies.items():
        text = response.content.decode()
        for secret in (SECRET_NOTE, SECRET_TARGET, SECRET_WALK_AWAY, "union_note", "walk_away", "target_value"):
            assert secret not in text, (path, secret)
    # the union notes' routes do not exist for them; the union staff's bodies do have them (the search works)
    assert all(bodies[url(n, f"topics/{t.pk}/union_note/")].status_code == 404 for t in n.topics.all())
    staff_text = "".join(r.content.decode() for r in _every_read(client_for(actor), n).values())
    assert SECRET_NOTE in staff_text and SECRET_WALK_AWAY in staff_text


def test_a_company_contact_answers_the_proposal_and_does_nothing_else():
    actor = officer()
    n = negotiation_in_state("proposed", actor=actor)
    _with_notes(n, actor)
    contact = contact_of(n)
    client = client_for(contact)
    assert ok(client.get(url(n)))["allowed_transitions"] == ["accept_proposal", "refuse_proposal"]
    answered = transition(contact, n, "accept_proposal", {"reply_text": "同意就所列议题协商"})
    body = ok(answered)
    assert body["state"] == "negotiating" and body["allowed_transitions"] == []
    assert SECRET_NOTE not in answered.content.decode() and "union_note" not in answered.content.decode()
    assert journal.events_for(n).last().actor_id == contact.pk

    # nothing else: transitions (403), and every write of the union side (403, before the body is read)
    assert transition(contact, n, "suspend", {"reason": "x"}).status_code == 403
    writes = [
        ("post", "negotiators/", {"side": "employer", "name": "x"}), ("post", "topics/", {}),
        ("post", "rounds/", {}), ("post", "versions/", {}), ("put", "electorate/", {}),
        ("post", "start_renewal/", {}), ("post", f"negotiators/{n.negotiators.first().pk}/vacate/", {}),
    ]
    for method, path, body in writes:
        response = getattr(client, method)(url(n, path), body, format="json")
        assert response.status_code == 403, (path, response.content)
    assert client.get(url(n, "electorate/")).status_code == 403
    n.refresh_from_db()
    assert n.rounds.count() == 0 and n.negotiators.count() == 6

    refused = negotiation_in_state("proposed", actor=actor)
    other = contact_of(refused)
    assert ok(transition(other, refused, "refuse_proposal", {"reason": "暂无协商意向"}))["state"] == "refused"


def test_anonymous_and_outside_users_see_nothing():
    n = negotiation_in_state("proposed")
    assert APIClient().get(URL).status_code in (401, 403)
    liaison = client_for(make_user(Role.COURT_LIAISON))
    assert liaison.get(URL).json()["count"] == 0
    assert liaison.get(url(n)).status_code == 404
    stranger = client_for(make_user(Role.COMPANY_CONTACT, organisation=platform()))
    assert stranger.get(URL).json()["count"] == 0
    assert stranger.get(url(n)).status_code == 404


# --- two votes at once -------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_votes_recorded_at_once_one_wins_the_other_gets_409(monkeypatch):
    import threading

    from core import transitions as core_transitions

    actor = officer()
    n = negotiation_in_state("voting", actor=actor)
    other = officer()
    barrier = threading.Barrier(2, timeout=20)
    real_can_proceed = core_transitions.can_proceed

    def can_proceed_then_wait(method, **kwargs):
        # Both requests have read the negotiation in `voting` and passed the state check.
        result = real_can_proceed(method, **kwargs)
        if method.__name__ == "record_vote":
            barrier.wait()
        return result

    monkeypatch.setattr(core_transitions, "can_proceed", can_proceed_then_wait)
    body = {"method": "counted", "attendance": 9, "approvals": 8}
    first, second = at_once([
        lambda: transition(actor, n, "record_vote", body),
        lambda: transition(other, n, "record_vote", {**body, "approvals": 7}),
    ], timeout=60)
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.content, second.content)
    loser = first if first.status_code == 409 else second
    assert loser.json()["code"] == "conflict"
    assert Vote.objects.filter(negotiation=n).count() == 1
    n.refresh_from_db()
    assert n.state == "ratified"
    assert [e.transition for e in journal.events_for(n)].count("record_vote") == 1
