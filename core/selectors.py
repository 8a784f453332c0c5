"""Reads of the parties register that every module's lists and searches share."""

from django.core.exceptions import ValidationError
from django.db.models import Q

from . import identifiers
from .models import Organisation, Worker, resident_id_digest


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
