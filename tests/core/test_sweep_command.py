"""`manage.py sweep`: every module's sweeps, or the named ones, as of a day; a dry run reports what
a real run would move and tell, and leaves nothing behind (core/sweeps.py)."""

import datetime
import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from core import sweeps
from core.models import Event, Notification, PendingNotices
from mediation.models import Mediation, MediationState
from tests.harness import on
from tests.mediation.helpers import mediation_in_state, today

S = MediationState
DAY = datetime.timedelta(days=1)
EVERY_SWEEP = ["casework.deadlines", "mediation.deadlines", "mediation.performance",
               "bargaining.negotiations", "legal_checkup.checkups"]


def sweep(*args, **options) -> list[str]:
    out = io.StringIO()
    call_command("sweep", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue().splitlines()


def with_deadline(deadline, state="in_progress"):
    m = mediation_in_state(state)
    Mediation.objects.filter(pk=m.pk).update(deadline=deadline)
    return m


def states(*ms):
    return [Mediation.objects.get(pk=m.pk).state for m in ms]


def test_every_module_registers_its_sweeps():
    assert [s.label for s in sweeps.registered()] == EVERY_SWEEP


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_tells_nobody_and_reports_what_the_real_run_then_does(
        settings, django_capture_on_commit_callbacks):
    settings.WEIQUAN_MEDIATION_WARNING_DAYS = 3
    late = [mediation_in_state("in_progress", recent=False) for _ in range(2)]
    soon = with_deadline(today() + DAY)
    for m in (*late, soon):  # so that a notification would be e-mailed
        type(m.mediator).objects.filter(pk=m.mediator_id).update(email=f"m{m.mediator_id}@example.org")
    before = (Event.objects.count(), Notification.objects.count(), states(*late, soon))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        preview = sweep("mediation", "--dry-run")

    assert (Event.objects.count(), Notification.objects.count(), states(*late, soon)) == before
    assert callbacks == [] and mail.outbox == []  # no e-mail, no document, no inbox task queued
    assert not any(Path(settings.MEDIA_ROOT).rglob("*"))  # no file stored
    assert preview[0] == f"Sweep as of {today()} (dry run: rolled back, nothing written, nobody told)"
    assert ("mediation.deadlines: mediation.mediation expire in_progress -> failed: 2 "
            "(documents would be asked for: termination_notice)") in preview
    told_line = next(line for line in preview if line.startswith("mediation.deadlines: would tell"))
    assert soon.mediator.username in told_line and late[0].mediator.username in told_line
    assert "mediation.performance: nothing would move" in preview
    assert preview[-1].startswith("Total: 2 would move, 2 journal entries, ")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        real = sweep("mediation")

    assert states(*late, soon) == [S.FAILED, S.FAILED, S.IN_PROGRESS]
    assert callbacks and mail.outbox
    assert any(Path(settings.MEDIA_ROOT).rglob("*.pdf"))  # the termination notices, rendered after the commit
    # the same lines, in the real run's words
    assert [line.replace("would tell", "told").replace("would move", "moved").replace("would be asked", "asked")
            .replace(" (dry run: all rolled back)", "") for line in preview[1:]] == real[1:]
    assert Event.objects.count() == before[0] + 2


@pytest.mark.django_db
def test_as_of_moves_exactly_what_is_due_that_day():
    two_days_ago, three_days_ago, ahead = with_deadline(today() - 2 * DAY), with_deadline(today() - 3 * DAY), \
        with_deadline(today() + 5 * DAY)

    # a period ends at the end of its last day: as of the day after it, it has run out
    lines = sweep("mediation.deadlines", "--as-of", (today() - 2 * DAY).isoformat())
    assert "mediation.deadlines: mediation.mediation expire in_progress -> failed: 1" in " ".join(lines)
    assert states(two_days_ago, three_days_ago, ahead) == [S.IN_PROGRESS, S.FAILED, S.IN_PROGRESS]
    assert Mediation.objects.get(pk=three_days_ago.pk).ended_on == today() - 2 * DAY

    # next week's preview: the one ending in five days too, and nothing is kept
    week = sweep("mediation.deadlines", "--dry-run", "--as-of", (today() + 7 * DAY).isoformat())
    assert "mediation.deadlines: mediation.mediation expire in_progress -> failed: 2" in " ".join(week)
    on_its_last_day = sweep("mediation.deadlines", "--dry-run", "--as-of", (today() + 5 * DAY).isoformat())
    assert "expire in_progress -> failed: 1" in " ".join(on_its_last_day)
    assert states(two_days_ago, three_days_ago, ahead) == [S.IN_PROGRESS, S.FAILED, S.IN_PROGRESS]


@pytest.mark.django_db
@pytest.mark.parametrize("value, message", [
    ("2027-13-01", "is not a date: give it as YYYY-MM-DD"),
    ("next week", "is not a date"),
    ("tomorrow", "is not a date"),
])
def test_an_as_of_that_is_no_date_is_refused(value, message):
    with pytest.raises(CommandError, match=message):
        sweep("--dry-run", "--as-of", value)


@pytest.mark.django_db
def test_an_as_of_out_of_range_is_refused():
    m = mediation_in_state("in_progress", recent=False)
    with pytest.raises(CommandError, match="after today .*preview it with --dry-run"):
        sweep("--as-of", (today() + DAY).isoformat())
    with pytest.raises(CommandError, match="more than 31 days ago"):
        sweep("--dry-run", "--as-of", (today() - 32 * DAY).isoformat())
    with pytest.raises(CommandError, match="more than 366 days ahead"):
        sweep("--dry-run", "--as-of", (today() + 367 * DAY).isoformat())
    assert states(m) == [S.IN_PROGRESS]
    sweep("--dry-run", "--as-of", (today() + 366 * DAY).isoformat())
    sweep("--as-of", (today() - 31 * DAY).isoformat())


@pytest.mark.django_db
def test_an_unknown_module_is_refused_with_the_known_ones():
    with pytest.raises(CommandError, match=r"no sweep called payroll; there are: .*casework.*mediation\.performance"):
        sweep("mediation", "payroll", "--dry-run")


@pytest.mark.django_db
def test_each_module_sweep_is_run():
    lines = sweep("--dry-run", verbosity=2)
    for label in EVERY_SWEEP:
        assert f"{label}: nothing would move" in lines
        assert any(line.startswith(f"{label}: figures: ") for line in lines), label
    assert "casework.deadlines: figures: screening_overdue=0" in " ".join(lines)
    assert "legal_checkup.checkups: figures: reminded=0 overdue=0 rerouted=0" in lines
    # a module by name runs its sweeps only
    only = sweep("casework", "--dry-run")
    assert [line.split(":")[0] for line in only[1:-1]] == ["casework.deadlines"]


@pytest.mark.django_db
def test_a_failing_sweep_fails_the_command_and_the_others_still_run(monkeypatch):
    def boom(*, today):
        Mediation.objects.update(title="changed by a sweep that then fails")
        raise ValueError("the sweep broke")

    monkeypatch.setitem(sweeps._sweeps, "mediation.boom", sweeps.Sweep("mediation", "boom", boom))
    m = mediation_in_state("in_progress", recent=False)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 sweep\\(s\\) failed: mediation.boom"):
        call_command("sweep", "mediation", "--dry-run", stdout=io.StringIO(), stderr=err)
    assert "mediation.boom: FAILED: ValueError: the sweep broke" in err.getvalue()
    assert Mediation.objects.get(pk=m.pk).title != "changed by a sweep that then fails"
    with pytest.raises(CommandError):
        sweep("mediation")
    assert states(m) == [S.FAILED]  # the deadline sweep ran for real, before the failing one


@pytest.mark.django_db
def test_a_dry_run_refuses_what_a_rollback_could_not_take_back(monkeypatch):
    from django.core.mail import send_mail

    from core.tasks import sync_inbox

    def mails(*, today):
        send_mail("s", "m", None, ["x@example.org"])

    def queues(*, today):
        sync_inbox.delay("mediation.mediation", [])

    monkeypatch.setitem(sweeps._sweeps, "core.mails", sweeps.Sweep("core", "mails", mails))
    monkeypatch.setitem(sweeps._sweeps, "core.queues", sweeps.Sweep("core", "queues", queues))
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 sweep"):
        call_command("sweep", "core", "--dry-run", stdout=io.StringIO(), stderr=err)
    assert "core.mails: FAILED: LeftTheTransaction: a dry run may not send e-mail" in err.getvalue()
    assert "core.queues: FAILED: LeftTheTransaction: a dry run may not send a Celery task" in err.getvalue()
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_beat_task_runs_the_registered_sweeps():
    from mediation.tasks import sweep_mediations

    m = mediation_in_state("in_progress", recent=False)
    result = sweep_mediations.apply().get()
    assert result["deadlines"]["expired"] == 1 and isinstance(result["performance"]["cutoff"], str)
    assert states(m) == [S.FAILED]


@pytest.mark.django_db
def test_on_a_shifted_day_as_well():
    with on(datetime.date.today() + datetime.timedelta(days=400), hour=1):
        m = with_deadline(today() - DAY)
        lines = sweep("mediation", "--dry-run")
        assert lines[0].startswith(f"Sweep as of {today()}")
        assert "expire in_progress -> failed: 1" in " ".join(lines)
        assert states(m) == [S.IN_PROGRESS]


@pytest.mark.django_db
def test_a_dry_run_tells_who_would_get_the_notices_a_large_set_owes(settings):
    settings.WEIQUAN_NOTICES_INLINE_MAX = 1  # two expiries are a "large" set: their notices are owed
    late = [mediation_in_state("in_progress", recent=False) for _ in range(2)]
    owed_before, notes_before = PendingNotices.objects.count(), Notification.objects.count()

    lines = sweep("mediation.deadlines", "--dry-run")

    told_line = next(line for line in lines if line.startswith("mediation.deadlines: would tell"))
    assert late[0].mediator.username in told_line
    assert (PendingNotices.objects.count(), Notification.objects.count()) == (owed_before, notes_before)
