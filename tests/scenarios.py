"""Helpers that make a test's scenario one readable line.

    officer = make_user("intake_officer")
    case = case_in_state("legal_aid", claimants=11)

Everything is built through casework.services, the same path the product uses.
"""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from core import identifiers
from casework import services
from core import services as parties
from casework.models import Case
from core.models import Organisation, StaffProfile, Worker
from core.roles import Role

_seq = itertools.count(1)
_DEFAULT = object()


def make_user(role=None, *, username=None, organisation=None, acts_for=(), email=None, **extra):
    n = next(_seq)
    user = get_user_model().objects.create_user(
        username=username or f"{role or 'user'}{n}", password="pw-for-tests-1",
        email=email if email is not None else f"{role or 'user'}{n}@union.example", **extra,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    profile = StaffProfile.objects.create(user=user, organisation=organisation)
    profile.acts_for.set(acts_for)
    return user


def valid_resident_id(seed: int, born=datetime.date(1990, 1, 1), region="350203") -> str:
    """A checksum-valid resident ID number, different for each seed."""
    first17 = f"{region}{born:%Y%m%d}{seed % 1000:03d}"
    return first17 + identifiers.resident_id_check_char(first17)


def valid_credit_code(seed: int) -> str:
    body = f"91350200MA{seed:07d}"[:17]
    return body + identifiers.credit_code_check_char(body)


def supervisor():
    return get_user_model().objects.filter(groups__name=Role.SUPERVISOR, is_active=True).first() or make_user(Role.SUPERVISOR)


def make_organisation(kind=Organisation.Kind.PLATFORM, name=None, **kw):
    n = next(_seq)
    return parties.register_organisation(
        actor=supervisor(), name=name or f"测试平台{n}有限公司", kind=kind,
        credit_code=kw.pop("credit_code", valid_credit_code(n)), **kw,
    )


def make_worker(name=None, **kw):
    n = next(_seq)
    return parties.register_worker(
        actor=supervisor(), name=name or f"骑手{n}", id_number=kw.pop("id_number", valid_resident_id(n)),
        occupation=kw.pop("occupation", Worker.Occupation.RIDER),
        phone=kw.pop("phone", f"1380000{n:04d}"), **kw,
    )


def make_case(*, claimants=1, respondents=None, categories=("unpaid_pay",), actor=None,
              infringement_known_on=None, employment_ended_on=_DEFAULT, claims=None, **kw) -> Case:
    actor = actor or supervisor()
    workers = [make_worker() for _ in range(claimants)] if isinstance(claimants, int) else list(claimants)
    respondents = respondents if respondents is not None else [make_organisation()]
    today = timezone.localdate()
    return services.create_case(
        actor=actor, title=kw.pop("title", "拖欠配送费"), channel=kw.pop("channel", Case.Channel.WALK_IN),
        claimants=workers, respondents=respondents, categories=list(categories),
        claims=claims if claims is not None else [{"category": categories[0], "description": "支付拖欠报酬", "amount": Decimal("3200.00")}],
        infringement_known_on=infringement_known_on or today - datetime.timedelta(days=30),
        employment_ended_on=today - datetime.timedelta(days=30) if employment_ended_on is _DEFAULT else employment_ended_on,
        **kw,
    )


# The shortest path from `received` to each state, as (transition, extra arguments) steps.
def _lawyer():
    return get_user_model().objects.filter(groups__name=Role.LAWYER, is_active=True).first() or make_user(Role.LAWYER)


PATHS = {
    "received": [],
    "screening": ["start_screening"],
    "accepted": ["start_screening", "accept"],
    "rejected": ["start_screening", ("reject", {"reason": "不属于受理范围"})],
    "consulting": ["start_screening", "accept", "provide_consultation"],
    "legal_aid": ["start_screening", "accept", ("assign_legal_aid", lambda: {"lawyer": _lawyer()})],
    "in_mediation": ["start_screening", "accept", "refer_to_mediation"],
    "in_arbitration": ["start_screening", "accept", "refer_to_arbitration"],
    "in_litigation": ["start_screening", "accept", ("assign_legal_aid", lambda: {"lawyer": _lawyer()}), "file_lawsuit"],
    "resolved": ["start_screening", "accept", "provide_consultation",
                 ("resolve", {"outcome": "settled", "amount_recovered": Decimal("3200.00")})],
    "closed": ["start_screening", "accept", "provide_consultation",
               ("resolve", {"outcome": "settled", "amount_recovered": Decimal("3200.00")}), "close"],
}


def advance(case, *steps, actor=None):
    """Run transitions through the services, as a supervisor unless told otherwise."""
    actor = actor or supervisor()
    for step in steps:
        name, extra = (step, {}) if isinstance(step, str) else step
        extra = extra() if callable(extra) else extra
        getattr(services, name)(case=case, actor=actor, **extra)
    return case


def case_in_state(state, **kw) -> Case:
    return advance(make_case(**kw), *PATHS[state])
