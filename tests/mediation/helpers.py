"""Scenario helpers for mediation tests: a referral in any state in one line, through the services.

    m = mediation_in_state("agreed")                       # court pre-suit, recent agreement
    m = mediation_in_state("agreed", recent=False)         # agreement 50 days old, instalment overdue
    with frozen(datetime.date(2026, 3, 2)): ...            # "today" for everything (time-machine)
"""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import Organisation
from core.roles import Role
from mediation import services
from mediation.models import Mediation
from tests.harness import on
from tests.scenarios import make_organisation, make_user, supervisor, valid_resident_id

_seq = itertools.count(500)
D = datetime.date


def today():
    return timezone.localdate()


def ago(days):
    return today() - datetime.timedelta(days=days)


def frozen(day: datetime.date, hour: int = 10):
    """Make `day` today for everything (tests.harness.on, time-machine)."""
    return on(day, hour)


def make_court(name=None):
    n = next(_seq)
    return make_organisation(kind=Organisation.Kind.COURT, name=name or f"测试第{n}人民法院")


def mediator(**kw):
    return make_user(Role.MEDIATOR, **kw)


def any_mediator():
    return get_user_model().objects.filter(groups__name=Role.MEDIATOR, is_active=True).first() or mediator()


def claimant_dicts(count):
    out = []
    for _ in range(count):
        n = next(_seq)
        out.append({"name": f"司机{n}", "id_number": valid_resident_id(n), "phone": f"1390000{n:04d}"})
    return out


def make_referral(*, source="court_pre_suit", court=None, procedure="", referred_on=None, claimants=1,
                  respondents=None, claims=None, actor=None, court_case_number=None, title="网约车司机被封号停单") -> Mediation:
    actor = actor or supervisor()
    if source != "union" and court is None:
        court = make_court()
    n = next(_seq)
    return services.create_referral(
        actor=actor, source=source, court=court if source != "union" else None,
        court_case_number=court_case_number or (f"（2026）测{n}民诉前调{n}号" if source != "union" else ""),
        procedure=procedure or ("simple" if source == "court_in_suit" else ""),
        referred_on=referred_on or ago(70), title=title,
        claimants=claimant_dicts(claimants) if isinstance(claimants, int) else claimants,
        respondents=respondents if respondents is not None else [make_organisation()],
        claims=claims if claims is not None else [
            {"description": "支付封号期间收入损失", "amount": "12000.00", "category": "unlawful_termination"},
        ],
    )


TOTAL = Decimal("12000.00")


def terms(recent=True):
    """Agreement terms: recent (signed two days ago, instalments ahead) or old (signed 50 days
    ago, the first instalment 40 days overdue)."""
    if recent:
        signed, due = ago(2), [ago(-10), ago(-40)]
    else:
        signed, due = ago(50), [ago(40), ago(-20)]
    return {
        "total": TOTAL, "basis": "compensation", "signed_on": signed, "effective_on": signed,
        "instalments": [{"due_on": due[0], "amount": Decimal("6000.00")}, {"due_on": due[1], "amount": Decimal("6000.00")}],
        "obligations": "平台恢复申请人账号。",
    }


def _accept(m, recent, actor):
    services.accept(mediation=m, actor=actor, accepted_on=ago(10) if recent else ago(60))


STEPS = {
    "accept": _accept,
    "decline": lambda m, recent, actor: services.decline(mediation=m, actor=actor, reason="被申请人明确拒绝调解"),
    "withdraw": lambda m, recent, actor: services.withdraw(mediation=m, actor=actor, reason="申请人撤回"),
    "assign_mediator": lambda m, recent, actor: services.assign_mediator(mediation=m, actor=actor, mediator=any_mediator()),
    "reach_agreement": lambda m, recent, actor: services.reach_agreement(mediation=m, actor=actor, **terms(recent)),
    "fail": lambda m, recent, actor: services.fail(mediation=m, actor=actor, reason="双方分歧过大"),
    # A union mediation has no referring court: the parties choose one (here a new test court).
    "request_confirmation": lambda m, recent, actor: services.request_confirmation(
        mediation=m, actor=actor, court=None if m.court_id else make_court()),
    "confirm": lambda m, recent, actor: services.confirm(mediation=m, actor=actor, ruling_number="（2026）测0203民特1号",
                                                           ruling_date=today()),
    "reject_confirmation": lambda m, recent, actor: services.reject_confirmation(mediation=m, actor=actor, reason="协议内容违反法律规定"),
    "pay_all": lambda m, recent, actor: services.record_payment(mediation=m, actor=actor, amount=TOTAL, paid_on=today()),
    "fulfil": lambda m, recent, actor: services.fulfil(mediation=m, actor=actor),
    "default": lambda m, recent, actor: services.default(mediation=m, actor=actor),
}

PATHS = {
    "referred": [],
    "accepted": ["accept"],
    "declined": ["decline"],
    "withdrawn": ["withdraw"],
    "in_progress": ["accept", "assign_mediator"],
    "failed": ["accept", "assign_mediator", "fail"],
    "agreed": ["accept", "assign_mediator", "reach_agreement"],
    "confirmation_pending": ["accept", "assign_mediator", "reach_agreement", "request_confirmation"],
    "confirmed": ["accept", "assign_mediator", "reach_agreement", "request_confirmation", "confirm"],
    "confirmation_rejected": ["accept", "assign_mediator", "reach_agreement", "request_confirmation", "reject_confirmation"],
    "fulfilled": ["accept", "assign_mediator", "reach_agreement", "pay_all", "fulfil"],
}


def advance(m, *steps, recent=True, actor=None):
    actor = actor or supervisor()
    for step in steps:
        STEPS[step](m, recent, actor)
        m.refresh_from_db()
    return m


def mediation_in_state(state, *, recent=True, **kw) -> Mediation:
    m = make_referral(**kw)
    if state == "defaulted":
        return advance(m, "accept", "assign_mediator", "reach_agreement", "default", recent=False)
    return advance(m, *PATHS[state], recent=recent)
