"""`manage.py demo` runs clean on an empty database and leaves every case where the demo says."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from casework import demo_data
from casework.demo import CaseworkDemo
from casework.demo_data import Titles
from casework.models import Case, CaseState
from core import demo_data as shared_data
from core import identifiers, journal
from core.models import Event, Notification, Organisation, Worker
from core.roles import Role
from core.transitions import transition_names

pytestmark = pytest.mark.django_db


def run_demo(output) -> str:
    out = StringIO()
    call_command("demo", output=str(output), stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(tmp_path):
    output = tmp_path / "demo-output"
    return output, run_demo(output)


def test_demo_runs_clean_and_leaves_everything_as_promised(demo):
    """One run of the demo (it renders every PDF, so a run costs seconds), every promise checked."""
    check_every_case_ends_in_its_expected_state(demo)
    check_group_case_of_eleven_drivers_recovers_660000(demo)
    check_guards_were_exercised(demo)
    check_every_transition_of_the_case_machine_is_walked(demo)
    check_people_and_organisations_are_valid_and_every_role_has_a_user(demo)
    check_journal_verifies_and_output_folder_is_created(demo)


def check_every_case_ends_in_its_expected_state(demo):
    for title, (state, amount) in demo_data.EXPECTED.items():
        case = Case.objects.get(title=title)
        assert case.state == state, f"{case.number} {title}"
        if amount is not None:
            assert case.amount_recovered == Decimal(amount), title


def check_group_case_of_eleven_drivers_recovers_660000(demo):
    case = Case.objects.get(title=Titles.GROUP)
    assert case.is_group is True
    assert case.claimant_count() == 11
    assert case.case_claimants.filter(is_representative=True).count() == 3
    assert set(case.claimants.values_list("occupation", flat=True)) == {Worker.Occupation.RIDE_HAILING_DRIVER}
    assert case.claim_total == Decimal("660000.00")
    assert case.amount_recovered == Decimal("660000.00")
    assert case.outcome == Case.Outcome.MEDIATED
    assert set(case.respondents.values_list("kind", flat=True)) == {Organisation.Kind.PLATFORM, Organisation.Kind.AGENT}
    assert case.evidence.count() == 1


def check_guards_were_exercised(demo):
    _output, printed = demo
    # The conflicted lawyer was refused; the case went to the other lawyer.
    legal_aid = Case.objects.get(title=Titles.LEGAL_AID)
    assert legal_aid.legal_aid_by.username == "chen.jianguo"
    assert "利益冲突" in printed
    # The expired limitation was refused to the intake officer and accepted by a supervisor's override.
    overridden = Case.objects.get(title=Titles.LIMITATION_OVERRIDE)
    assert overridden.limitation_overridden and overridden.limitation_override_reason
    accepted_by = journal.events_for(overridden).get(transition="accept").actor
    assert accepted_by.groups.filter(name=Role.SUPERVISOR).exists()
    # The reopened case went through a rejection and a supervisor's reopening.
    reopened = [e.transition for e in journal.events_for(Case.objects.get(title=Titles.REOPENED))]
    assert reopened == ["create", "start_screening", "reject", "reopen"]
    # The deadline sweep warned the handler about the fresh case.
    fresh = Case.objects.get(title=Titles.FRESH)
    keys = set(Notification.objects.filter(object_id=str(fresh.pk)).values_list("key", flat=True))
    assert any("screening_overdue" in k for k in keys) and any("limitation" in k for k in keys)


def check_every_transition_of_the_case_machine_is_walked(demo):
    walked = set(Event.objects.values_list("transition", flat=True))
    assert set(transition_names(Case)) <= walked


def check_people_and_organisations_are_valid_and_every_role_has_a_user(demo):
    User = get_user_model()
    for role in Role.ALL:
        assert User.objects.filter(groups__name=role).exists(), role
    for org in Organisation.objects.exclude(credit_code=None):
        assert identifiers.credit_code_checksum_ok(org.credit_code), org.name
    for worker in Worker.objects.all():
        assert identifiers.validate_resident_id(worker.id_number).startswith("3502")
    assert User.objects.get(username="lin.haitao").profile.acts_for.filter(kind=Organisation.Kind.AGENT).exists()
    assert User.objects.get(username="zhou.min").check_password(shared_data.PASSWORD)


def check_journal_verifies_and_output_folder_is_created(demo):
    output, printed = demo
    checked, broken = journal.verify()
    assert broken is None and checked > 0
    assert output.is_dir()
    assert "Journal" in printed and "/admin/" in printed and "/api/v1/docs/" in printed
    assert shared_data.PASSWORD in printed
    # Every account is listed to sign in with, the parts' own too (mediation's second mediator).
    start = printed.index("Sign in")
    sign_in = printed[start:printed.index("Documents", start)]
    for username in [*shared_data.STAFF, "fang.lei", shared_data.SUPERUSER]:
        assert f"\n  {username} " in sign_in, username


def test_a_second_run_refuses_and_changes_nothing(demo, tmp_path):
    cases, events = Case.objects.count(), Event.objects.count()
    with pytest.raises(CommandError, match="already holds demo data"):
        run_demo(tmp_path / "again")
    assert (Case.objects.count(), Event.objects.count()) == (cases, events)


def test_a_case_outside_its_expected_state_fails_the_run_and_saves_nothing(tmp_path, monkeypatch):
    expected = dict(demo_data.EXPECTED)
    expected[Titles.FRESH] = (CaseState.CLOSED, None)  # it really stays in `received`
    monkeypatch.setattr(demo_data, "EXPECTED", expected)
    with pytest.raises(CommandError, match="nothing was saved"):
        run_demo(tmp_path / "out")
    assert not Case.objects.exists() and not Event.objects.exists()
    assert not get_user_model().objects.filter(username="zhou.min").exists()


def test_a_missing_hand_over_fails_the_run_and_saves_nothing(tmp_path, monkeypatch):
    """Mediation's part opens the mediations of the cases casework hands over; if casework's walk
    hands none over, the run stops with the key's name and nothing stays behind."""
    monkeypatch.setattr(CaseworkDemo, "walk", lambda self: None)
    with pytest.raises(CommandError, match="casework.referred.*nothing was saved"):
        run_demo(tmp_path / "out")
    assert not Case.objects.exists() and not Event.objects.exists()
    assert not get_user_model().objects.filter(username="zhou.min").exists()
