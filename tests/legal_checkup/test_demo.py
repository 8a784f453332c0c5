"""`manage.py demo`'s check-up part: both audits end where the issue says, with every document."""

from io import StringIO

import pytest
from django.core.management import call_command

from core import journal
from core.models import Event
from core.transitions import transition_names
from legal_checkup.models import Checkup, Letter

pytestmark = pytest.mark.django_db


def test_demo_walks_both_checkups_and_writes_every_document(tmp_path):
    output = tmp_path / "demo-output"
    out = StringIO()
    call_command("demo", output=str(output), stdout=out)
    printed = out.getvalue()

    ride = Checkup.objects.get(company__name="云帆出行科技有限公司")
    food = Checkup.objects.get(company__name="速达同城网络科技有限公司")
    assert (ride.state, ride.grade, ride.grade_capped) == ("closed", "B", False)
    assert set(ride.findings.values_list("severity", flat=True)) <= {"M", "L"}
    assert all(f.status == "rectified" for f in ride.findings.all())
    assert any(i.source.startswith("bargaining.negotiation:") for i in ride.checklist_version.items.all())
    assert (food.state, food.grade, food.grade_capped) == ("closed", "C", True)
    assert list(Letter.objects.filter(finding__checkup=food).values_list("kind", flat=True)) == ["reminder", "opinion"]
    assert Checkup.objects.filter(state="cancelled").exists() and "受聘于受检企业" in printed
    walked = set(Event.objects.filter(content_type__app_label="legal_checkup").values_list("transition", flat=True))
    assert set(transition_names(Checkup)) <= walked
    assert journal.verify()[1] is None

    pdfs = [p.name for p in output.glob("TJC-*.pdf")]
    for title in ("法治体检通知书", "法治体检报告", "整改通知书", "法治体检复查报告", "提示函", "工会劳动法律监督意见书"):
        assert any(title in name for name in pdfs), title
