"""Referral intake: single entry, a case referred by dispute intake, and (importers) bulk.

What screens need (docs/mediation.md): `create_referral()` for single entry, `importers.import_referrals(...,
progress=callback)` for the import page's progress bar.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from core import journal, limits, links
from core.models import Organisation, Worker
from core.roles import Role
from core.services import next_numbers, require_perm
from core.transitions import transitioned

from ..models import COURT_SOURCES, OPEN_STATES, Mediation, MediationClaim, Procedure, Source
from ..rules import court_of

NUMBER_PREFIX = "TJ"  # 调解


def opened_for(obj):
    """The mediations opened for `obj` (a dispute case)."""
    return Mediation.objects.filter(origin_type=ContentType.objects.get_for_model(obj), origin_id=obj.pk)


def intake_court_of(actor):
    """The court `actor` may enter referrals for only (a court liaison's own court), or None when
    they may enter any (union mediators and supervisors)."""
    own = court_of(actor)
    if own is None or actor.groups.filter(name__in=[Role.MEDIATOR, Role.SUPERVISOR]).exists():
        return None
    return own


_ANY_COURT = object()


def check_intake_court(actor, court, source, *, restricted_to=_ANY_COURT):
    """A court liaison enters and imports referrals of their own court only (`restricted_to`:
    intake_court_of(actor), when the caller has it already)."""
    own = intake_court_of(actor) if restricted_to is _ANY_COURT else restricted_to
    if own is not None and (source not in COURT_SOURCES or court is None or court.pk != own.pk):
        raise PermissionDenied(_("法院联络员只能登记本院委派或委托的调解。"))


def create_referral(*, actor, source, referred_on, claimants, respondents, claims=(), court=None,
                    court_case_number="", procedure="", title="", facts="", comment="") -> Mediation:
    """Single entry of a referral: the court's (or the union's own) intake of one dispute.

    `claimants`: Workers, or dicts {name, id_number, phone, occupation} (found by ID number or
    registered); `respondents`: Organisations, or dicts {name, credit_code, kind}; `claims`: dicts
    {description, amount, category}. The same checks as the bulk import (importers.clean_referral).
    """
    from .. import importers

    require_perm(actor, "mediation.add_mediation")
    if any(not isinstance(c, dict) or isinstance(c.get("worker"), Worker) for c in claimants) and \
            not actor.has_perm("core.view_worker"):
        # Choosing a registered worker by id is for those who may look workers up (not court liaisons).
        raise PermissionDenied(_("您只能以姓名和身份证号码登记申请人。"))
    data = {
        "source": source, "court": court, "court_case_number": court_case_number, "procedure": procedure,
        "referred_on": referred_on, "title": title, "facts": facts,
        "claimants": list(claimants), "respondents": list(respondents), "claims": list(claims),
    }
    lookups = importers.Lookups(identities_hidden=not actor.has_perm("core.view_worker"))
    cleaned = importers.clean_referral(data, lookups=lookups)
    check_intake_court(actor, cleaned.court, cleaned.source)
    duplicate = lookups.existing_referral(cleaned.court, cleaned.court_case_number)
    if duplicate:
        raise ValidationError({"court_case_number": [_("该法院案号已登记为调解 %(number)s。") % {"number": duplicate}]})
    with transaction.atomic():
        (mediation,) = importers.write_referrals([cleaned], actor=actor, lookups=lookups, comment=comment)
    return mediation


def open_for_case(*, case, actor, source=Source.UNION, court=None, court_case_number="", procedure="",
                  referred_on=None, organisation=None, comment="") -> Mediation:
    """The mediation a dispute case referred to mediation opens (casework's `refer_to_mediation`,
    to which `on_case_referred` below reacts).

    It starts `referred`: the mediation organisation still accepts it (setting the deadline) or
    declines it (e.g. the employer refuses to mediate). Parties and claims are the case's (read
    through its `case_claimants`, `respondents` and `claims`); the mediation links back to it
    (`mediation.case`, a generic link) and both journals record the link. Runs inside the caller's
    transaction, so the case's transition and the new mediation land together.
    """
    errors = {}
    referred_on = referred_on or timezone.localdate()
    if source not in Source.values:
        errors["source"] = [_("未知的调解来源：%(source)s") % {"source": source}]
    elif source in COURT_SOURCES:
        if court is None or court.kind != Organisation.Kind.COURT:
            errors["court"] = [_("法院委派或委托的调解须指明法院。")]
        if not (court_case_number or "").strip():
            errors["court_case_number"] = [_("请填写法院案号。")]
        if source == Source.COURT_IN_SUIT and procedure not in Procedure.values:
            errors["procedure"] = [_("诉中委托调解须注明适用普通程序或简易程序。")]
    elif court is not None:
        errors["court"] = [_("工会调解不填写法院。")]
    limits.check_dates(errors, {"referred_on": referred_on})  # the plausible range, not after today
    if source in COURT_SOURCES and court is not None and court_case_number and Mediation.objects.filter(
        court=court, court_case_number=court_case_number.strip()
    ).exists():
        errors["court_case_number"] = [_("该法院案号已登记。")]
    if opened_for(case).filter(state__in=OPEN_STATES).exists():
        errors["case"] = [_("该案件已有进行中的调解。")]
    if errors:
        raise ValidationError(errors)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_for_case() runs inside the transaction of the case's referral")
    (number,) = next_numbers(NUMBER_PREFIX, referred_on.year, 1)
    mediation = Mediation.objects.create(
        number=number, source=source, procedure=procedure or "", title=case.title, facts=case.facts,
        court=court if source in COURT_SOURCES else None,
        court_case_number=(court_case_number or "").strip() if source in COURT_SOURCES else "",
        case=case, organisation=organisation, referred_on=referred_on, created_by=actor,
    )
    Mediation.claimants.through.objects.bulk_create(  # in the case's order (documents list them so)
        Mediation.claimants.through(mediation=mediation, worker_id=link.worker_id)
        for link in case.case_claimants.order_by("id")
    )
    mediation.respondents.set(case.respondents.all())
    MediationClaim.objects.bulk_create(
        MediationClaim(mediation=mediation, category=c.category, description=c.description, amount=c.amount)
        for c in case.claims.all()
    )
    journal.record(
        subject=mediation, transition="create", from_state="", to_state=mediation.state, actor=actor,
        comment=comment, payload={"number": number, "source": source, "case": case.number,
                                  "court": court.name if court else None, "court_case_number": mediation.court_case_number},
    )
    return mediation


@receiver(transitioned, dispatch_uid="mediation.on_case_referred")
def on_case_referred(sender, name, objects, actor, inputs, **kwargs):
    """Dispute intake referred a case to mediation: open its mediation in the same transaction
    (a refusal here, e.g. a court case number already registered, undoes the referral too)."""
    if sender._meta.label_lower != "casework.case" or name != "refer_to_mediation" or not objects:
        return
    case = objects[0]
    case.opened_mediation = open_for_case(
        case=case, actor=actor, source=inputs.get("source") or Source.UNION, court=inputs.get("court"),
        court_case_number=inputs.get("court_case_number", ""), procedure=inputs.get("procedure", ""),
        referred_on=inputs.get("referred_on"), organisation=inputs.get("organisation"),
        comment=inputs.get("comment", ""),
    )
    links.record_link(case, case.opened_mediation, actor=actor)
