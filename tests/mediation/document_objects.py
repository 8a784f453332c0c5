"""Mediations (and their sessions) to render documents on, for tests/core/test_every_document.py:
one builder for every source in every state, through the services (tests/mediation/helpers.py).
"""

import datetime

from mediation import services
from mediation.models import MediationSession, MediationState, Source

from tests.mediation.helpers import ago, mediation_in_state

SOURCES = {"mediation.mediation": Source.values, "mediation.mediationsession": Source.values}


# An in-suit referral under the ordinary procedure (15 days): the helpers accept 10 days ago and
# sign 2 days ago, which the simple procedure's 7 days would not allow on most days.
PROCEDURE = {"court_in_suit": "ordinary"}


def _mediation(source, state):
    return lambda: mediation_in_state(state, source=source, procedure=PROCEDURE.get(source, ""))


def _session(source):
    def build():
        m = mediation_in_state("in_progress", source=source, procedure=PROCEDURE.get(source, ""))
        return services.record_session(
            mediation=m, actor=m.mediator, held_at=datetime.datetime.combine(ago(1), datetime.time(9, 30)),
            mode=MediationSession.Mode.ON_SITE, location="工会调解室",
            attendees=["申请人本人", "被申请人委托代理人"], minutes="申请人陈述诉求。\n被申请人表示愿意协商。",
        )
    return build


# (model label, source, state) -> a builder of such an object; a session has no state ("")
OBJECTS = {
    **{("mediation.mediation", source, state): _mediation(source, state)
       for source in Source.values for state in MediationState.values},
    **{("mediation.mediationsession", source, ""): _session(source) for source in Source.values},
}


def _mediation_of(obj):
    return obj.mediation if isinstance(obj, MediationSession) else obj


def key_text(obj) -> list[str]:
    """What every document must print: the mediation's number and every party's name."""
    m = _mediation_of(obj)
    return [m.number, *(w.name for w in m.claimants.all()), *(r.name for r in m.respondents.all())]


def full_ids(obj) -> list[str]:
    return [w.id_number for w in _mediation_of(obj).claimants.all()]
