"""Setting a negotiation up: its parties and scope, the team at the table, the topics and the
union's own notes on them, the roll that votes on the draft, and the renewal of a contract."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import journal, links
from core.models import Organisation, Worker
from core.services import next_number, require_perm, required_text

from ..models import (
    TEAM_STATES,
    ContractVersion,
    Elector,
    Level,
    Negotiation,
    NegotiationState,
    NegotiationTopic,
    Negotiator,
    Procedure,
    Side,
    Topic,
    UnionNote,
    Unit,
)
from ..rules import renewal_opens, seat_fill_due
from .common import check_date, fmt, locked, number_or_none, record_step

S = NegotiationState
NUMBER_PREFIX = "XS"  # 协商
EMPLOYER_SIDE_KINDS = (*Organisation.EMPLOYER_KINDS, Organisation.Kind.INDUSTRY_ASSOCIATION)


def _clean_scope(*, title, level, procedure, union, employers, region, errors):
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("请填写协商事项。")]
    if level not in Level.values:
        errors["level"] = [_("请选择协商层级。")]
    elif level == Level.REGIONAL and not (region or "").strip():
        errors["region"] = [_("区域性集体协商须写明县级以下的区域（劳动合同法第五十三条）。")]
    if procedure not in Procedure.values:
        errors["procedure"] = [_("请选择协商程序。")]
    if union is None or union.kind != Organisation.Kind.UNION:
        errors["union"] = [_("职工一方须由工会代表。")]
    employers = list(employers or ())
    if not employers:
        errors["employers"] = [_("请至少选择一个企业方单位（平台、代理商、加盟商、劳务派遣单位或行业协会）。")]
    elif any(o.kind not in EMPLOYER_SIDE_KINDS for o in employers):
        errors["employers"] = [_("企业方只能是平台企业、代理商、加盟商、劳务派遣单位或行业协会。")]
    elif level == Level.ENTERPRISE and sum(o.kind == Organisation.Kind.INDUSTRY_ASSOCIATION for o in employers):
        errors["employers"] = [_("企业层面的协商不由行业协会代表企业方；行业性协商请选择“行业性”。")]
    return title, employers


def create_negotiation(*, actor, title, union, employers, level=Level.ENTERPRISE, procedure=Procedure.ORDINARY,
                       region="", covered_occupations=(), covered_cities="", covered_headcount=None,
                       electorate_kind="", proposal_text="", officer=None, renewal_of=None, comment="") -> Negotiation:
    require_perm(actor, "bargaining.add_negotiation")
    errors = {}
    title, employers = _clean_scope(title=title, level=level, procedure=procedure, union=union,
                                    employers=employers, region=region, errors=errors)
    occupations = list(covered_occupations or ())
    if any(o not in Worker.Occupation.values for o in occupations):
        errors["covered_occupations"] = [_("请从列表中选择覆盖的职业。")]
    if covered_headcount is not None and covered_headcount < 0:
        errors["covered_headcount"] = [_("人数不能为负数。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        negotiation = Negotiation.objects.create(
            number=next_number(NUMBER_PREFIX, timezone.localdate().year), title=title, level=level,
            procedure=procedure, region=region or "", union=union, officer=officer or actor,
            covered_occupations=occupations, covered_cities=covered_cities or "", covered_headcount=covered_headcount,
            electorate_kind=electorate_kind or "", proposal_text=proposal_text or "", renewal_of=renewal_of,
            created_by=actor,
        )
        negotiation.employers.set(employers)
        journal.record(subject=negotiation, transition="create", from_state="", to_state=negotiation.state,
                       actor=actor, comment=comment, payload={
                           "union": union.pk, "employers": [o.pk for o in employers], "level": level,
                           "procedure": procedure, "renewal_of": renewal_of.pk if renewal_of else None})
    return negotiation


def _editable(negotiation, actor, states=TEAM_STATES):
    require_perm(actor, "bargaining.change_negotiation", negotiation)
    if negotiation.state not in states:
        raise ValidationError({"__all__": [_("当前状态（%(state)s）下不能修改。") % {
            "state": negotiation.get_state_display()}]})


def set_negotiator(*, negotiation, actor, side, name, role=Negotiator.SeatRole.NEGOTIATOR, title="",
                   user=None, worker=None, organisation=None, is_union_chair=False, delegation_reference="",
                   replaces=None, comment="") -> Negotiator:
    """Seat someone at the table (or fill a vacant seat: `replaces`). The composition as a whole is
    checked when the proposal is sent (rules.composition_problems)."""
    _editable(negotiation, actor)
    errors = {}
    if side not in Side.values:
        errors["side"] = [_("请选择代表方。")]
    if role not in Negotiator.SeatRole.values:
        errors["role"] = [_("请选择身份。")]
    name = (name or "").strip() or (worker.name if worker else "") or (user.get_full_name() if user else "")
    if not name:
        errors["name"] = [_("请填写姓名。")]
    if role == Negotiator.SeatRole.EXPERT and (is_union_chair or delegation_reference):
        errors["role"] = [_("外聘专家不得担任首席代表（《集体合同规定》第二十三条）。")]
    if replaces is not None and (replaces.negotiation_id != negotiation.pk or replaces.vacated_on is None
                                 or hasattr(replaces, "successor")):
        errors["replaces"] = [_("只能替补本次协商中已出缺且尚未补齐的席位。")]
    if replaces is not None and replaces.side != side:
        errors["side"] = [_("替补须在同一方。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked(negotiation)
        seat = Negotiator.objects.create(
            negotiation=negotiation, side=side, role=role, name=name, title=title or "", user=user, worker=worker,
            organisation=organisation, is_union_chair=bool(is_union_chair),
            delegation_reference=(delegation_reference or "").strip(), replaces=replaces,
        )
        record_step(negotiation, "set_negotiator", actor=actor, comment=comment, payload={
            "seat": seat.pk, "side": side, "role": role, "name": name, "replaces": replaces.pk if replaces else None})
    return seat


def vacate_seat(*, seat, actor, vacated_on=None, reason="", comment="") -> Negotiator:
    """A negotiator leaves: the seat must be filled within 15 days (Art. 31; the inbox flags it)."""
    negotiation = seat.negotiation
    _editable(negotiation, actor)
    vacated_on = vacated_on or timezone.localdate()
    check_date("vacated_on", vacated_on)
    if seat.vacated_on is not None:
        raise ValidationError({"seat": [_("该席位已经出缺。")]})
    due = seat_fill_due(vacated_on)
    with transaction.atomic():
        locked(negotiation)
        seat.vacated_on = vacated_on
        seat.vacancy_reason = reason or ""
        seat.save(update_fields=["vacated_on", "vacancy_reason"])
        record_step(negotiation, "vacate_seat", actor=actor, comment=comment, payload={
            "seat": seat.pk, "name": seat.name, "vacated_on": vacated_on, "fill_due": due.date,
            "provisional": due.provisional})
    return seat


def vacant_seats(negotiation):
    """Seats left vacant and not filled yet, with the day each must be filled by."""
    seats = negotiation.negotiators.filter(vacated_on__isnull=False, successor__isnull=True)
    return [(seat, seat_fill_due(seat.vacated_on)) for seat in seats]


def set_topic(*, negotiation, actor, topic=None, name="", unit=None, core_common=None, costing=None,
              demand_value=None, demand_text="", surcharge_time_band="", surcharge_weather="",
              comment="") -> NegotiationTopic:
    """Put a topic on the table, from the catalogue (`topic`) or custom (`name`, `unit`), with the
    union's demand. Topics are set while preparing (the proposal names them) or at the table."""
    _editable(negotiation, actor, states=[S.PREPARING, S.NEGOTIATING])
    errors = {}
    if topic is not None:
        name = name or topic.name
        unit = unit or topic.unit
        core_common = topic.core_common if core_common is None else core_common
        costing = topic.costing if costing is None else costing
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请选择目录中的议题或填写自定义议题。")]
    unit = unit or Unit.TEXT
    if unit not in Unit.values:
        errors["unit"] = [_("请选择议题的单位。")]
    costing = costing or ""
    if costing and unit == Unit.TEXT:
        errors["costing"] = [_("文字议题不能测算成本。")]
    value = None
    try:
        value = number_or_none("demand_value", demand_value)
    except ValidationError as e:
        errors.update(e.message_dict)
    if unit == Unit.TEXT and value is not None:
        errors["demand_value"] = [_("文字议题不填数值，请写在诉求中。")]
    if value is None and not (demand_text or "").strip():
        errors["demand_text"] = [_("请写明职工方的诉求。")]
    if negotiation.topics.filter(name=name).exists():
        errors["name"] = [_("本次协商已有议题“%(name)s”。") % {"name": name}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked(negotiation)
        row = NegotiationTopic.objects.create(
            negotiation=negotiation, topic=topic, name=name, unit=unit, costing=costing,
            core_common=bool(core_common), demand_value=value, demand_text=(demand_text or "").strip(),
            surcharge_time_band=surcharge_time_band or "", surcharge_weather=surcharge_weather or "",
            order=negotiation.topics.count() + 1,
        )
        record_step(negotiation, "set_topic", actor=actor, comment=comment, payload={
            "topic": row.pk, "name": name, "unit": unit, "core_common": row.core_common, "demand_value": value})
    return row


def set_union_note(*, topic, actor, priority=None, target_value=None, walk_away_value=None, note="") -> UnionNote:
    """The union side's own brief on a topic (union staff only; not journaled: the journal is
    read by everyone who may see the negotiation)."""
    if not actor.has_perm("bargaining.view_union_notes") or not actor.has_perm("bargaining.change_negotiation"):
        raise PermissionDenied(_("只有工会一方的工作人员可以填写内部备忘。"))
    errors = {}
    values = {}
    for field, value in (("target_value", target_value), ("walk_away_value", walk_away_value)):
        try:
            values[field] = number_or_none(field, value)
        except ValidationError as e:
            errors.update(e.message_dict)
    if priority not in (None, "") and (not str(priority).isdigit() or not 1 <= int(priority) <= 5):
        errors["priority"] = [_("优先级为 1（最高）到 5。")]
    if errors:
        raise ValidationError(errors)
    note_row, _created = UnionNote.objects.update_or_create(topic=topic, defaults={
        "priority": int(priority) if priority not in (None, "") else None, "note": note or "", **values})
    return note_row


def set_electorate(*, negotiation, actor, electors, kind=None, comment="") -> int:
    """The roll that votes on the draft: [{"reference", "name", "worker"?}], replacing the roll.
    Set before the vote; each reference once."""
    _editable(negotiation, actor, states=[S.NEGOTIATING, S.DRAFTED])
    rows, errors, seen = [], [], set()
    for n, item in enumerate(electors or (), start=1):
        reference = str(item.get("reference", "")).strip()
        name = str(item.get("name", "")).strip()
        if not reference or not name:
            errors.append(_("第%(n)d行：请填写名册编号和姓名。") % {"n": n})
        elif reference in seen:
            errors.append(_("第%(n)d行：名册编号 %(ref)s 重复。") % {"n": n, "ref": reference})
        seen.add(reference)
        rows.append(Elector(negotiation=negotiation, reference=reference, name=name, worker=item.get("worker")))
    if not rows:
        errors.append(_("表决名册不能为空。"))
    if kind is not None and kind not in ("congress", "all_workers"):
        raise ValidationError({"kind": [_("请选择表决主体。")]})
    if errors:
        raise ValidationError({"electors": errors})
    with transaction.atomic():
        locked(negotiation)
        negotiation.electors.all().delete()
        Elector.objects.bulk_create(rows)
        if kind:
            Negotiation.objects.filter(pk=negotiation.pk).update(electorate_kind=kind)
        record_step(negotiation, "set_electorate", actor=actor, comment=comment,
                    payload={"electorate": len(rows), "kind": kind or negotiation.electorate_kind})
    negotiation.refresh_from_db()
    return len(rows)


def start_renewal(*, negotiation, actor, comment="") -> Negotiation:
    """Open a new negotiation to renew an effective contract within 3 months before it ends (or an
    expired one): the same parties and scope, its topics seeded from the contract's clauses."""
    require_perm(actor, "bargaining.add_negotiation")
    today = timezone.localdate()
    if negotiation.state not in (S.EFFECTIVE, S.EXPIRED):
        raise ValidationError({"__all__": [_("只有已生效或已期满的集体合同可以续订。")]})
    if negotiation.state == S.EFFECTIVE and today < renewal_opens(negotiation.expires_on):
        raise ValidationError({"__all__": [_("合同期满前三个月内方可提出续订（%(day)s 起）。") % {
            "day": fmt(renewal_opens(negotiation.expires_on))}]})
    if negotiation.renewals.exists():
        raise ValidationError({"__all__": [_("该合同已启动续订：%(number)s。") % {
            "number": negotiation.renewals.first().number}]})
    version: ContractVersion | None = negotiation.current_version()
    with transaction.atomic():
        locked(negotiation)
        renewal = create_negotiation(
            actor=actor, title=_("%(title)s（续订）") % {"title": negotiation.title}, union=negotiation.union,
            employers=list(negotiation.employers.all()), level=negotiation.level, procedure=negotiation.procedure,
            region=negotiation.region, covered_occupations=negotiation.covered_occupations,
            covered_cities=negotiation.covered_cities, covered_headcount=negotiation.covered_headcount,
            electorate_kind=negotiation.electorate_kind, officer=negotiation.officer, renewal_of=negotiation,
            comment=comment,
        )
        by_id = {t.pk: t for t in negotiation.topics.all()}
        for order, clause in enumerate(version.clauses if version else (), start=1):
            old = by_id.get(clause.get("topic"))
            NegotiationTopic.objects.create(
                negotiation=renewal, topic=old.topic if old else None, name=clause["title"][:100],
                unit=old.unit if old else Unit.TEXT, costing=old.costing if old else "",
                core_common=old.core_common if old else False,
                demand_value=old.agreed_value if old else None, demand_text=clause["text"], order=order,
                surcharge_time_band=old.surcharge_time_band if old else "",
                surcharge_weather=old.surcharge_weather if old else "",
            )
        record_step(negotiation, "start_renewal", actor=actor, comment=comment,
                    payload={"renewal": renewal.pk, "number": renewal.number})
        links.record_link(renewal, negotiation, actor=actor)
    return renewal


def catalogue():
    return Topic.objects.all()
