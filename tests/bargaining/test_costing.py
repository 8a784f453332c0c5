"""Costing pay-rule positions against the order statistics: hand-computed figures on a small set.

The set (two cities, two months; workers per city-month = the most online in any of its rows):

    city month   band   weather orders rate workers fare  commission
    A    Jan     午高峰  晴       1000   5.00   50     8.00  20
    A    Jan     晚高峰  暴雨      200   6.00   40    10.00  15
    A    Feb     午高峰  晴        800   5.20   40     —     —
    A    Feb     晚高峰  暴雨      400   5.00   20     9.00  25
    B    Jan     午高峰  晴        600   4.80   30     7.50  18
    B    Feb     午高峰  暴雨      300   5.50   10     8.00  22
"""

import datetime
from decimal import Decimal

import pytest

from bargaining import services
from bargaining.costing import cost_negotiation, cost_position, cost_positions, percentile
from bargaining.models import OrderStatistic, Topic
from tests.bargaining.helpers import negotiation_in_state, officer

pytestmark = pytest.mark.django_db
D = Decimal
JAN, FEB = datetime.date(2025, 1, 1), datetime.date(2025, 2, 1)
ROWS = [
    ("A", JAN, "午高峰", "晴", 1000, "5.00", 50, "8.00", "20"),
    ("A", JAN, "晚高峰", "暴雨", 200, "6.00", 40, "10.00", "15"),
    ("A", FEB, "午高峰", "晴", 800, "5.20", 40, None, None),
    ("A", FEB, "晚高峰", "暴雨", 400, "5.00", 20, "9.00", "25"),
    ("B", JAN, "午高峰", "晴", 600, "4.80", 30, "7.50", "18"),
    ("B", FEB, "午高峰", "暴雨", 300, "5.50", 10, "8.00", "22"),
]


@pytest.fixture
def actor():
    return officer()


@pytest.fixture
def negotiation(actor):
    n = negotiation_in_state("negotiating", actor=actor)
    OrderStatistic.objects.bulk_create(
        OrderStatistic(negotiation=n, city=c, month=m, time_band=t, weather=w, orders=o, piece_rate=D(r),
                       avg_distance_km=D("3.00"), active_workers=a, fare=D(f) if f else None,
                       commission_pct=D(p) if p else None)
        for c, m, t, w, o, r, a, f, p in ROWS)
    return n


def topic(n, actor, code, **kw):
    n.refresh_from_db()
    return services.set_topic(negotiation=n, actor=actor, topic=Topic.objects.get(code=code), **kw)


def figures(c):
    return (c.monthly_cost, c.gain_median, c.gain_p25, c.gain_p75, c.gain_min, c.gain_max)


def test_piece_rate_only_where_the_current_rate_is_lower(negotiation):
    piece = negotiation.topics.get(costing="piece_rate")
    c = cost_position(piece, D("5.50"))
    # Per city-month: A-Jan 0.50×1000 = 500 (6.00 untouched); A-Feb 0.30×800 + 0.50×400 = 440;
    # B-Jan 0.70×600 = 420; B-Feb 5.50 already: 0. Cost (500+440+420)/2 months = 680.
    # Gains 500/50=10, 440/40=11, 420/30=14, 0/10=0 -> sorted 0, 10, 11, 14.
    assert figures(c) == (D("680.00"), D("10.50"), D("7.50"), D("11.75"), D("0.00"), D("14.00"))
    assert (c.months, c.city_months, c.rows, c.skipped_rows) == (2, 4, 6, 0)
    assert c.as_dict()["gain_per_worker"] == {"median": "10.50", "p25": "7.50", "p75": "11.75", "min": "0.00",
                                              "max": "14.00"}
    assert c.as_dict()["monthly_cost"] == "680.00"


def test_commission_rows_without_fare_are_skipped_and_counted(negotiation, actor):
    commission = topic(negotiation, actor, "commission", demand_value=D("18"))
    c = cost_position(commission, D("18"))
    # fare × (current − 18)/100 × orders: A-Jan 8×2%×1000 = 160 (15 % untouched); A-Feb 9×7%×400 = 252
    # (the row without a fare skipped); B-Jan 18 % already: 0; B-Feb 8×4%×300 = 96. (160+252+96)/2 = 254.
    # Gains 160/50=3.2, 252/40=6.3, 0, 96/10=9.6 -> p75 = 6.3 + 0.25×3.3 = 7.125 -> 7.13 (half up).
    assert figures(c) == (D("254.00"), D("4.75"), D("2.40"), D("7.13"), D("0.00"), D("9.60"))
    assert c.skipped_rows == 1


def test_surcharge_on_the_topics_weather_and_time_band(negotiation, actor):
    storm = topic(negotiation, actor, "bad_weather_surcharge", demand_value=D("2"), surcharge_weather="暴雨")
    c = cost_position(storm, D("2.00"))
    # 2 yuan on the storm rows: A-Jan 400, A-Feb 800, B-Feb 600 -> 1800/2 = 900; gains 8, 20, 0, 60.
    assert figures(c) == (D("900.00"), D("14.00"), D("6.00"), D("30.00"), D("0.00"), D("60.00"))
    storm.surcharge_time_band = "晚高峰"
    assert cost_position(storm, D("2.00")).monthly_cost == D("600.00")  # A's two rows only
    storm.surcharge_time_band, storm.surcharge_weather = "晚高峰、夜间", ""
    assert cost_position(storm, D("2.00")).monthly_cost == D("600.00")
    storm.surcharge_time_band = ""
    assert cost_position(storm, D("1.00")).monthly_cost == D("1650.00")  # no condition: every order, 3300/2


def test_nothing_to_cost(negotiation, actor):
    rest = negotiation.topics.get(name__contains="休息")  # numeric, not costed
    assert cost_position(rest, D("20")) is None
    piece = negotiation.topics.get(costing="piece_rate")
    assert cost_position(piece, None) is None
    empty = negotiation_in_state("negotiating", actor=actor)
    assert cost_position(empty.topics.get(costing="piece_rate"), D("5.50")) is None
    # A position that changes nothing costs nothing.
    c = cost_position(piece, D("4.00"))
    assert figures(c) == (D("0.00"),) + (D("0.00"),) * 5


def test_cost_negotiation_the_demand_and_the_latest_rounds_positions(negotiation, actor, django_assert_max_num_queries):
    piece = negotiation.topics.get(costing="piece_rate")
    commission = topic(negotiation, actor, "commission", demand_value=D("18"))
    storm = topic(negotiation, actor, "bad_weather_surcharge", demand_value=D("2"), surcharge_weather="暴雨")
    for union, employer in ((D("5.50"), D("5.00")), (D("5.50"), D("5.20"))):
        negotiation.refresh_from_db()
        services.record_round(negotiation=negotiation, actor=actor, attendees="双方代表", positions=[
            {"topic": piece.pk, "union_value": union, "employer_value": employer},
            {"topic": commission.pk, "union_value": D("18"), "employer_value": D("20")},
        ])
    with django_assert_max_num_queries(3):  # the topics, the positions, one aggregate for all
        table = cost_negotiation(negotiation)
    assert [row["topic"] for row in table] == [piece.pk, commission.pk, storm.pk]
    by_topic = {row["topic"]: row for row in table}
    row = by_topic[piece.pk]
    assert row["round"] == 2 and row["demand"]["value"] == "5.50" and row["employer"]["value"] == "5.20"
    assert row["demand"]["costing"]["monthly_cost"] == "680.00" == row["union"]["costing"]["monthly_cost"]
    # 5.20: A-Jan 0.20×1000 = 200, A-Feb 0.20×400 = 80, B-Jan 0.40×600 = 240 -> 520/2 = 260.
    assert row["employer"]["costing"] == cost_position(piece, D("5.20")).as_dict()
    assert row["employer"]["costing"]["monthly_cost"] == "260.00"
    # The employer's 20 % cuts A-Feb's 25 % and B-Feb's 22 %: 9×5%×400 + 8×2%×300 = 180 + 48 -> 114 a month.
    assert by_topic[commission.pk]["employer"]["costing"]["monthly_cost"] == "114.00"
    assert by_topic[commission.pk]["employer"]["costing"]["skipped_rows"] == 1
    storm_row = by_topic[storm.pk]
    assert storm_row["round"] is None and storm_row["union"] == {"value": None, "costing": None}
    assert storm_row["demand"]["costing"]["monthly_cost"] == "900.00"


def test_percentile_interpolates_between_ranks():
    values = [D(v) for v in ("1", "2", "4", "8", "16")]
    assert [percentile(values, p) for p in (0.25, 0.5, 0.75)] == [D("2"), D("4"), D("8")]
    assert percentile([D("3")], 0.75) == D("3")
    assert percentile([D("0"), D("10")], 0.25) == D("2.5")


def test_cost_positions_several_figures_in_one_query(negotiation, django_assert_num_queries):
    piece = negotiation.topics.get(costing="piece_rate")
    rest = negotiation.topics.get(name__contains="休息")
    with django_assert_num_queries(1):
        costed = cost_positions(negotiation, [(piece, D("5.50")), (rest, D("20")), (piece, D("5.20")), (piece, None)])
    assert [c and c.monthly_cost for c in costed] == [D("680.00"), None, D("260.00"), None]
