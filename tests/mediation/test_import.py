"""Referral intake in bulk: CSV and JSON, UTF-8 and GBK, duplicates, bad rows, progress, the command."""

import datetime
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from core import journal
from core.models import Event, Organisation, Worker
from core.roles import Role
from mediation import importers
from mediation.models import Mediation, MediationClaim
from tests.harness import on
from tests.mediation.helpers import make_court
from tests.scenarios import make_user, make_worker, supervisor, valid_credit_code, valid_resident_id

pytestmark = pytest.mark.django_db

HEADER = "court,court_case_number,source,procedure,referred_on,claimant_names,claimant_id_numbers,claimant_phones,respondents,respondent_credit_codes,claims,claim_amounts"


def row(court, number, *, names="陈志强", ids=None, phones="13859201234", respondent="云帆出行（导入测试）有限公司",
        codes="", claims="恢复账号;赔偿收入损失", amounts="0;72000", source="诉前", procedure="普通程序", date="2026-11-02"):
    ids = ids if ids is not None else valid_resident_id(hash(number) % 900 + 50)
    return f"{court},{number},{source},{procedure},{date},{names},{ids},{phones},{respondent},{codes},{claims},{amounts}"


@pytest.fixture(autouse=True)
def _in_november_2026():
    """The lists here are the court's of early November 2026 (referred 2026-11-02, numbers
    "（2026）…", "TJ-2026-…"): they are imported later that month, whatever the real date."""
    with on(datetime.date(2026, 11, 20)):
        yield


@pytest.fixture
def court():
    return make_court(name="厦门市思明区人民法院（导入）")


def run(text, *, encoding="utf-8", filename="list.csv", actor=None, **kw):
    return importers.import_referrals(actor=actor or supervisor(), data=text.encode(encoding), filename=filename, **kw)


def by_row(report):
    return {r.row: r for r in report.rows}


def test_good_rows_are_created_bad_rows_refused_with_reasons(court):
    text = "\n".join([
        HEADER,
        row(court.name, "（2026）闽0203民诉前调101号", ids=valid_resident_id(101)),
        row("厦门市不存在区人民法院", "（2026）闽0203民诉前调102号", ids=valid_resident_id(102)),
        row(court.name, "（2026）闽0203民诉前调103号", ids="350203199001011230"),  # bad check digit
        row(court.name, "（2026）闽0203民诉前调104号", ids=valid_resident_id(104), amounts="0;-500"),
        row(court.name, "（2026）闽0203民诉前调105号", names="林文斌;黄建明",
            ids=f"{valid_resident_id(105)};{valid_resident_id(106)}", phones=""),
    ]) + "\n"
    workers_before, orgs_before = Worker.objects.count(), Organisation.objects.count()

    report = run(text, court=court)

    rows = by_row(report)
    assert (report.total, report.created, report.duplicates, report.refused) == (5, 2, 0, 3)
    assert (report.format, report.encoding) == ("csv", "utf-8")
    assert rows[2].status == "created" and rows[2].mediation.startswith("TJ-2026-")
    assert rows[3].status == "refused" and "未知的法院" in rows[3].reasons[0]
    assert rows[4].status == "refused" and "身份证号码" in rows[4].reasons[0] and "校验码" in rows[4].reasons[0]
    assert rows[5].status == "refused" and "不能为负数" in rows[5].reasons[0]
    assert rows[6].status == "created"
    # Nothing of the refused rows was written: three new workers, one new respondent company.
    assert Worker.objects.count() == workers_before + 3
    assert Organisation.objects.count() == orgs_before + 1
    assert Mediation.objects.count() == 2
    m = Mediation.objects.get(court_case_number="（2026）闽0203民诉前调105号")
    assert (m.state, m.source, m.procedure, m.court) == ("referred", "court_pre_suit", "ordinary", court)
    assert sorted(m.claimants.values_list("name", flat=True)) == sorted(["林文斌", "黄建明"])
    assert list(m.claims.values_list("description", "amount")) == [("恢复账号", 0), ("赔偿收入损失", 72000)]
    assert [e.transition for e in journal.events_for(m)] == ["create"]
    assert journal.verify()[1] is None


def test_importing_the_same_list_again_creates_nothing(court):
    text = "\n".join([HEADER] + [row(court.name, f"（2026）闽0203民诉前调{n}号", ids=valid_resident_id(n)) for n in range(200, 206)])
    first = run(text, court=court)
    counts = (Mediation.objects.count(), Worker.objects.count(), MediationClaim.objects.count(), Event.objects.count())
    second = run(text, court=court)
    assert (first.created, second.created, second.duplicates) == (6, 0, 6)
    assert all(first_row.mediation == dup.mediation for first_row, dup in zip(first.rows, second.rows))
    assert (Mediation.objects.count(), Worker.objects.count(), MediationClaim.objects.count(), Event.objects.count()) == counts


def test_a_repeated_case_number_within_the_file_is_a_duplicate(court):
    text = "\n".join([HEADER, row(court.name, "（2026）闽0203民诉前调300号"), row(court.name, "（2026）闽0203民诉前调300号")])
    report = run(text, court=court)
    assert [r.status for r in report.rows] == ["created", "duplicate"]
    assert "第 2 行" in report.rows[1].reasons[0]


def test_gbk_file_with_chinese_headers_is_detected(court):
    text = (
        "法院,案号,调解类型,适用程序,委派日期,申请人,身份证号码,联系电话,被申请人,统一社会信用代码,请求事项,金额\n"
        + row(court.name, "（2026）闽0203民初401号", source="委托", procedure="简易程序", ids=valid_resident_id(401),
              codes=valid_credit_code(401)) + "\n"
    )
    report = run(text, encoding="gbk", filename="思明法院名单.csv")
    assert (report.encoding, report.created) == ("gbk", 1), [r.reasons for r in report.rows]
    m = Mediation.objects.get()
    assert (m.source, m.procedure) == ("court_in_suit", "simple")
    assert m.respondents.get().credit_code == valid_credit_code(401)
    assert m.claimants.get().name == "陈志强"


def test_utf8_with_bom_and_blank_lines(court):
    text = "\ufeff" + HEADER + "\n\n" + row(court.name, "（2026）闽0203民诉前调501号") + "\n\n"
    report = run(text, court=court)
    assert (report.total, report.created) == (1, 1)


def test_json_list_with_nested_parties(court):
    worker = make_worker(name="已登记骑手", id_number=valid_resident_id(601))
    data = {"referrals": [
        {"court": court.name, "court_case_number": "（2026）闽0203民诉前调601号", "source": "court_pre_suit",
         "referred_on": "2026年11月3日",
         "claimants": [{"name": "已登记骑手", "id_number": valid_resident_id(601)},
                       {"name": "新骑手", "id_number": valid_resident_id(602), "phone": "13600000602", "occupation": "rider"}],
         "respondents": [{"name": "速达同城（导入测试）有限公司", "kind": "platform"}],
         "claims": [{"description": "支付拖欠配送费", "amount": "8800.50", "category": "unpaid_pay"}]},
        {"court": court.name, "court_case_number": "", "claimants": [], "respondents": [], "claims": []},
        "not an object",
    ]}
    report = run(json.dumps(data, ensure_ascii=False), filename="list.json")
    assert report.format == "json" and [r.status for r in report.rows] == ["created", "refused", "refused"]
    assert {"法院案号", "申请人", "被申请单位", "请求事项"} <= {reason.split("：")[0] for reason in report.rows[1].reasons}
    m = Mediation.objects.get()
    assert worker in m.claimants.all() and m.claimants.count() == 2
    assert Worker.objects.filter(id_number_digest=worker.id_number_digest).count() == 1
    assert m.referred_on.isoformat() == "2026-11-03"
    assert m.claims.get().category.code == "unpaid_pay"


def test_the_same_new_worker_in_two_rows_is_registered_once(court):
    same = valid_resident_id(700)
    text = "\n".join([HEADER, row(court.name, "（2026）甲701号", ids=same), row(court.name, "（2026）甲702号", ids=same)])
    report = run(text, court=court)
    assert report.created == 2
    assert Worker.objects.filter(name="陈志强").count() == 1


def test_respondent_credit_code_checks(court):
    org = Organisation.objects.create(name="已登记平台（导入测试）", kind="platform", credit_code=valid_credit_code(801))
    bad_checksum = valid_credit_code(802)[:17] + ("0" if valid_credit_code(802)[17] != "0" else "1")
    text = "\n".join([
        HEADER,
        row(court.name, "（2026）乙1号", respondent=org.name, codes=valid_credit_code(803)),  # name known, other code
        row(court.name, "（2026）乙2号", respondent="新平台（导入测试）", codes=bad_checksum),
        row(court.name, "（2026）乙3号", respondent="新平台（导入测试）", codes="123"),
        row(court.name, "（2026）乙4号", respondent=org.name, codes=valid_credit_code(801)),
    ])
    rows = by_row(run(text, court=court))
    assert rows[2].status == "refused" and "不一致" in rows[2].reasons[0]
    assert rows[3].status == "refused" and "校验码" in rows[3].reasons[0]
    assert rows[4].status == "refused" and "18位" in rows[4].reasons[0]
    assert rows[5].status == "created"
    assert Mediation.objects.get().respondents.get() == org


def test_progress_is_reported_after_each_batch(court):
    text = "\n".join([HEADER] + [row(court.name, f"（2026）丙{n}号", ids=valid_resident_id(n)) for n in range(900, 925)])
    seen = []
    report = run(text, court=court, batch_size=10, progress=lambda done, total, r: seen.append((done, total)))
    assert seen == [(0, 25), (10, 25), (20, 25), (25, 25)]
    assert report.created == 25


def test_a_batch_that_meets_a_concurrent_import_is_written_row_by_row(court, monkeypatch):
    text = "\n".join([HEADER] + [row(court.name, f"（2026）丁{n}号", ids=valid_resident_id(n)) for n in range(950, 954)])
    run("\n".join([HEADER, row(court.name, "（2026）丁952号", ids=valid_resident_id(952))]), court=court)
    # As if another import registered row 4 between this import's duplicate check and its write.
    monkeypatch.setattr(importers.Lookups, "existing_referral", lambda self, court, number: None)
    report = run(text, court=court)
    assert [r.status for r in report.rows] == ["created", "created", "duplicate", "created"]
    assert Mediation.objects.count() == 4
    assert journal.verify()[1] is None


def test_court_liaison_imports_only_their_own_courts_rows(court):
    other = make_court(name="厦门市湖里区人民法院（导入）")
    liaison = make_user(Role.COURT_LIAISON, organisation=court)
    text = "\n".join([HEADER, row(court.name, "（2026）戊1号"), row(other.name, "（2026）戊2号")])
    report = run(text, actor=liaison)
    assert [r.status for r in report.rows] == ["created", "refused"]
    assert "本院" in report.rows[1].reasons[0]


def test_unreadable_files_are_refused_whole():
    with pytest.raises(ValidationError):
        run("{oops", filename="x.json")
    with pytest.raises(ValidationError):
        importers.import_referrals(actor=supervisor(), data=b"\xff\xfe\x00\x81garbage\x80", filename="x.csv")
    with pytest.raises(ValidationError):
        run("foo,bar\n1,2\n", filename="x.csv")


# --- the command ------------------------------------------------------------------------------------


def test_command_prints_progress_and_the_report(court, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes(("\n".join([HEADER, row(court.name, "（2026）己1号"), row("无此法院", "（2026）己2号")]) + "\n").encode("gbk"))
    supervisor()
    out = StringIO()
    call_command("import_referrals", str(path), "--court", court.name, stdout=out)
    printed = out.getvalue()
    assert "2/2 rows (100%)" in printed and "rows/s" in printed
    assert "CSV, gbk, 2 rows" in printed and "created 1, duplicates 0, refused 1" in printed
    assert "未知的法院" in printed
    out = StringIO()
    call_command("import_referrals", str(path), "--court", court.name, stdout=out)
    assert "created 0, duplicates 1, refused 1" in out.getvalue()


def test_command_refuses_an_unknown_court_or_file(tmp_path):
    supervisor()
    with pytest.raises(CommandError):
        call_command("import_referrals", str(tmp_path / "missing.csv"))
    path = tmp_path / "x.csv"
    path.write_text(HEADER + "\n")
    with pytest.raises(CommandError, match="Unknown court"):
        call_command("import_referrals", str(path), "--court", "无此法院")


def test_background_import_task_reads_the_stored_upload_and_deletes_it(court):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from mediation import tasks

    name = default_storage.save("imports/list.csv", ContentFile("\n".join([HEADER, row(court.name, "（2026）庚1号")]).encode("gbk")))
    result = tasks.import_referrals_file.apply(
        args=[name], kwargs={"filename": "list.csv", "actor_id": supervisor().pk, "court_id": court.pk},
    ).get()
    assert (result["created"], result["encoding"]) == (1, "gbk")
    assert not default_storage.exists(name)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_of_the_same_list_at_once_create_each_referral_once():
    import threading

    from django.db import connection

    court = make_court(name="厦门市思明区人民法院（并发导入）")
    text = "\n".join([HEADER] + [row(court.name, f"（2026）并{n}号", ids=valid_resident_id(n)) for n in range(100, 160)])
    actor = supervisor()
    barrier = threading.Barrier(2, timeout=20)
    reports = [None, None]

    def run(i):
        try:
            barrier.wait()
            reports[i] = importers.import_referrals(actor=actor, data=text.encode(), filename="list.csv",
                                                    court=court, batch_size=20)
        except Exception as exc:  # noqa: BLE001
            reports[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert all(isinstance(r, importers.ImportReport) for r in reports), reports
    assert sum(r.created for r in reports) == 60 and sum(r.duplicates for r in reports) == 60
    assert all(r.refused == 0 for r in reports)
    assert Mediation.objects.filter(court=court).count() == 60
    assert Worker.objects.filter(name="陈志强").count() == 60
    assert journal.verify()[1] is None
