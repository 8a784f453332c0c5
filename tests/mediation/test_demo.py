"""`manage.py demo`'s mediation part: every mediation ends where the demo says, with its PDFs."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from casework.demo_data import Titles
from casework.models import Case
from core import journal
from core.models import Event
from core.transitions import transition_names
from mediation.models import Mediation

pytestmark = pytest.mark.django_db


def test_demo_walks_every_mediation_path_and_writes_every_pdf(tmp_path):
    output = tmp_path / "demo-output"
    out = StringIO()
    call_command("demo", output=str(output), stdout=out)
    printed = out.getvalue()

    states = sorted(Mediation.objects.values_list("state", flat=True))
    assert states == sorted(["fulfilled", "failed", "failed", "defaulted", "declined", "withdrawn", "in_progress"])
    group = Mediation.objects.get(state="fulfilled")
    assert (group.source, group.claimants.count(), group.sessions.count()) == ("court_pre_suit", 11, 2)
    assert group.agreement.total == Decimal("660000") and group.agreement.instalments.count() == 3
    assert group.agreement.amount_paid == Decimal("660000") and group.ruling_number
    assert group.case.title == Titles.GROUP and group.case.state == "closed"
    assert group.case.amount_recovered == Decimal("660000") and group.case.outcome == "mediated"
    union = Mediation.objects.get(source="union")
    assert union.state == "failed" and union.case.state == "in_arbitration"
    expired = Mediation.objects.get(expired=True)
    assert expired.returned_to_court_on and expired.extensions.count() == 1 and expired.source == "court_in_suit"
    late = Mediation.objects.get(state="defaulted")
    assert late.next_step == "payment_order" and late.confirmation_requested_on is None
    assert "申请司法确认已逾期" in printed and "利益冲突" in printed and "关联单位" in printed
    assert "created 5, duplicates 1, refused 3" in printed
    assert {"未知的法院", "校验码不正确", "金额不能为负数"} <= {w for w in ("未知的法院", "校验码不正确", "金额不能为负数") if w in printed}

    walked = set(Event.objects.filter(content_type__app_label="mediation").values_list("transition", flat=True))
    assert set(transition_names(Mediation)) <= walked
    assert journal.verify()[1] is None
    assert "every case, mediation, negotiation and checkup is in its expected state" in printed
    # The parts take turns: the union mediation fails before casework sends its case to
    # arbitration; the fulfilled mediation resolves its case before casework closes it.
    assert printed.index("调解终结：可申请仲裁") < printed.index("调解不成，申请")
    closed = printed.index(f"{group.case.number}  close ")
    assert printed.index("调解成功（") < printed.index("Cases after mediation") < closed

    pdfs = [p.name for p in output.glob("TJ-*.pdf")]
    for m in Mediation.objects.all():
        assert any(name.startswith(m.number + "-") for name in pdfs), m.number
    for title in ("调解受理通知书", "调解笔录", "调解协议书", "调解终结书", "司法确认申请书", "调解情况摘要"):
        assert any(title in name for name in pdfs), title
    assert Case.objects.filter(title=Titles.ARBITRATION, state="in_arbitration").exists()
