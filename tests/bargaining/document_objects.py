"""Negotiations (and their rounds) to render documents on, for tests/core/test_every_document.py:
one builder per state, through the services (tests/bargaining/helpers.py)."""

from bargaining import services
from bargaining.models import NegotiationState, Round

from tests.bargaining.helpers import ago, negotiation_in_state, officer, on


def expired_negotiation(actor=None):
    """Effective for one year from three years ago: expired by the sweep today."""
    actor = actor or officer()
    with on(ago(3 * 366 + 60)):
        n = negotiation_in_state("effective", actor=actor, term_years=1)
    services.sweep()
    n.refresh_from_db()
    return n


def negotiation(state, actor=None):
    if state == NegotiationState.EXPIRED:
        return expired_negotiation(actor)
    return negotiation_in_state(state, actor=actor)


def _round():
    # drafted: a round at which every topic was agreed (tests/bargaining/helpers.agree_all)
    return Round.objects.get(negotiation=negotiation_in_state("drafted"))


OBJECTS = {
    **{("bargaining.negotiation", "", state): (lambda state=state: negotiation(state))
       for state in NegotiationState.values},
    ("bargaining.round", "", ""): _round,
}


def key_text(obj) -> list[str]:
    """What every document prints: the negotiation's number and both sides' names."""
    n = obj.negotiation if isinstance(obj, Round) else obj
    return [n.number, n.union.name, *(e.name for e in n.employers.all())]


def full_ids(obj) -> list[str]:
    return []  # no resident ID number is entered on a negotiation's documents
