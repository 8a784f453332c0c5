"""Who hears about a negotiation beyond its own transitions' notices: the employer side's company
contacts (a recipient for the declarations), and what the sweeps tell people (a reply overdue, a
seat left vacant, a renewal due)."""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.notices import Recipients, notify
from core.roles import Role


class EmployerContacts(Recipients):
    """The active company contacts of every employer-side organisation of the negotiation."""

    def resolve(self, rows):
        from .models import Negotiation

        pks = [row["pk"] for row in rows]
        orgs = defaultdict(set)
        for pk, org in Negotiation.employers.through.objects.filter(negotiation_id__in=pks).values_list(
                "negotiation_id", "organisation_id"):
            orgs[pk].add(org)
        by_org = defaultdict(list)
        for user, org in get_user_model().objects.filter(
            groups__name=Role.COMPANY_CONTACT, is_active=True,
            profile__organisation_id__in=set().union(*orgs.values()) if orgs else (),
        ).order_by("pk").values_list("pk", "profile__organisation_id"):
            by_org[org].append(user)
        return {pk: list(dict.fromkeys(u for org in sorted(orgs.get(pk, ())) for u in by_org[org])) for pk in pks}


def officer_or_supervisors(negotiation):
    if negotiation.officer_id and negotiation.officer.is_active:
        return [negotiation.officer]
    return list(get_user_model().objects.filter(groups__name=Role.SUPERVISOR, is_active=True).order_by("pk"))


def tell_staff(negotiation, key, message):
    for user in officer_or_supervisors(negotiation):
        notify(recipient=user, subject=negotiation, key=key, message=message)


REPLY_OVERDUE = _("集体协商 %(number)s 的要约书面回应期限（%(due)s）已过，企业方尚未回应：可再次书面催告，"
                  "或提请劳动行政部门协调处理。")
SEAT_VACANT = _("集体协商 %(number)s 的%(side)s协商代表 %(name)s 已于 %(vacated_on)s 出缺，须在 %(due)s 前补齐。")
RENEWAL_DUE = _("集体合同 %(number)s 将于 %(expires_on)s 期满，可启动续订协商。")
