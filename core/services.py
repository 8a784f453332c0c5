"""The parties' register and the other writes every module needs: one function per action,
keyword-only, one transaction each.

Errors: `ValidationError` (bad input, field by field) -> 400, `PermissionDenied` -> 403
(core/errors.py says what a user sees for each).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import identifiers, limits
from .models import NumberSequence, Organisation, Worker, resident_id_digest


def require_perm(actor, perm, obj=None):
    """403 unless `actor` holds the rules permission (object-level when `obj` is given)."""
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(_("您没有权限执行此操作。"))


def _phone(value, field: str, errors: dict) -> str:
    """The normalised phone number, or "" with the reason in `errors[field]`."""
    if not value:
        return ""
    try:
        return identifiers.normalise_phone(value)
    except ValidationError as exc:
        errors[field] = exc.messages
        return value


def required_text(field: str, value: str, message: str, *, multiline: bool = True) -> str:
    """The text without control characters (core.limits.visible_text), or a 400 field error:
    `message` when it is blank, another when nothing visible is left of it."""
    return limits.visible_text(field, value, required_message=message, multiline=multiline)


# --------------------------------------------------------------------------------------------------
# Organisations and workers
# --------------------------------------------------------------------------------------------------


def register_organisation(
    *, actor, name, kind, credit_code=None, override_credit_code=False, override_reason="",
    parent=None, address="", contact_person="", contact_phone="",
) -> Organisation:
    """Register an organisation. A credit code failing the GB 32100 checksum needs a supervisor's override."""
    require_perm(actor, "core.add_organisation")
    errors = {}
    name = limits.collect_text(errors, "name", name, required_message=_("请填写单位名称。"))
    address = limits.collect_text(errors, "address", address)
    contact_person = limits.collect_text(errors, "contact_person", contact_person)
    override_reason = limits.collect_text(errors, "override_reason", override_reason, multiline=True)
    overridden_by = None
    if credit_code:
        try:
            credit_code = identifiers.validate_credit_code_format(credit_code)
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
        else:
            if not identifiers.credit_code_checksum_ok(credit_code):
                if not override_credit_code:
                    errors["credit_code"] = [_(
                        "统一社会信用代码校验码不符（GB 32100）。如确认为早期试点合法代码，"
                        "可由主管勾选“例外登记”并说明理由。"
                    )]
                elif not actor.has_perm("core.override_credit_code"):
                    raise PermissionDenied(_("只有主管可以登记校验码不符的统一社会信用代码。"))
                elif not (override_reason or "").strip():
                    errors["override_reason"] = [_("例外登记须说明理由。")]
                else:
                    overridden_by = actor
        if credit_code and Organisation.objects.filter(credit_code=credit_code).exists():
            errors.setdefault("credit_code", []).append(_("该统一社会信用代码已登记。"))
    else:
        credit_code = None
    contact_phone = _phone(contact_phone, "contact_phone", errors)
    if kind not in Organisation.Kind.values:
        errors["kind"] = [_("未知的单位类型：%(kind)s") % {"kind": kind}]
    if "name" not in errors and Organisation.objects.filter(name=name).exists():
        errors["name"] = [_("同名单位已登记。")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Organisation.objects.create(
                name=name, kind=kind, credit_code=credit_code, parent=parent, address=address,
                contact_person=contact_person, contact_phone=contact_phone,
                credit_code_overridden_by=overridden_by,
                credit_code_override_reason=(override_reason or "").strip() if overridden_by else "",
            )
    except IntegrityError:  # registered by someone else between our check and this insert
        raise ValidationError({"name": [_("同名或同一信用代码的单位刚刚已被登记，请刷新后选用。")]}) from None


def find_worker(*, id_number=None, phone=None, among=None):
    """Look a worker up by resident ID (through its keyed digest) or phone; None if not found.
    `among`: the workers the asking person may see (core.selectors.visible_workers)."""
    workers = Worker.objects.all() if among is None else among
    if id_number:
        return workers.filter(id_number_digest=resident_id_digest(id_number)).first()
    if phone:
        try:
            return workers.filter(phone=identifiers.normalise_phone(phone)).first()
        except ValidationError:
            return None
    return None


def register_worker(
    *, actor, name, id_number, occupation, phone="", platforms=(),
    relationship_type=Worker.Relationship.UNKNOWN, is_union_member=False,
) -> Worker:
    require_perm(actor, "core.add_worker")
    errors = {}
    try:
        id_number = identifiers.validate_resident_id(id_number)
    except ValidationError as exc:
        errors["id_number"] = exc.messages
    else:
        if find_worker(id_number=id_number):
            errors["id_number"] = [_("该身份证号码已登记，请直接选用已有劳动者。")]
    phone = _phone(phone, "phone", errors)
    name = limits.collect_text(errors, "name", name, required_message=_("请填写姓名。"))
    if occupation not in Worker.Occupation.values:
        errors["occupation"] = [_("未知的职业：%(occupation)s") % {"occupation": occupation}]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            worker = Worker.objects.create(
                name=name, id_number=id_number, phone=phone, occupation=occupation,
                relationship_type=relationship_type, is_union_member=is_union_member,
            )
            worker.platforms.set(platforms)
    except IntegrityError:  # the same ID registered by someone else between our check and this insert
        raise ValidationError({"id_number": [_("该身份证号码刚刚已被登记，请直接选用已有劳动者。")]}) from None
    return worker


def next_numbers(prefix: str, year: int, count: int = 1) -> list[str]:
    """`count` consecutive numbers PREFIX-2026-000123 (cases WQ, mediations TJ, …). The year's
    sequence row stays locked until the caller's transaction ends, so concurrent intakes never
    share or skip a number (a rolled-back intake gives its numbers back)."""
    try:
        with transaction.atomic():
            NumberSequence.objects.get_or_create(prefix=prefix, year=year)
    except IntegrityError:  # another intake created this year's row at the same moment
        pass
    seq = NumberSequence.objects.select_for_update().get(prefix=prefix, year=year)
    first = seq.last + 1
    seq.last += count
    seq.save(update_fields=["last"])
    return [f"{prefix}-{year}-{n:06d}" for n in range(first, seq.last + 1)]


def next_number(prefix: str, year: int) -> str:
    return next_numbers(prefix, year, 1)[0]


def find_conflicts(*, person, organisations) -> list[Organisation]:
    """The organisations among `organisations` that `person` acts for or belongs to."""
    profile = getattr(person, "profile", None)
    if profile is None:
        return []
    own = set(profile.acts_for.values_list("pk", flat=True))
    if profile.organisation_id:
        own.add(profile.organisation_id)
    return [o for o in organisations if o.pk in own]


def reassign(obj, *, field: str, to, actor, transition: str, comment: str = "", payload=None, also=None):
    """Hand the work on `obj` (the user in `field`: a handler, a mediator) to `to`, journaled as
    `transition` with who it was and who it is now; `also` (field -> value) is saved with it.
    Nothing happens when `to` has it already. The inbox task follows through the journal."""
    from . import journal
    from .transitions import current_state

    previous = getattr(obj, field)
    if (previous.pk if previous else None) == (to.pk if to else None):
        return obj
    with transaction.atomic():
        setattr(obj, field, to)
        for name, value in (also or {}).items():
            setattr(obj, name, value)
        obj.save(update_fields=[field, *(also or {}), "updated_at"])
        state = current_state(obj)
        journal.record(subject=obj, transition=transition, from_state=state, to_state=state, actor=actor,
                       comment=comment, payload={
                           "from": previous.pk if previous else None,
                           "from_name": previous.get_username() if previous else "",
                           "to": to.pk if to else None, "to_name": to.get_username() if to else "",
                           **(payload or {}),
                       })
    return obj


# --------------------------------------------------------------------------------------------------
# What every module's services do around a change that is not a transition
# --------------------------------------------------------------------------------------------------


def as_date(field: str, value):
    """A date from a service's argument (a date, or ISO text from a form or a file); 400 otherwise."""
    import datetime

    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: [_("请填写日期（如 2026-03-01）。")]}) from None


def locked(obj, *, message):
    """Lock `obj`'s row and make sure nobody changed it since it was read (its state and
    `updated_at`): else 409 conflict with `message`. Runs inside the change's transaction."""
    from django_fsm import ConcurrentTransition

    from .transitions import machine_for

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked() runs inside the transaction of the change")
    state = machine_for(obj).state_field
    fresh = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if getattr(fresh, state) != getattr(obj, state) or fresh.updated_at != obj.updated_at:
        raise ConcurrentTransition(message)
    return fresh


def record_step(obj, event: str, *, actor, comment: str = "", payload=None) -> None:
    """Journal a step that does not move the state (a round, a reply), and touch the row, so a page
    read before it is a stale write (409) when submitted."""
    from django.utils import timezone

    from . import journal
    from .transitions import current_state

    type(obj)._default_manager.filter(pk=obj.pk).update(updated_at=timezone.now())
    obj.refresh_from_db(fields=["updated_at"])
    state = current_state(obj)
    journal.record(subject=obj, transition=event, from_state=state, to_state=state, actor=actor,
                   comment=comment, payload=payload or {})
