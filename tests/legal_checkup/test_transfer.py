"""Checklist import and export: JSON, CSV (UTF-8 with or without a BOM, GBK) and XLSX, Chinese and
English headers, every bad row reported with its line and field, all or nothing, a new unpublished
version that touches no published version and no checkup pinned to one."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from legal_checkup import services
from legal_checkup.models import ChecklistItem, ChecklistVersion
from legal_checkup.services.checklists import ITEM_FIELDS
from tests.legal_checkup.helpers import auditor, checkup_in_state, seeded_version
from tests.scenarios import supervisor

pytestmark = pytest.mark.django_db

ZH = "编号,检查事项,法律依据,风险等级,检查指引,询问要点,查阅材料,适用企业类型,适用用工关系,适用评估,来源,排序"
EN = "code,title,legal_basis,severity,guidance,questions,evidence,company_kinds,relationship_types,profiles,source,order"
GOOD = [
    "A1,订立书面劳动合同,劳动合同法第十条,H,抽查劳动合同,何时订立？,劳动合同,platform;agent,employment,basic;in_depth,,1",
    'A2,公示劳动规则,新就业形态劳动者劳动规则公示指引,中,"查看公示页面\n与推送记录",,,平台企业,"不完全符合确立劳动关系情形",深度评估,,2',
    "A3,出具离职证明,劳动合同法第五十条,l,,,,,,,手工录入,",
]


def items_of(version):
    return [{f: getattr(i, f) for f in ITEM_FIELDS} for i in version.items.order_by("order", "id")]


def run(text, *, actor=None, encoding="utf-8", filename="清单.csv", checklist=None, **kw):
    data = text.encode(encoding) if isinstance(text, str) else text
    return services.import_checklist(checklist=checklist or seeded_version().checklist, actor=actor or supervisor(),
                                     data=data, filename=filename, **kw)


def csv_text(header, rows):
    return "\n".join([header, *rows]) + "\n"


def versions():
    return ChecklistVersion.objects.count(), ChecklistItem.objects.count()


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_round_trip_of_the_seeded_version(fmt):
    seeded = seeded_version()
    before = items_of(seeded)
    data = services.export_checklist(seeded, fmt)
    report = run(data, filename=f"清单.{fmt}")
    assert report.ok and report.as_dict()["errors"] == []
    new = report.version
    assert new.number == seeded.number + 1 and not new.published and new.checklist == seeded.checklist
    assert report.as_dict() == {"rows": 25, "written": 25, "version": {"id": new.pk, "number": new.number},
                                "errors": []}
    assert items_of(new) == before
    assert items_of(seeded) == before and seeded_version().published


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_round_trip_keeps_texts_that_look_like_formulas_numbers_and_line_breaks(fmt):
    first = run(csv_text(EN, ['007,"=SUM(A1:A2) 不是公式",第一条,M,"第一行\n第二行",,,,,,,3']))
    assert first.ok, first.as_dict()
    services.publish(version=first.version, actor=supervisor())
    again = run(services.export_checklist(first.version, fmt), filename=f"x.{fmt}")
    assert again.ok, again.as_dict()
    assert items_of(again.version) == items_of(first.version)
    item = again.version.items.get()
    assert (item.code, item.title, item.guidance, item.order) == ("007", "=SUM(A1:A2) 不是公式", "第一行\n第二行", 3)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("head", [ZH, EN])
def test_chinese_or_english_headers_in_utf8_with_or_without_bom_or_gbk(encoding, head):
    report = run(csv_text(head, GOOD), encoding=encoding)
    assert report.ok, report.as_dict()
    assert report.encoding == ("gbk" if encoding == "gbk" else "utf-8")
    a1, a2, a3 = report.version.items.order_by("order", "code")
    assert (a1.code, a1.severity, a1.company_kinds, a1.relationship_types, a1.profiles, a1.questions) == (
        "A1", "H", ["platform", "agent"], ["employment"], ["basic", "in_depth"], "何时订立？")
    # Chinese labels stand for the codes; a quoted cell keeps its line break
    assert (a2.severity, a2.company_kinds, a2.relationship_types, a2.profiles, a2.guidance) == (
        "M", ["platform"], ["not_fully_employment"], ["in_depth"], "查看公示页面\n与推送记录")
    # lower case severity; empty lists apply to every kind; a blank order is the row's place
    assert (a3.severity, a3.company_kinds, a3.profiles, a3.source, a3.order) == ("L", [], [], "手工录入", 3)


def test_exported_headers_carry_both_names_and_a_bom():
    data = services.export_checklist(seeded_version(), "csv")
    assert data.startswith("\ufeff".encode())
    first = data.decode("utf-8-sig").splitlines()[0]
    assert first.startswith("编号（code）,检查事项（title）,法律依据（legal_basis）,风险等级（severity）")
    body = json.loads(services.export_checklist(seeded_version(), "json"))
    assert body["version"] == 1 and body["checklist"]["code"] == "platform-employment"
    assert body["items"][16]["company_kinds"] == ["platform"]


def test_every_bad_row_is_reported_with_line_field_and_chinese_message_and_nothing_is_written():
    before = versions()
    rows = [
        "B1,订立劳动合同,劳动合同法第十条,H,,,,,,,,",
        'B2,"多行\n标题",,X,,,,court,boss,full,,abc',  # line 3-4: basis, severity, kinds, relationship, profiles, order
        "B1,重复编号,某依据,M,,,,,,,,",  # line 5
        ",,某依据,M,,,,,,,,",  # line 6: code and title missing
        "B4,询问骑手 13912345678,某依据,L,,,,,,,,",  # line 7: a phone number
        "B5,核对身份证 350203199001011234,某依据,L,,,,,,,,,extra",  # line 8: more cells than the header
    ]
    report = run(csv_text(EN, rows))
    assert not report.ok and report.version is None and report.written == 0
    got = {(e["line"], e["field"]) for e in report.as_dict()["errors"]}
    assert got == {(3, "legal_basis"), (3, "severity"), (3, "company_kinds"), (3, "relationship_types"),
                   (3, "profiles"), (3, "order"), (5, "code"), (6, "code"), (6, "title"), (7, "title"), (8, "row")}
    messages = {(e["line"], e["field"]): e["message"] for e in report.as_dict()["errors"]}
    assert "与第 2 行重复" in messages[(5, "code")]
    assert "X" in messages[(3, "severity")] and "H（高）" in messages[(3, "severity")]
    assert "court" in messages[(3, "company_kinds")] and "platform（平台企业）" in messages[(3, "company_kinds")]
    assert "boss" in messages[(3, "relationship_types")]
    assert "手机号码" in messages[(7, "title")]
    assert report.as_dict()["rows"] == 6
    assert versions() == before


def test_an_id_number_in_a_text_is_refused():
    report = run(csv_text(EN, ["C1,核对身份证,某依据,H,如 350203199001011234,,,,,,,"]))
    assert [(e["line"], e["field"]) for e in report.as_dict()["errors"]] == [(2, "guidance")]
    assert "身份证号码" in report.errors[0].message


def test_only_whoever_manages_checklists_imports():
    before = versions()
    with pytest.raises(PermissionDenied):
        run(csv_text(EN, GOOD), actor=auditor())
    assert versions() == before


def test_an_unknown_or_missing_column_refuses_the_file():
    with pytest.raises(ValidationError) as exc:
        run(csv_text(EN.replace("company_kinds", "kinds_of_company"), GOOD))
    assert "kinds_of_company" in exc.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as exc:
        run(csv_text("code,title,severity", ["D1,某事项,H"]))
    assert "法律依据" in exc.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as exc:
        run(csv_text("编号,code,title,legal_basis,severity", ["D1,D1,某事项,某依据,H"]))
    assert "同一列" in exc.value.message_dict["file"][0]


def test_sizes_are_bounded_by_the_settings(settings):
    settings.WEIQUAN_CHECKLIST_IMPORT_MAX_ROWS = 2
    with pytest.raises(ValidationError) as exc:
        run(csv_text(EN, GOOD))
    assert "最多 2 个事项" in exc.value.message_dict["file"][0]
    settings.WEIQUAN_CHECKLIST_IMPORT_MAX_ROWS = 10
    settings.WEIQUAN_CHECKLIST_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        run(csv_text(EN, GOOD))
    assert "文件过大" in exc.value.message_dict["file"][0]


def test_a_new_version_never_touches_a_published_one_nor_a_pinned_checkup():
    checkup = checkup_in_state("fieldwork")
    seeded = seeded_version()
    before = items_of(seeded)
    pinned = list(checkup.assessments.values_list("item_id", flat=True))
    report = run(csv_text(ZH, GOOD))
    assert report.ok
    checkup.refresh_from_db()
    assert checkup.checklist_version == seeded and items_of(seeded) == before
    assert list(checkup.assessments.values_list("item_id", flat=True)) == pinned
    assert set(ChecklistItem.objects.filter(pk__in=pinned).values_list("version", flat=True)) == {seeded.pk}
    assert report.version.items.count() == 3


def test_an_unpublished_version_waiting_refuses_another_import_until_it_is_published():
    first = run(csv_text(EN, GOOD))
    with pytest.raises(ValidationError) as exc:
        run(csv_text(EN, GOOD))
    assert f"v{first.version.number}" in exc.value.message_dict["checklist"][0]
    services.publish(version=first.version, actor=supervisor())
    assert run(csv_text(EN, GOOD[:1])).version.number == first.version.number + 1


def test_json_as_a_list_or_as_the_export_with_bad_records_reported_by_position():
    good = [{"编号": "J1", "检查事项": "某事项", "法律依据": "某依据", "风险等级": "高", "适用企业类型": ["agent", "加盟商"]}]
    report = run(json.dumps(good, ensure_ascii=False), filename="清单.json")
    assert report.ok and report.version.items.get().company_kinds == ["agent", "franchisee"]
    services.publish(version=report.version, actor=supervisor())
    bad = {"items": [good[0], "not an object", {"code": "J2", "title": ["x"], "legal_basis": "某依据", "severity": "M",
                                                  "colour": "red", "profiles": "basic", "order": True}]}
    report = run(json.dumps(bad), filename="清单.json")
    got = {(e["line"], e["field"]) for e in report.as_dict()["errors"]}
    assert got == {(2, "row"), (3, "title"), (3, "colour"), (3, "order")}
    with pytest.raises(ValidationError):
        run('{"items": 3}', filename="清单.json")
    with pytest.raises(ValidationError):
        run("[{", filename="清单.json")


def test_xlsx_cells_typed_by_hand_numbers_and_labels():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "检查事项", "法律依据", "风险等级", "适用评估", "排序"])
    sheet.append([1, "某事项", "某依据", "低", "基础评估", 4.0])
    sheet.append([None, None, None, None, None, None])
    sheet.append([2, "另一事项", None, "中", None, None])
    out = io.BytesIO()
    book.save(out)
    report = run(out.getvalue(), filename="清单.xlsx")
    assert [(e.line, e.field) for e in report.errors] == [(4, "legal_basis")]
    sheet["C4"] = "另一依据"
    out = io.BytesIO()
    book.save(out)
    report = run(out.getvalue(), filename="清单.xlsx")
    assert report.ok and [(i.code, i.severity, i.profiles, i.order) for i in report.version.items.order_by("code")] == [
        ("1", "L", ["basic"], 4), ("2", "M", [], 2)]


def test_files_that_are_not_what_they_say_are_refused_with_a_reason():
    for data, name in ((b"PK\x03\x04broken", "清单.xlsx"), (b"\xd0\xcf\x11\xe0", "清单.xls"), (b"", "清单.csv"),
                       (b"\xff\xfe\x00\xd8", "清单.csv"), (b'code,title\n"unclosed', "清单.csv")):
        with pytest.raises(ValidationError) as exc:
            run(data, filename=name)
        assert exc.value.message_dict["file"], name


def test_the_commands_export_and_import_a_file(tmp_path):
    supervisor()
    path = tmp_path / "清单.xlsx"
    call_command("export_checklist", "-o", str(path), stderr=io.StringIO())
    out = io.StringIO()
    call_command("import_checklist", str(path), stdout=out)
    assert "25 items -> platform-employment v2" in out.getvalue()
    assert items_of(ChecklistVersion.objects.get(number=2)) == items_of(seeded_version())
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(EN, ["E1,某事项,,H,,,,,,,,"]), encoding="gbk")
    ChecklistVersion.objects.filter(number=2).update(published_at=seeded_version().published_at)
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_checklist", str(bad), stdout=out)
    assert "legal_basis" in out.getvalue() and ChecklistVersion.objects.count() == 2
    csv_out = io.StringIO()
    call_command("export_checklist", "--number", "1", "--format", "csv", stdout=csv_out)
    assert csv_out.getvalue().count("\n") == 26


def test_an_item_retitled_in_an_imported_version_stays_one_row_of_the_most_failed_figure():
    from legal_checkup.selectors import most_failed_items
    from tests.legal_checkup.helpers import company

    seeded = seeded_version()
    rows = json.loads(services.export_checklist(seeded, "json"))
    rows["items"][6]["title"] = "合理确定工作时长上限并落实休息提示（修订）"
    new = run(json.dumps(rows, ensure_ascii=False).encode(), filename="v2.json").version
    services.publish(version=new, actor=supervisor())
    same = company()
    checkup_in_state("drafting", results={"07": "non_compliant"}, company_=same)
    checkup_in_state("drafting", results={"07": "partial"}, company_=company())
    # the helper plans on the seeded version; a third checkup of the first company on the new one
    c = services.create_checkup(actor=supervisor(), company=same)
    lead = auditor()
    services.plan(checkup=c, actor=lead, checklist_version=new, profile="basic", lead=lead)
    c.refresh_from_db()
    services.start_fieldwork(checkup=c, actor=lead)
    for a in c.assessments.select_related("item"):
        services.assess(assessment=a, actor=lead, result="partial" if a.item.code == "07" else "compliant")
    c.refresh_from_db()
    services.compile_findings(checkup=c, actor=lead)
    first = most_failed_items()[0]
    assert first == {"item__code": "07", "item__title": "合理确定工作时长上限并落实休息提示（修订）", "findings": 3,
                     "companies": 2}
