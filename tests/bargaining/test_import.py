"""Importing a platform's order statistics: CSV and JSON, UTF-8 (with or without BOM) and GBK,
Chinese and English headers, every bad row reported, and nothing half-written."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bargaining import services
from bargaining.models import OrderStatistic
from core import journal
from tests.bargaining.helpers import contact_of, negotiation_in_state, officer
from tests.harness import on

pytestmark = pytest.mark.django_db

EN = "city,month,time_band,weather,orders,piece_rate,avg_distance_km,active_workers,fare,commission_pct"
ZH = "城市,月份,时段,天气,订单量,计件单价（元/单）,平均距离（公里）,在线骑手数,配送费,抽成比例（%）"
GOOD = [
    "厦门,2026-01,午高峰,晴,1200,5.00,3.20,60,8.50,20",
    "厦门,2026-01,晚高峰,暴雨,300,5.50,2.80,45,9.00,18.5",
    "泉州,2026-02,午高峰,晴,800,4.80,3.60,40,,",
]


@pytest.fixture(autouse=True)
def _in_may_2026():
    """The statistics are of early 2026; they are imported in May 2026, whatever the real date."""
    with on(datetime.date(2026, 5, 12)):
        yield


@pytest.fixture
def actor():
    return officer()


@pytest.fixture
def negotiation(actor):
    return negotiation_in_state("negotiating", actor=actor)


def run(negotiation, actor, text, *, encoding="utf-8", filename="stats.csv", **kw):
    negotiation.refresh_from_db()
    data = text.encode(encoding) if isinstance(text, str) else text
    return services.import_order_statistics(negotiation=negotiation, actor=actor, data=data, filename=filename, **kw)


def csv_text(header, rows):
    return "\n".join([header, *rows]) + "\n"


def stored(negotiation):
    return {(s.city, s.month, s.time_band, s.weather): s for s in OrderStatistic.objects.filter(negotiation=negotiation)}


def test_english_headers_utf8_every_row_written_and_journaled(negotiation, actor):
    report = run(negotiation, actor, csv_text(EN, GOOD))
    assert report.as_dict() == {"rows": 3, "written": 3, "errors": []}
    assert (report.format, report.encoding) == ("csv", "utf-8")
    rows = stored(negotiation)
    first = rows[("厦门", datetime.date(2026, 1, 1), "午高峰", "晴")]
    assert (first.orders, first.piece_rate, first.avg_distance_km, first.active_workers, first.fare,
            first.commission_pct) == (1200, Decimal("5.00"), Decimal("3.20"), 60, Decimal("8.50"), Decimal("20.00"))
    no_fare = rows[("泉州", datetime.date(2026, 2, 1), "午高峰", "晴")]
    assert no_fare.fare is None and no_fare.commission_pct is None
    event = journal.events_for(negotiation).filter(transition="import_order_statistics").get()
    assert event.payload["rows"] == 3 and event.payload["written"] == 3 and event.actor == actor


def test_chinese_headers_in_a_gbk_file(negotiation, actor):
    report = run(negotiation, actor, csv_text(ZH, GOOD), encoding="gbk")
    assert report.as_dict()["written"] == 3 and report.encoding == "gbk"
    assert ("厦门", datetime.date(2026, 1, 1), "晚高峰", "暴雨") in stored(negotiation)


def test_utf8_with_a_bom(negotiation, actor):
    report = run(negotiation, actor, "\ufeff" + csv_text(ZH, GOOD))
    assert report.as_dict() == {"rows": 3, "written": 3, "errors": []}
    assert report.encoding == "utf-8"


def test_json_a_list_or_an_object_holding_it_by_content_or_extension(negotiation, actor):
    records = [dict(zip(EN.split(","), line.split(","))) for line in GOOD]
    records[0]["orders"] = 1200  # numbers as JSON numbers
    records[0]["piece_rate"] = 5.0
    report = run(negotiation, actor, json.dumps(records, ensure_ascii=False), filename="export.txt")
    assert (report.format, report.as_dict()["written"]) == ("json", 3)
    zh = [dict(zip([h.split("（")[0] for h in ZH.split(",")], line.split(","))) for line in GOOD]
    report = run(negotiation, actor, json.dumps({"order_statistics": zh}, ensure_ascii=False), filename="s.json")
    assert report.as_dict() == {"rows": 3, "written": 3, "errors": []}
    assert OrderStatistic.objects.filter(negotiation=negotiation).count() == 3  # replaced, not added


def test_good_and_bad_rows_nothing_written_every_bad_line_reported(negotiation, actor):
    run(negotiation, actor, csv_text(EN, GOOD[:1]))  # an earlier import, to be kept
    rows = [
        *GOOD,                                                   # lines 2-4: good
        "厦门,2026-13,午高峰,晴,10,5,3,2,,",                      # 5: no such month
        "厦门,2026-03,午高峰,晴,十,5.123,3,2,,",                  # 6: orders not a number, 3 decimals
        ",2026-03,午高峰,晴,10,5,3,0,,",                          # 7: city missing, riders 0 with orders
        "厦门,2026-03,午高峰,晴,10,5,3,2,8,120",                  # 8: commission over 100 %
        "厦门,2026-01,午高峰,晴,5,5,3,2,,",                       # 9: repeats line 2
        "厦门,2026-09,午高峰,晴,5,5,3,2,,",                       # 10: a month still to come
    ]
    report = run(negotiation, actor, csv_text(EN, rows))
    result = report.as_dict()
    assert (result["rows"], result["written"]) == (9, 0)
    assert [(e["line"], e["field"]) for e in result["errors"]] == [
        (5, "month"), (6, "orders"), (6, "piece_rate"), (7, "city"), (7, "active_workers"), (8, "commission_pct"),
        (9, "row"), (10, "month")]
    assert all(e["message"] for e in result["errors"])
    assert "第 2 行" in result["errors"][6]["message"]
    # Nothing of this file, and the earlier statistics untouched; nothing journaled.
    assert list(stored(negotiation)) == [("厦门", datetime.date(2026, 1, 1), "午高峰", "晴")]
    assert journal.events_for(negotiation).filter(transition="import_order_statistics").count() == 1


def test_replace_false_adds_and_refuses_a_stored_cell(negotiation, actor):
    run(negotiation, actor, csv_text(EN, GOOD[:2]))
    report = run(negotiation, actor, csv_text(EN, GOOD[1:]), replace=False)
    assert report.as_dict()["written"] == 0
    assert [(e["line"], e["field"]) for e in report.as_dict()["errors"]] == [(2, "row")]
    report = run(negotiation, actor, csv_text(EN, GOOD[2:]), replace=False)
    assert report.as_dict()["written"] == 1
    assert OrderStatistic.objects.filter(negotiation=negotiation).count() == 3


def test_months_in_several_spellings_and_units_in_the_headers(negotiation, actor):
    rows = ["厦门,2026年3月,夜间,晴,10,5,3,2,,", "厦门,2026/04,夜间,晴,10,5,3,2,,", "厦门,2026-02-01,夜间,晴,10,5,3,2,,"]
    report = run(negotiation, actor, csv_text(ZH, rows))
    assert report.ok, report.as_dict()
    assert sorted(m for _c, m, _t, _w in stored(negotiation)) == [datetime.date(2026, m, 1) for m in (2, 3, 4)]


def test_file_wide_problems_are_field_errors_on_file(negotiation, actor, settings):
    with pytest.raises(ValidationError) as exc:
        run(negotiation, actor, "city,month,orders\n厦门,2026-01,5\n")
    assert "缺少必填列" in exc.value.message_dict["file"][0] and "在线骑手数" in exc.value.message_dict["file"][0]
    with pytest.raises(ValidationError):
        run(negotiation, actor, b"")
    with pytest.raises(ValidationError) as exc:
        run(negotiation, actor, "[" * 5000 + "]" * 5000, filename="deep.json")
    assert "嵌套" in exc.value.message_dict["file"][0]
    settings.WEIQUAN_ORDER_STATISTICS_MAX_ROWS = 2
    with pytest.raises(ValidationError) as exc:
        run(negotiation, actor, csv_text(EN, GOOD))
    assert "最多 2 条" in exc.value.message_dict["file"][0]
    settings.WEIQUAN_ORDER_STATISTICS_MAX_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        run(negotiation, actor, csv_text(EN, GOOD))
    assert "文件过大" in exc.value.message_dict["file"][0]
    assert not OrderStatistic.objects.filter(negotiation=negotiation).exists()


def test_json_record_that_is_not_an_object(negotiation, actor):
    records = [dict(zip(EN.split(","), GOOD[0].split(","))), ["厦门"], 5]
    report = run(negotiation, actor, json.dumps(records, ensure_ascii=False), filename="s.json")
    assert [(e["line"], e["field"]) for e in report.as_dict()["errors"]] == [(2, "row"), (3, "row")]
    assert report.written == 0


def test_a_company_contact_may_not_import(negotiation, actor):
    with pytest.raises(PermissionDenied):
        run(negotiation, contact_of(negotiation), csv_text(EN, GOOD))
