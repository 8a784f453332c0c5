"""The negotiating team (集体合同规定 Arts. 19–24), checked when the proposal is sent, and vacant seats (Art. 31)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from bargaining import services
from bargaining.models import Negotiator, Side
from bargaining.rules import composition_problems
from core.errors import TransitionRefused
from tests.bargaining.helpers import make_negotiation, officer, on, seat_team
from tests.scenarios import make_user

pytestmark = pytest.mark.django_db
CHIEF, NEGOTIATOR, EXPERT = Negotiator.SeatRole.CHIEF, Negotiator.SeatRole.NEGOTIATOR, Negotiator.SeatRole.EXPERT


def team(union, employer, **kw):
    """A negotiation whose sides are seated as given: each side a list of roles ("chief", …)."""
    actor = officer()
    n = make_negotiation(actor=actor, team=False, **kw)
    for side, roles in ((Side.UNION, union), (Side.EMPLOYER, employer)):
        for i, role in enumerate(roles):
            services.set_negotiator(negotiation=n, actor=actor, side=side, role=role, name=f"{side}-{i}",
                                    is_union_chair=(side == Side.UNION and role == CHIEF))
    return n, actor


def refused_because(n, actor, fragment):
    with pytest.raises(TransitionRefused) as e:
        services.send_proposal(negotiation=n, actor=actor)
    assert any(fragment in reason for reason in e.value.unmet), e.value.unmet
    n.refresh_from_db()
    assert n.state == "preparing"


def test_three_a_side_with_one_chief_each_is_lawful():
    n, actor = team([CHIEF, NEGOTIATOR, NEGOTIATOR], [CHIEF, NEGOTIATOR, NEGOTIATOR])
    assert composition_problems(n) == []
    services.send_proposal(negotiation=n, actor=actor)


def test_fewer_than_three_a_side():
    n, actor = team([CHIEF, NEGOTIATOR], [CHIEF, NEGOTIATOR])
    refused_because(n, actor, "不得少于3人")


def test_unequal_sides():
    n, actor = team([CHIEF, NEGOTIATOR, NEGOTIATOR, NEGOTIATOR], [CHIEF, NEGOTIATOR, NEGOTIATOR])
    refused_because(n, actor, "人数应当相等")


@pytest.mark.parametrize("roles", [[NEGOTIATOR] * 3, [CHIEF, CHIEF, NEGOTIATOR]])
def test_exactly_one_chief_a_side(roles):
    n, actor = team(roles, [CHIEF, NEGOTIATOR, NEGOTIATOR])
    refused_because(n, actor, "首席代表")


def test_experts_at_most_a_third_of_a_side():
    ok, _a = team([CHIEF, NEGOTIATOR, EXPERT], [CHIEF, NEGOTIATOR, NEGOTIATOR])
    assert composition_problems(ok) == []  # 1 of 3: exactly a third
    n, actor = team([CHIEF, EXPERT, EXPERT], [CHIEF, NEGOTIATOR, NEGOTIATOR])
    refused_because(n, actor, "外聘专家")


def test_an_expert_is_never_the_chief():
    n, actor = team([CHIEF, NEGOTIATOR, NEGOTIATOR], [CHIEF, NEGOTIATOR, NEGOTIATOR])
    with pytest.raises(ValidationError):
        services.set_negotiator(negotiation=n, actor=actor, side=Side.UNION, role=EXPERT, name="专家",
                                is_union_chair=True)


def test_the_union_chief_is_the_chair_or_holds_a_written_delegation():
    actor = officer()
    n = make_negotiation(actor=actor, team=False)
    seat_team(n, actor=actor, union_chief_is_chair=False)
    refused_because(n, actor, "书面委托")
    chief = n.negotiators.get(side=Side.UNION, role=CHIEF)
    chief.delegation_reference = "工会主席委托书（2026）第3号"
    chief.save()
    services.send_proposal(negotiation=n, actor=actor)


def test_nobody_sits_on_both_sides():
    actor = officer()
    person = make_user("bargaining_officer")
    n = make_negotiation(actor=actor, team=False)
    seat_team(n, actor=actor)
    for side in (Side.UNION, Side.EMPLOYER):
        services.set_negotiator(negotiation=n, actor=actor, side=side, name="同一人", user=person)
    refused_because(n, actor, "不得同时担任双方")


def test_a_vacant_seat_is_due_in_fifteen_days_and_filled_by_a_successor():
    actor = officer()
    with on(datetime.date(2025, 9, 16)):
        n = make_negotiation(actor=actor)
        seat = n.negotiators.filter(side=Side.EMPLOYER, role=NEGOTIATOR).first()
        services.vacate_seat(seat=seat, actor=actor, reason="离职")
        (pending,) = services.vacant_seats(n)
        # 16 Sept + 15 = 1 October, in the National Day holiday: the 9th.
        assert pending[0] == seat and pending[1].date == datetime.date(2025, 10, 9)
        assert composition_problems(n)  # two left on that side
        services.set_negotiator(negotiation=n, actor=actor, side=Side.EMPLOYER, name="替补代表", replaces=seat)
        assert services.vacant_seats(n) == [] and composition_problems(n) == []
        with pytest.raises(ValidationError):
            services.set_negotiator(negotiation=n, actor=actor, side=Side.EMPLOYER, name="又一位", replaces=seat)
