"""Writing checked referrals: the mediations (state `referred`), their parties, claims and journal
events, in bulk statements inside the caller's transaction.

Why a module of its own: one batch of the import and single entry's one referral are written by the
same code, so a referral registered either way is the same rows and the same journal event; how a
batch that fails is retried is the import's business (run.py), not this module's.
"""

from __future__ import annotations

from django.db import transaction

from core import journal
from core.models import Organisation, Worker

from ..models import Mediation, MediationClaim
from .cleaning import CleanReferral
from .lookups import Lookups


def write_referrals(rows: list[CleanReferral], *, actor, lookups: Lookups, comment="") -> list[Mediation]:
    """Create the mediations (state `referred`) with their parties and claims, and journal them.

    Bulk statements for the whole batch: new workers, new organisations, the numbers (one block per
    year from the sequence), the mediations, their links, claims and journal events. Runs inside the
    caller's transaction; an IntegrityError means someone else registered the same thing first.
    """
    from core.services import next_numbers

    from ..services.intake import NUMBER_PREFIX

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("write_referrals() runs inside a transaction")
    if not rows:
        return []
    _create_parties(rows)

    numbers = {}
    for year in sorted({row.referred_on.year for row in rows}):
        count = sum(1 for row in rows if row.referred_on.year == year)
        numbers[year] = iter(next_numbers(NUMBER_PREFIX, year, count))
    mediations = [
        Mediation(
            number=next(numbers[row.referred_on.year]), source=row.source, procedure=row.procedure,
            title=row.title, facts=row.facts, court=row.court, court_case_number=row.court_case_number,
            referred_on=row.referred_on, created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        for row in rows
    ]
    Mediation.objects.bulk_create(mediations, batch_size=500)
    Claimants = Mediation.claimants.through
    Respondents = Mediation.respondents.through
    Claimants.objects.bulk_create(
        [Claimants(mediation_id=m.pk, worker_id=c.worker.pk) for m, row in zip(mediations, rows) for c in row.claimants],
        batch_size=1000,
    )
    Respondents.objects.bulk_create(
        [Respondents(mediation_id=m.pk, organisation_id=r.organisation.pk)
         for m, row in zip(mediations, rows) for r in {r.organisation.pk: r for r in row.respondents}.values()],
        batch_size=1000,
    )
    MediationClaim.objects.bulk_create(
        [MediationClaim(mediation_id=m.pk, category=cat, description=d, amount=a)
         for m, row in zip(mediations, rows) for cat, d, a in row.claims],
        batch_size=1000,
    )
    journal.record_many(
        ((Mediation, m.pk, "create", "", m.state, {
            "number": m.number, "source": m.source, "court": row.court.name if row.court else None,
            "court_case_number": row.court_case_number, "claimants": len(row.claimants),
        }) for m, row in zip(mediations, rows)),
        actor=actor, comment=comment,
    )
    return mediations


def _create_parties(rows: list[CleanReferral]):
    """Register the workers and organisations not registered yet (the same person, or the same
    organisation, in two rows is one), and point every row's specs at theirs."""
    new_workers = {}
    for row in rows:
        for c in row.claimants:
            if c.worker is None and c.digest not in new_workers:
                new_workers[c.digest] = Worker(
                    name=c.name, id_number=c.id_number, id_number_digest=c.digest, phone=c.phone,
                    occupation=c.occupation,
                )
    if new_workers:
        Worker.objects.bulk_create(list(new_workers.values()), batch_size=500)
    new_orgs = {}
    for row in rows:
        for r in row.respondents:
            if r.organisation is None and r.name not in new_orgs:
                new_orgs[r.name] = Organisation(name=r.name, kind=r.kind, credit_code=r.credit_code)
    if new_orgs:
        Organisation.objects.bulk_create(list(new_orgs.values()), batch_size=500)
    for row in rows:
        for c in row.claimants:
            c.worker = c.worker or new_workers[c.digest]
        for r in row.respondents:
            r.organisation = r.organisation or new_orgs[r.name]
