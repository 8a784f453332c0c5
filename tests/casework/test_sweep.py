"""The deadline sweep (Celery beat): overdue screening and arbitration limitation warnings.

The sweep takes `today`, so most tests run it directly on fixed dates (with the clock on that day
too); the cases they sweep are registered on fixed dates before it. One test runs it the way
production does: beat's task name, a real Celery worker, the configured Redis broker.
"""

import datetime

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from core import legal_calendar
from core import notices
from casework import services, tasks
from core.models import CalendarDay, Notification
from casework.models import Case
from core.roles import Role
from tests.harness import on
from tests.scenarios import advance, make_case, make_user

D = datetime.date
LIMITATION = "limitation"
SCREENING = "screening_overdue"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WEIQUAN_LIMITATION_WARNING_DAYS = 30
    settings.WEIQUAN_SCREENING_SLA_WORKING_DAYS = 3


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down: with fail_silently it reports 0 messages sent."""

    def send_messages(self, messages):
        if self.fail_silently:
            return 0
        raise ConnectionRefusedError("smtp down")


def sweep(*, today):
    """Run the sweep on `today` (the clock there too) and deliver the e-mails it queues for after
    commit (the test holds one open)."""
    with on(today), TestCase.captureOnCommitCallbacks(execute=True):
        return services.sweep_case_deadlines(today=today)


def _notes(kind, case=None):
    qs = Notification.objects.filter(key__contains=f":{kind}")
    if case is not None:
        qs = qs.filter(key__startswith=f"case:{case.pk}:")
    return qs


RECEIVED = D(2026, 3, 2)


def _received_case(handler, **kw):
    """Received (and registered) Monday 2026-03-02: three working days -> screening due Thursday
    2026-03-05. Its limitation runs to 2027 (employment ended 2026-02-27), far from any sweep date
    used here."""
    with on(RECEIVED):
        case = make_case(actor=handler, received_on=RECEIVED, infringement_known_on=D(2026, 2, 27),
                         employment_ended_on=D(2026, 2, 27), **kw)
    assert case.screening_due_on == D(2026, 3, 5)
    return case


def _screening_case(handler, **kw):
    """A case of `_received_case`, its screening started the day it came in."""
    case = _received_case(handler, **kw)
    with on(RECEIVED):
        return advance(case, "start_screening", actor=handler)


def _limitation_case(handler, state_steps=("start_screening", "accept")):
    """An accepted case whose one-year limitation ends about five months from the real today."""
    known_on = timezone.localdate() - datetime.timedelta(days=200)
    case = make_case(actor=handler, categories=("unlawful_termination",), infringement_known_on=known_on,
                     employment_ended_on=known_on,
                     claims=[{"category": "unlawful_termination", "description": "违法解除赔偿金"}])
    advance(case, *state_steps, actor=make_user(Role.SUPERVISOR))
    case.refresh_from_db()
    assert case.limitation_ends_on is not None
    return case


# --------------------------------------------------------------------------------------------------
# Overdue screening
# --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_screening_notifies_the_handler_once():
    officer = make_user(Role.INTAKE_OFFICER)
    case = _screening_case(officer)

    assert sweep(today=D(2026, 3, 5))["screening_overdue"] == 0  # due today: not late
    assert not Notification.objects.exists() and mail.outbox == []

    result = sweep(today=D(2026, 3, 6))
    assert result["screening_overdue"] == 1 and result["overdue_cases"] == 1
    note = Notification.objects.get()
    assert note.recipient == officer and note.subject == case
    assert note.key == f"case:{case.pk}:screening_overdue:2026-03-05"
    assert case.number in note.message and "2026-03-05" in note.message
    assert note.emailed
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [officer.email]
    assert mail.outbox[0].subject.startswith("【维权】")
    assert case.number in mail.outbox[0].body

    again = sweep(today=D(2026, 3, 6))
    later = sweep(today=D(2026, 3, 9))
    assert again["screening_overdue"] == 0 and later["screening_overdue"] == 0
    assert later["overdue_cases"] == 1  # still overdue, but already told
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_received_but_unscreened_case_is_overdue_too_and_accepted_is_not():
    officer = make_user(Role.INTAKE_OFFICER)
    received = _received_case(officer)
    accepted = _screening_case(officer)
    with on(D(2026, 3, 4)):  # accepted in time, its limitation far ahead
        advance(accepted, "accept", actor=officer)
    sweep(today=D(2026, 3, 10))
    assert list(_notes(SCREENING).values_list("object_id", flat=True)) == [str(received.pk)]


@pytest.mark.django_db
def test_a_case_without_handler_notifies_active_supervisors():
    officer = make_user(Role.INTAKE_OFFICER)
    case = _screening_case(officer)
    Case.objects.filter(pk=case.pk).update(handler=None)
    make_user(Role.SUPERVISOR)
    gone = make_user(Role.SUPERVISOR, is_active=False)  # has left: not told
    bystander = make_user(Role.INTAKE_OFFICER)  # not a supervisor: not told
    bosses = set(get_user_model().objects.filter(groups__name=Role.SUPERVISOR, is_active=True))
    assert len(bosses) >= 2  # the one the scenario helpers use plus ours

    assert sweep(today=D(2026, 3, 6))["screening_overdue"] == len(bosses)
    told = set(_notes(SCREENING).values_list("recipient", flat=True))
    assert told == {b.pk for b in bosses}
    assert gone.pk not in told and bystander.pk not in told and officer.pk not in told
    assert sorted(m.to[0] for m in mail.outbox) == sorted(b.email for b in bosses)
    assert sweep(today=D(2026, 3, 6))["screening_overdue"] == 0


@pytest.mark.django_db
def test_a_handler_who_has_left_is_replaced_by_the_supervisors():
    officer = make_user(Role.INTAKE_OFFICER)
    case = _screening_case(officer)
    officer.is_active = False
    officer.save()
    sweep(today=D(2026, 3, 6))
    told = set(_notes(SCREENING, case).values_list("recipient", flat=True))
    assert told == set(get_user_model().objects.filter(groups__name=Role.SUPERVISOR).values_list("pk", flat=True))
    assert told and officer.pk not in told


@pytest.mark.django_db
def test_notification_without_email_or_with_mail_down(settings):
    quiet = make_user(Role.INTAKE_OFFICER, email="")
    _screening_case(quiet)
    sweep(today=D(2026, 3, 6))
    note = Notification.objects.get(recipient=quiet)
    assert not note.emailed and mail.outbox == []

    settings.EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"
    officer = make_user(Role.INTAKE_OFFICER)
    _screening_case(officer)
    sweep(today=D(2026, 3, 6))
    note = Notification.objects.get(recipient=officer)
    assert not note.emailed  # the in-app message stands; nobody is told it was e-mailed


# --------------------------------------------------------------------------------------------------
# Limitation about to run out
# --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_limitation_within_30_days_is_warned_once():
    officer = make_user(Role.INTAKE_OFFICER)
    case = _limitation_case(officer)
    ends = case.limitation_ends_on

    assert sweep(today=ends - datetime.timedelta(days=31))["limitation_ending"] == 0
    assert not _notes(LIMITATION).exists()

    result = sweep(today=ends - datetime.timedelta(days=30))
    assert result["limitation_ending"] == 1 and result["expiring_cases"] == 1
    note = _notes(LIMITATION).get()
    assert note.recipient == officer
    assert note.key == f"case:{case.pk}:limitation:{ends.isoformat()}"
    assert f"{ends:%Y-%m-%d}" in note.message
    assert len(mail.outbox) == 1

    for days_before in (10, 0):
        assert sweep(today=ends - datetime.timedelta(days=days_before))["limitation_ending"] == 0
    assert _notes(LIMITATION).count() == 1 and len(mail.outbox) == 1
    # Once the last day has passed it is no longer "about to run out".
    assert sweep(today=ends + datetime.timedelta(days=1))["expiring_cases"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "steps",
    [
        ("start_screening", "accept", "refer_to_arbitration"),
        ("start_screening", "accept", "provide_consultation", ("resolve", {"outcome": "settled", "amount_recovered": "0"})),
        ("start_screening", ("reject", {"reason": "不属于受理范围"})),
    ],
    ids=["in_arbitration", "resolved", "rejected"],
)
def test_no_limitation_warning_once_filed_or_finished(steps):
    officer = make_user(Role.INTAKE_OFFICER)
    case = _limitation_case(officer, state_steps=steps)
    sweep(today=case.limitation_ends_on - datetime.timedelta(days=5))
    assert not _notes(LIMITATION).exists()


@pytest.mark.django_db
def test_unpaid_pay_while_still_employed_never_warns():
    officer = make_user(Role.INTAKE_OFFICER)
    from tests.scenarios import make_organisation, make_worker

    with on(D(2024, 5, 6)):  # registered before every sweep below
        case = services.create_case(
            actor=officer, title="拖欠工资", channel=Case.Channel.HOTLINE, claimants=[make_worker()],
            respondents=[make_organisation()], categories=["unpaid_pay"], infringement_known_on=D(2024, 5, 1),
        )
    assert Case.objects.get(pk=case.pk).limitation_ends_on is None
    for year in (2025, 2026, 2027):
        sweep(today=D(year, 5, 1))
    assert not _notes(LIMITATION).exists()


@pytest.mark.django_db
def test_sweep_uses_holidays_published_after_the_case_was_registered():
    """Registered before 2027's holidays existed: the stored date was weekends-only (provisional).
    Once staff publish Spring Festival 2027 the warning must carry the real last day."""
    CalendarDay.objects.filter(date__year=2027).delete()
    officer = make_user(Role.INTAKE_OFFICER)
    with on(D(2026, 3, 2)):  # registered in 2026, long before 2027's holidays are published
        case = make_case(actor=officer, categories=("unlawful_termination",), infringement_known_on=D(2026, 2, 10),
                         employment_ended_on=D(2026, 2, 10),
                         claims=[{"category": "unlawful_termination", "description": "违法解除赔偿金"}])
    case.refresh_from_db()
    assert case.limitation_ends_on == D(2027, 2, 10)  # a Wednesday, by weekends alone

    CalendarDay.objects.bulk_create([CalendarDay(date=D(2027, 2, 6) + datetime.timedelta(days=i), name="春节")
                                     for i in range(9)])  # 2027-02-06..14, as staff would enter them
    # bulk_create sends no signal (like an edit in another process); the task clears the cache first.
    legal_calendar.clear_cache()
    result = sweep(today=D(2027, 2, 1))
    assert result["limitation_dates_refreshed"] == 1
    case.refresh_from_db()
    assert case.limitation_ends_on == D(2027, 2, 15)
    note = _notes(LIMITATION, case).get()
    assert "2027-02-15" in note.message and "2027-02-10" not in note.message


# --------------------------------------------------------------------------------------------------
# The Celery task and beat
# --------------------------------------------------------------------------------------------------


def test_beat_schedule_names_registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()  # what a worker or beat does at start: autodiscovery
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["casework-deadline-sweep"]["task"] == "casework.tasks.sweep_case_deadlines"
    for entry in schedule.values():
        assert entry["task"] in app.tasks, entry["task"]
    assert app.tasks["casework.tasks.sweep_case_deadlines"].name == tasks.sweep_case_deadlines.name


@pytest.mark.django_db
def test_task_runs_the_sweep_in_process(settings):
    # .apply() executes locally whatever the broker setting: no message leaves this process.
    officer = make_user(Role.INTAKE_OFFICER)
    today = timezone.localdate()
    case = make_case(actor=officer, received_on=today - datetime.timedelta(days=20))
    result = tasks.sweep_case_deadlines.apply().get()
    assert result["screening_overdue"] == 1
    assert _notes(SCREENING, case).get().recipient == officer


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_runs_the_sweep_from_redis():
    if not django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        pytest.skip("needs the Redis broker: set CELERY_BROKER_URL=redis://… (CI does)")
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert not app.conf.task_always_eager  # a real round trip, not an eager call
    officer = make_user(Role.INTAKE_OFFICER)
    today = timezone.localdate()
    late = make_case(actor=officer, received_on=today - datetime.timedelta(days=20))
    orphan = make_case(actor=officer, received_on=today - datetime.timedelta(days=20))
    Case.objects.filter(pk=orphan.pk).update(handler=None)
    boss = get_user_model().objects.get(groups__name=Role.SUPERVISOR)  # the one the helpers made

    app.control.purge()  # nothing left over from an earlier, interrupted run
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        result = tasks.sweep_case_deadlines.delay().get(timeout=30)

    assert result["screening_overdue"] == 2
    assert _notes(SCREENING, late).get().recipient == officer
    assert _notes(SCREENING, orphan).get().recipient == boss
    assert {m.to[0] for m in mail.outbox} == {officer.email, boss.email}


@pytest.mark.django_db
def test_notify_inside_a_rolled_back_transaction_sends_no_mail():
    officer = make_user(Role.INTAKE_OFFICER)
    with TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notices.notify(recipient=officer, subject=None, key="k", message="案件提醒")
            raise RuntimeError("the caller fails after notifying")
    assert mail.outbox == [] and not Notification.objects.exists()
