"""Celery tasks of mediation: thin wrappers that call the sweeps and the document pipeline."""

from celery import shared_task

from casework import documents, legal_calendar

from . import sweeps


@shared_task(name="mediation.tasks.sweep_mediations")
def sweep_mediations():
    """Beat: the deadline sweep (expire, warn) then the performance sweep (fulfil, default)."""
    # Staff may have edited holidays in another process since this worker cached them.
    legal_calendar.clear_cache()
    deadlines = sweeps.sweep_deadlines()
    performance = sweeps.sweep_performance()
    performance["cutoff"] = str(performance["cutoff"])
    return {"deadlines": deadlines, "performance": performance}


@shared_task(name="mediation.tasks.issue_documents", ignore_result=True)
def issue_documents(mediation_ids, kind):
    """Ask for `kind` for each mediation that may have it in its current state (after a set-based
    sweep moved them; a transition by a person asks within its own transaction instead)."""
    from .models import Mediation

    for mediation in Mediation.objects.filter(pk__in=mediation_ids).select_related("organisation", "mediator"):
        if documents.get_kind(mediation, kind).allowed_in(mediation.state):
            documents.request(mediation, kind)
