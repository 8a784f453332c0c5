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


@shared_task(bind=True, name="mediation.tasks.import_referrals_file")
def import_referrals_file(self, storage_name, *, filename, actor_id, court_id=None, source=None, delete=True):
    """Import a referral list the web page stored (default_storage) in the background.

    While it runs, the task's state is PROGRESS with meta {done, total, created, duplicates,
    refused}: the import page polls `AsyncResult(task_id)` for its progress bar. Returns the report
    (importers.ImportReport.as_dict()). The stored upload is deleted afterwards.
    """
    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage

    from casework.models import Organisation

    from . import importers

    actor = get_user_model().objects.get(pk=actor_id)
    court = Organisation.objects.get(pk=court_id) if court_id else None
    reporting = bool(self.request.id) and not self.app.conf.task_always_eager

    def progress(done, total, report):
        if reporting:
            self.update_state(state="PROGRESS", meta={
                "done": done, "total": total, "created": report.created,
                "duplicates": report.duplicates, "refused": report.refused,
            })

    with default_storage.open(storage_name, "rb") as upload:
        data = upload.read()
    try:
        report = importers.import_referrals(actor=actor, data=data, filename=filename, court=court,
                                            source=source, progress=progress)
    finally:
        if delete:
            default_storage.delete(storage_name)
    return report.as_dict()
