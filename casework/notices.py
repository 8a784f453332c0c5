"""Who dispute intake tells what: the deadline sweep's warnings, and what a case's people hear
when the mediation opened for their case moves on (casework reacts to mediation through
`core.transitions.transitioned`; it never imports the mediation module)."""

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from core import links, notices
from core.notices import Field, Notice, RoleMembers
from core.roles import Role
from core.transitions import chunks, transitioned

from .models import Case, CaseState

# The case's handler; the active supervisors when it has none or the handler has left.
handler_or_supervisors = Field("handler").otherwise(RoleMembers(Role.SUPERVISOR))

SCREENING_OVERDUE = Notice(
    "screening_overdue:%(due)s", to=handler_or_supervisors,
    text=_("案件 %(number)s 审查已超期（期限 %(due)s），请尽快完成审查。"),
    context={"number": "number", "due": "screening_due_on"},
)
LIMITATION_ENDING = Notice(
    "limitation:%(ends)s", to=handler_or_supervisors,
    text=_("案件 %(number)s 的仲裁时效将于 %(ends)s 届满，请及时申请仲裁或采取中断时效的措施。"),
    context={"number": "number", "ends": "limitation_ends_on"},
)

# A mediation opened for a case (mediation/) ended or was performed: what the case's people hear.
MEDIATION_LABEL = "mediation.mediation"
MEDIATION_ENDINGS = {
    "decline": _("不予受理"),
    "fail": _("调解不成"),
    "expire": _("期满未达成协议"),
    "withdraw": _("已撤回"),
}


def followers(case_ids) -> dict:
    """{case id: [user ids]}: who hears about a case (its handler, else the supervisors)."""
    rows = list(Case.objects.filter(pk__in=case_ids).values("pk", "handler_id"))
    return handler_or_supervisors.resolve(rows)


@receiver(transitioned, dispatch_uid="casework.follow_linked_mediations")
def follow_linked_mediations(sender, name, ids, **kwargs):
    if sender._meta.label_lower != MEDIATION_LABEL or (name not in MEDIATION_ENDINGS and name != "fulfil"):
        return
    case_type = links.content_type_of("casework.Case")
    # (origin_id first: its index finds the few mediations opened for a case among many moved)
    rows = [row for chunk in chunks(ids) for row in sender._base_manager
            .filter(origin_id__isnull=False, origin_type=case_type, pk__in=chunk)
            .values("pk", "number", "origin_id", "agreement__amount_paid")]
    if not rows:
        return
    cases = {c["pk"]: c for c in Case.objects.filter(pk__in={r["origin_id"] for r in rows}).values("pk", "number", "state")}
    people = followers(list(cases))
    items = []
    for row in rows:
        case = cases.get(row["origin_id"])
        if case is None:
            continue
        if name == "fulfil":
            if case["state"] != CaseState.IN_MEDIATION:
                continue
            key, text = "case_can_resolve", _("调解 %(mediation)s 的协议已履行完毕（%(paid)s）：案件 %(case)s 可以“调解成功”办结。") % {
                "mediation": row["number"], "paid": notices.money(row["agreement__amount_paid"]), "case": case["number"]}
        else:
            key, text = "case_follow_up", _("案件 %(case)s 的调解 %(mediation)s %(what)s：可申请劳动仲裁或提起诉讼。") % {
                "case": case["number"], "mediation": row["number"], "what": MEDIATION_ENDINGS[name]}
        for person in people.get(case["pk"], []):
            items.append((person, row["pk"], f"mediation:{row['pk']}:{key}", str(text), Notice(key, to=None, text=text)))
    notices.deliver(sender, items, transition=name)
