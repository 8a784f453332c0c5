"""Checklists as versioned data: a new version copies the last one and is edited until published;
a published version never changes (checkups pin one). An effective collective contract's clauses
arrive from bargaining through core (`transitioned`) and can be made items of a new version."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import require_perm
from core.transitions import transitioned

from ..models import Checklist, ChecklistItem, ChecklistVersion, OfferedClause, Severity

ITEM_FIELDS = ("code", "title", "legal_basis", "severity", "guidance", "questions", "evidence", "company_kinds",
               "relationship_types", "profiles", "source", "order")


def new_version(*, checklist: Checklist, actor, note="") -> ChecklistVersion:
    require_perm(actor, "legal_checkup.manage_checklists")
    last = checklist.versions.order_by("-number").first()
    if last is not None and not last.published:
        raise ValidationError({"checklist": [_("已有未发布的版本 v%(n)d，请先编辑并发布它。") % {"n": last.number}]})
    with transaction.atomic():
        version = ChecklistVersion.objects.create(checklist=checklist, number=(last.number + 1) if last else 1,
                                                  note=note or "", created_by=actor)
        if last is not None:
            ChecklistItem.objects.bulk_create([
                ChecklistItem(version=version, **{f: getattr(i, f) for f in ITEM_FIELDS}) for i in last.items.all()])
    return version


def editable(version):
    if version.published:
        raise ValidationError({"version": [_("已发布的清单版本不能修改：请新建版本。")]})


def set_item(*, version, actor, **fields) -> ChecklistItem:
    """Add or change (by code) an item of an unpublished version."""
    require_perm(actor, "legal_checkup.manage_checklists")
    editable(version)
    errors = {}
    code = str(fields.get("code", "")).strip()
    if not code:
        errors["code"] = [_("请填写事项编号。")]
    if not str(fields.get("title", "")).strip():
        errors["title"] = [_("请填写检查事项。")]
    if not str(fields.get("legal_basis", "")).strip():
        errors["legal_basis"] = [_("请填写法律依据。")]
    if fields.get("severity") not in Severity.values:
        errors["severity"] = [_("风险等级应为 H、M 或 L。")]
    if errors:
        raise ValidationError(errors)
    values = {f: fields[f] for f in ITEM_FIELDS if f in fields and f != "code"}
    item, _created = ChecklistItem.objects.update_or_create(version=version, code=code, defaults=values)
    return item


def publish(*, version, actor) -> ChecklistVersion:
    require_perm(actor, "legal_checkup.manage_checklists")
    editable(version)
    if not version.items.exists():
        raise ValidationError({"version": [_("清单版本至少要有一个事项。")]})
    version.published_at = timezone.now()
    version.save(update_fields=["published_at"])
    return version


def include_offered_clauses(*, version, actor, offers) -> list[ChecklistItem]:
    """Make items of an unpublished version from clauses of effective collective contracts."""
    require_perm(actor, "legal_checkup.manage_checklists")
    editable(version)
    items = []
    with transaction.atomic():
        start = (version.items.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        for n, offer in enumerate(offers, start=start):
            items.append(ChecklistItem.objects.create(
                version=version, code=f"{offer.source_number}-{n:02d}"[:40],
                title=_("落实集体合同条款：%(title)s") % {"title": offer.title}, legal_basis=_(
                    "集体合同（%(number)s）；劳动合同法第五十四条") % {"number": offer.source_number},
                severity=Severity.MEDIUM, guidance=offer.text, source=f"{offer.source_label}:{offer.source_id}",
                company_kinds=[], profiles=[], order=n,
            ))
            offer.used_in = version
            offer.save(update_fields=["used_in"])
    return items


@receiver(transitioned, dispatch_uid="legal_checkup.offer_contract_clauses")
def offer_contract_clauses(sender, name, ids, objects=None, **kwargs):
    """An effective collective contract offers its clauses to the covered employers' next
    check-up (DESIGN.md: the reacting module registers with core; bargaining is read by duck
    typing: `number`, `employers`, `current_version().clauses`)."""
    if sender._meta.label_lower != "bargaining.negotiation" or name != "take_effect":
        return
    today = timezone.localdate()
    for negotiation in objects or sender._default_manager.filter(pk__in=ids):
        version = negotiation.current_version()
        employers = list(negotiation.employers.all())
        for clause in (version.clauses if version else ()):
            offer, created = OfferedClause.objects.get_or_create(
                source_label="bargaining.negotiation", source_id=negotiation.pk, title=clause["title"][:200],
                defaults={"source_number": negotiation.number, "text": clause["text"], "offered_on": today})
            if created:
                offer.employers.set(employers)
