"""Reads of the parties register that every module's lists and searches share, and who may see
which part of it (the one rule the API, the pages, the look-ups and the admin all apply)."""

from django.core.exceptions import ValidationError
from django.db.models import Q

from . import identifiers, links
from .models import Organisation, Worker, resident_id_digest
from .roles import Role, organisation_of

# Who keeps the whole register of workers in view: intake registers and finds them, a supervisor
# oversees, a mediator takes a union mediation's parties from it. A lawyer or a legal-aid volunteer
# sees the workers of what they hold (core.links.workers_held_by); nobody else sees any.
WHOLE_REGISTER_ROLES = (Role.INTAKE_OFFICER, Role.SUPERVISOR, Role.MEDIATOR)
HELD_REGISTER_ROLES = (Role.LAWYER, Role.LEGAL_AID_VOLUNTEER)


def _roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return set(user.groups.values_list("name", flat=True))


def _is_admin(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active)


def visible_workers(user):
    """The workers `user` may see, in lists, details and look-ups alike."""
    roles = _roles(user)
    if _is_admin(user) or roles & set(WHOLE_REGISTER_ROLES):
        return Worker.objects.all()
    if roles & set(HELD_REGISTER_ROLES):
        return Worker.objects.filter(links.workers_held_by(user)).distinct()
    return Worker.objects.none()


def visible_organisations(user):
    """The organisations `user` may see. Union staff and court liaisons see the register (a liaison
    names the respondents of a referral from it); a company's contact sees their own company
    only: the register holds other companies' contact people and phones, which are not theirs."""
    roles = _roles(user)
    if not roles and not _is_admin(user):
        return Organisation.objects.none()
    if roles == {Role.COMPANY_CONTACT}:
        own = organisation_of(user)
        return Organisation.objects.filter(pk=own.pk) if own is not None else Organisation.objects.none()
    return Organisation.objects.all()


def matching_workers(text: str):
    """Workers a search box's text may mean: by name, resident ID number (through its digest, the
    clear number is never queried) or phone (full number, or four or more of its digits)."""
    text = (text or "").strip()
    found = Q(name__icontains=text)
    try:
        found |= Q(id_number_digest=resident_id_digest(identifiers.validate_resident_id(text)))
    except ValidationError:
        pass
    if any(ch.isdigit() for ch in text):
        try:
            found |= Q(phone=identifiers.normalise_phone(text))
        except ValidationError:
            if len(text) >= 4:
                found |= Q(phone__contains=text)
    return Worker.objects.filter(found)


def matching_organisations(text: str):
    """Organisations a search box's text may mean: by name or unified social credit code."""
    text = (text or "").strip()
    return Organisation.objects.filter(Q(name__icontains=text) | Q(credit_code=text.upper()))


def related_organisations(organisations) -> list[Organisation]:
    """The organisations and their corporate relatives: parent (up the chain) and partners."""
    found = {}
    frontier = list(organisations)
    for org in frontier:
        found[org.pk] = org
    for org in list(found.values()):
        parent = org.parent
        while parent is not None and parent.pk not in found:
            found[parent.pk] = parent
            parent = parent.parent
    for partner in Organisation.objects.filter(parent_id__in=list(found)):
        found.setdefault(partner.pk, partner)
    return list(found.values())
