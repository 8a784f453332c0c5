"""`manage.py demo`'s bargaining part: every path the issue asks for, and its PDFs."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from bargaining.models import Negotiation
from core import journal
from core.models import Event
from core.transitions import transition_names

pytestmark = pytest.mark.django_db


def test_demo_walks_every_bargaining_path_and_writes_its_pdfs(tmp_path):
    output = tmp_path / "demo-output"
    out = StringIO()
    call_command("demo", output=str(output), stdout=out)
    printed = out.getvalue()

    assert sorted(Negotiation.objects.values_list("state", flat=True)) == sorted(
        ["effective", "refused", "expired", "effective", "preparing"])
    food = Negotiation.objects.get(title__startswith="外卖骑手")
    assert food.effect_basis == "lapse" and food.effective_on == food.objection_window_ends + datetime.timedelta(days=1)
    assert [v.passed for v in food.votes.order_by("id")] == [False, True, True]
    assert food.votes.filter(method="ballots").get().ballots.count() == 36
    assert food.order_statistics.count() == 144 and food.rounds.count() == 5 and food.versions.count() == 4
    walked = set(Event.objects.filter(content_type__app_label="bargaining").values_list("transition", flat=True))
    assert set(transition_names(Negotiation)) <= walked
    assert {"suspend", "resume", "object", "start_renewal", "renewal_due"} <= walked
    renewal = Negotiation.objects.get(state="preparing")
    assert renewal.renewal_of.state == "expired" and renewal.topics.count() == len(renewal.renewal_of.current_version().clauses)
    assert "拒绝协商须书面说明理由" in printed and "the platform pays" in printed
    assert journal.verify()[1] is None

    pdfs = [p.name for p in output.glob("XS-*.pdf")]
    for title in ("集体协商要约书", "集体协商回应书", "协商会议纪要", "议题对照表", "集体合同（草案）", "集体合同草案表决结果",
                  "集体合同报送审查材料"):
        assert any(title in name for name in pdfs), title
    assert any(name.endswith(" 集体合同.pdf") for name in pdfs)
