"""Checkups (and their supervision letters) to render documents on, for
tests/core/test_every_document.py: one builder per state a kind is offered in, through the
services (tests/legal_checkup/helpers.py).

A letter's three kinds are offered on every letter (core offers a model's kinds by state, and a
letter has none): the builder gives a 建议书, whose finding has been through the whole ladder, so
each kind renders the letter of its own rung (legal_checkup/documents.py).
"""

import datetime

from core.models import Organisation
from legal_checkup import services
from legal_checkup.documents import PLANNED_AND_AFTER
from legal_checkup.models import Checkup, Letter
from tests.legal_checkup.helpers import checkup_in_state, on, today
from tests.scenarios import make_organisation

DAY = datetime.timedelta(days=1)


def ago(days) -> datetime.date:
    return today() - datetime.timedelta(days=days)


def labour_bureau():
    return (Organisation.objects.filter(kind=Organisation.Kind.LABOR_BUREAU).order_by("pk").first()
            or make_organisation(kind=Organisation.Kind.LABOR_BUREAU, name="市人力资源和社会保障局"))


def escalated(rungs=3, *, code="07", results=None, issued_days_ago=150, **kw):
    """A checkup issued `issued_days_ago` days ago and acknowledged, whose finding `code` was
    never rectified: escalated `rungs` times, each letter the day after the previous one's reply
    was due (the first the day after the finding's due date). Returns (checkup, [letters])."""
    results = {code: "non_compliant"} if results is None else results
    with on(ago(issued_days_ago)):
        c = checkup_in_state("rectifying", results=results, **kw)
    labour_bureau()
    finding = c.findings.get(item__code=code)
    day, letters = finding.due_on + DAY, []
    for _n in range(rungs):
        assert day <= today(), "issue the checkup earlier: the ladder does not fit before today"
        finding = c.findings.get(pk=finding.pk)
        with on(day):
            letter = services.escalate(finding=finding, actor=c.lead)
        letters.append(letter)
        day = letter.reply_due + DAY
    c.refresh_from_db()
    return c, letters


def recommendation_letter():
    return escalated(3)[1][-1]


OBJECTS = {
    **{("legal_checkup.checkup", "", str(state)): (lambda state=state: checkup_in_state(str(state)))
       for state in PLANNED_AND_AFTER},
    ("legal_checkup.letter", "", ""): recommendation_letter,
}


def key_text(obj) -> list[str]:
    """What every document prints: the checkup's number and the audited company's name."""
    if isinstance(obj, Letter):
        c = obj.finding.checkup
        return [c.number, c.company.name]  # a 建议书 is addressed to the labour bureau, and names the company
    assert isinstance(obj, Checkup)
    return [obj.number, obj.company.name]


def full_ids(obj) -> list[str]:
    return []  # no resident ID number is ever entered on a checkup (services refuse one in any text)
