"""Scenario helpers for bargaining tests: a negotiation in any state in one line, through the services.

    n = negotiation_in_state("negotiating")               # a lawful team, topics, proposal accepted
    n = negotiation_in_state("filed", days_ago=30)          # signed and filed a month ago
    officer()                                               # a bargaining officer of the union
    contact_of(n)                                           # a company contact of n's platform
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from bargaining import services
from bargaining.models import Negotiation, Negotiator, Side, Topic
from core.models import Organisation
from core.roles import Role
from tests.harness import on
from tests.scenarios import make_organisation, make_user

_seq = itertools.count(1)
D = datetime.date


def today():
    return timezone.localdate()


def ago(days):
    return today() - datetime.timedelta(days=days)


def officer(**kw):
    return make_user(Role.BARGAINING_OFFICER, **kw)


def union(name=None):
    return make_organisation(kind=Organisation.Kind.UNION, name=name or f"测试市总工会{next(_seq)}")


def platform(name=None):
    return make_organisation(kind=Organisation.Kind.PLATFORM, name=name or f"测试外卖平台{next(_seq)}")


def labor_bureau():
    return make_organisation(kind=Organisation.Kind.LABOR_BUREAU, name=f"测试人力资源和社会保障局{next(_seq)}")


def contact_of(negotiation, organisation=None):
    org = organisation or negotiation.employers.order_by("id").first()
    return make_user(Role.COMPANY_CONTACT, organisation=org)


def seat_team(negotiation, *, actor, per_side=3, union_chief_is_chair=True):
    """A lawful team: `per_side` each, one chief each, the union chief the chair."""
    n = next(_seq)
    for side in (Side.UNION, Side.EMPLOYER):
        for i in range(per_side):
            chief = i == 0
            services.set_negotiator(
                negotiation=negotiation, actor=actor, side=side,
                role=Negotiator.SeatRole.CHIEF if chief else Negotiator.SeatRole.NEGOTIATOR,
                name=f"{'工会' if side == Side.UNION else '企业'}代表{n}-{i}",
                is_union_chair=chief and side == Side.UNION and union_chief_is_chair,
            )


def add_topics(negotiation, *, actor):
    """Piece rate (numeric, core common, costed) and rest (numeric, core common) and penalties (text)."""
    piece = services.set_topic(negotiation=negotiation, actor=actor, topic=Topic.objects.get(code="piece_rate"),
                               demand_value=Decimal("5.50"), demand_text="基础配送单价每单不低于5.5元")
    rest = services.set_topic(negotiation=negotiation, actor=actor, topic=Topic.objects.get(code="rest"),
                              demand_value=Decimal("20"), demand_text="连续配送4小时后休息不少于20分钟")
    penalties = services.set_topic(negotiation=negotiation, actor=actor,
                                   topic=Topic.objects.get(code="rewards_penalties"),
                                   demand_text="取消超时罚款，改为服务分提醒")
    return piece, rest, penalties


def make_negotiation(*, actor=None, employers=None, procedure="ordinary", team=True, topics=True, **kw):
    actor = actor or officer()
    n = services.create_negotiation(
        actor=actor, title=kw.pop("title", "外卖骑手劳动报酬与休息集体协商"), union=kw.pop("union", None) or union(),
        employers=employers or [platform()], procedure=procedure, covered_occupations=["rider"],
        covered_cities="厦门", covered_headcount=1200, **kw)
    if team:
        seat_team(n, actor=actor)
    if topics:
        add_topics(n, actor=actor)
    return n


def agree_all(negotiation, *, actor, held_on=None):
    """One round at which the sides agree on every topic."""
    positions = []
    for t in negotiation.topics.all():
        value = t.demand_value
        positions.append({"topic": t.pk, "union_value": value, "employer_value": value,
                          "union_text": t.demand_text, "employer_text": "同意", "agreed": True})
    return services.record_round(negotiation=negotiation, actor=actor, held_on=held_on, positions=positions,
                                 attendees="双方协商代表", minutes="双方就全部议题达成一致。")


def electorate(negotiation, *, actor, size=9):
    return services.set_electorate(negotiation=negotiation, actor=actor, kind="congress", electors=[
        {"reference": f"E{i:03d}", "name": f"职工代表{i}"} for i in range(1, size + 1)])


ORDER = ["preparing", "proposed", "negotiating", "drafted", "voting", "ratified", "signed", "filed", "effective",
         "expired"]


def negotiation_in_state(state, *, actor=None, **kw) -> Negotiation:
    """A negotiation brought to `state` through the services, every step dated today."""
    actor = actor or officer()
    term_years = kw.pop("term_years", 2)
    n = make_negotiation(actor=actor, **kw)
    if state == "preparing":
        return n
    services.send_proposal(negotiation=n, actor=actor)
    if state == "refused":
        return services.refuse_proposal(negotiation=n, actor=actor, reason="企业认为时机不成熟")
    if state == "proposed":
        return n
    services.accept_proposal(negotiation=n, actor=actor, reply_text="同意就所列议题协商")
    if state == "suspended":
        return services.suspend(negotiation=n, actor=actor, reason="平台内部调整")
    if state == "negotiating":
        return n
    agree_all(n, actor=actor)
    n.refresh_from_db()
    services.draft_agreement(negotiation=n, actor=actor)
    if state == "drafted":
        return n
    electorate(n, actor=actor)
    n.refresh_from_db()
    services.submit_for_vote(negotiation=n, actor=actor)
    if state == "voting":
        return n
    services.record_vote(negotiation=n, actor=actor, method="counted", attendance=9, approvals=8)
    if state == "ratified":
        return n
    services.sign(negotiation=n, actor=actor, term_years=term_years)
    if state == "signed":
        return n
    services.file(negotiation=n, actor=actor, authority=labor_bureau())
    if state == "filed":
        return n
    services.take_effect(negotiation=n, actor=actor, no_objection_on=today())
    if state == "effective":
        return n
    raise ValueError(f"negotiation_in_state: cannot reach {state!r} today (expired needs time: use on())")


__all__ = ["on", "D"]
