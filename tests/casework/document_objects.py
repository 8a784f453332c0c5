"""Cases to render documents on, for tests/core/test_every_document.py: one builder per state.

A case has no source; a group case (≥ 10 claimants) is the same templates with more rows, so one
small case per state stands for all of them here (the layout test of issue 12 item 7 is about
long lists).
"""

from casework.models import CaseState

from tests.scenarios import case_in_state


def _case(state):
    return lambda: case_in_state(state)


# (model label, source, state) -> a builder of such an object, through the services
OBJECTS = {("casework.case", "", state): _case(state) for state in CaseState.values}


def key_text(case) -> list[str]:
    """What every document of the case must print: its number and every party's name."""
    return [case.number, *(w.name for w in case.claimants.all()), *(r.name for r in case.respondents.all())]


def full_ids(case) -> list[str]:
    """Resident ID numbers that a stored (masked) document must never print in full."""
    return [w.id_number for w in case.claimants.all()]
