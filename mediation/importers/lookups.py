"""What cleaning and writing look up: courts, categories, workers, organisations and the referrals
already registered, read in bulk per batch and kept for the whole import.

Why a module of its own: the import's speed is here. `prefetch()` reads what a batch's rows mention
in a few queries however large the batch, and what was looked for and not found is remembered too,
so a miss costs one query per import. Single entry (services.intake.create_referral) uses the same
Lookups for its one row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q

from core import identifiers, limits
from core.models import Category, Organisation, Worker, resident_id_digest

from ..models import Mediation
from .reading import claimant_items, respondent_items

if TYPE_CHECKING:
    from .cleaning import CleanReferral


def registered_as(court, number):
    """The number of the mediation registered for (court, court case number), asked afresh; or None."""
    if court is None or not number:
        return None
    return Mediation.objects.filter(court=court, court_case_number=number).values_list("number", flat=True).first()


class Lookups:
    """What cleaning and writing look up, read in bulk per batch and kept for the whole import."""

    def __init__(self, *, identities_hidden: bool = False):
        # For someone who may not look workers up (a court's liaison): a registered worker is only
        # taken for a claimant given with the same name, so an ID number never tells them a name.
        self.identities_hidden = identities_hidden
        self.courts = {o.name: o for o in Organisation.objects.filter(kind=Organisation.Kind.COURT)}
        self.categories = {}
        for c in Category.objects.all():
            self.categories[c.code] = c
            self.categories[c.name] = c
        self.workers: dict[str, Worker] = {}
        self.orgs_by_name: dict[str, Organisation] = {}
        self.orgs_by_code: dict[str, Organisation] = {}
        self.referrals: dict[tuple, str] = {}
        # What has been looked for already (found or not), so a miss costs one query per import.
        self._digests_seen: set[str] = set()
        self._names_seen: set[str] = set()
        self._codes_seen: set[str] = set()
        self._keys_seen: set[tuple] = set()

    def court(self, value):
        if isinstance(value, Organisation):
            return value if value.kind == Organisation.Kind.COURT else None
        if value in (None, ""):
            return None
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return next((c for c in self.courts.values() if c.pk == int(value)), None)
        return self.courts.get(limits.clean_text(value))

    def prefetch(self, raws: list[dict], default_court=None):
        """Read, in a few queries, the workers, organisations and referrals these rows mention."""
        digests, names, codes, keys = set(), set(), set(), set()
        for raw in raws:
            if not isinstance(raw, dict):
                continue
            for c in claimant_items(raw):
                try:
                    digests.add(resident_id_digest(identifiers.validate_resident_id(str(c.get("id_number") or ""))))
                except ValidationError:
                    pass
            for r in respondent_items(raw):
                if r.get("name"):
                    names.add(limits.clean_text(r["name"]))  # as cleaning.py reads it
                if r.get("credit_code"):
                    codes.add(str(r["credit_code"]).strip().upper())
            court = self.court(raw.get("court")) or default_court
            if court is not None and raw.get("court_case_number"):
                keys.add((court.pk, limits.clean_text(raw["court_case_number"])))
        self._load_workers(digests)
        self._load_organisations(names, codes)
        self._load_referrals(keys)

    def worker(self, digest):
        self._load_workers({digest})
        return self.workers.get(digest)

    def organisation(self, name, code):
        """The registered organisation with credit code `code` (normalised), else named `name`; or None."""
        self._load_organisations({name} if name else set(), {code} if code else set())
        return (self.orgs_by_code.get(code) if code else None) or self.orgs_by_name.get(name)

    def existing_referral(self, court, number):
        """The number of the mediation registered for (court, court case number), or None."""
        if court is None or not number:
            return None
        key = (court.pk, number)
        self._load_referrals({key})
        return self.referrals.get(key)

    def remember(self, mediations, written: list[CleanReferral]):
        """After a batch committed: what it created is there for the next batches."""
        for m, row in zip(mediations, written):
            if row.court is not None:
                self.referrals[row.key] = m.number
            for c in row.claimants:
                if c.worker is not None:
                    self.workers[c.digest] = c.worker
            for r in row.respondents:
                if r.organisation is not None:
                    self._remember_org(r.organisation)

    # --- one query each for what has not been looked for yet -----------------------------------------

    def _load_workers(self, digests: set[str]):
        digests = digests - self._digests_seen
        self._digests_seen |= digests
        if digests:
            for w in Worker.objects.filter(id_number_digest__in=digests).only("pk", "name", "id_number_digest"):
                self.workers[w.id_number_digest] = w

    def _load_organisations(self, names: set[str], codes: set[str]):
        names, codes = names - self._names_seen, codes - self._codes_seen
        self._names_seen |= names
        self._codes_seen |= codes
        if names or codes:
            for o in Organisation.objects.filter(Q(name__in=names) | Q(credit_code__in=codes)):
                self._remember_org(o)

    def _load_referrals(self, keys: set[tuple]):
        keys = keys - self._keys_seen
        self._keys_seen |= keys
        if keys:
            numbers = {n for _c, n in keys}
            courts = {c for c, _n in keys}
            for court_id, number, mediation in Mediation.objects.filter(
                court_id__in=courts, court_case_number__in=numbers
            ).values_list("court_id", "court_case_number", "number"):
                self.referrals[(court_id, number)] = mediation

    def _remember_org(self, org):
        self.orgs_by_name[org.name] = org
        if org.credit_code:
            self.orgs_by_code[org.credit_code] = org
