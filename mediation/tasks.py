"""Celery tasks of mediation: thin wrappers that call the services.

The two sweeps are registered with core (core/sweeps.py), so `manage.py sweep mediation` runs the
same functions as the beat, as of any day."""

from celery import shared_task
from django.utils import timezone

from core import legal_calendar, sweeps

from . import services


@sweeps.register("mediation", "deadlines")
def deadlines(*, today):
    """Expire what ran out before `today`; warn about what runs out soon after it."""
    return services.sweep_deadlines(today=today)


@sweeps.register("mediation", "performance")
def performance(*, today):
    """Fulfil agreements paid in full; default those overdue past the grace as of `today`."""
    result = services.sweep_performance(today=today)
    result["cutoff"] = str(result["cutoff"])
    return result


@shared_task(name="mediation.tasks.sweep_mediations")
def sweep_mediations():
    """Beat: the deadline sweep (expire, warn) then the performance sweep (fulfil, default)."""
    # Staff may have edited holidays in another process since this worker cached them.
    legal_calendar.clear_cache()
    today = timezone.localdate()
    return {"deadlines": deadlines(today=today), "performance": performance(today=today)}


@shared_task(bind=True, name="mediation.tasks.import_referrals_file")
def import_referrals_file(self, storage_name, *, filename, actor_id, court_id=None, source=None, delete=True):
    """Import a referral list the web page stored (default_storage) in the background.

    While it runs, the task's state is PROGRESS with meta {done, total, created, duplicates,
    refused}: the import page polls `AsyncResult(task_id)` for its progress bar. Returns the report
    (importers.ImportReport.as_dict()). The stored upload is deleted afterwards.
    """
    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage

    from core.models import Organisation

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
