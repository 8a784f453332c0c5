#!/usr/bin/env python
"""Benchmark costing a proposal over a platform's order statistics on PostgreSQL (a script, not a test).

    .venv/bin/python benchmarks/bargaining.py                    # 1,000,000 order-statistic rows
    .venv/bin/python benchmarks/bargaining.py --rows 200000 --runs 9 --explain

Creates postgres://postgres@127.0.0.1:5432/wq_bench_bargaining afresh and migrates it, then:

1. A negotiation at the table with three costed topics (the piece rate, the commission ratio and a
   rainstorm surcharge), the union's demands and one round's positions on each, made through the
   services as in real use.
2. --rows order-statistic rows for it, written with COPY: 48 half-hour time bands × 8 kinds of
   weather × 36 months × as many cities as it takes (about 2,600 city-months for a million rows),
   with orders, rates, fares and commissions varying by cell and a tenth of the rows without a fare.
   Another negotiation's statistics (--other rows) share the table, so the query must pick its own.
3. `bargaining.costing.cost_negotiation` (the demand and both sides' positions on all three topics,
   nine positions costed) timed --runs times after one warm-up run; the median printed with the
   target: ≤ 1 s. Also the proposal alone (the three demands, cost_positions), one position alone
   (cost_position), and the database's own CPU time for the costing.
4. The import service on a GBK CSV of --import-rows rows (rows/s; no target).
"""

import argparse
import io
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "wq_bench_bargaining"
TARGET_S = 1.0
TITLE = "外卖骑手计件单价与抽成比例集体协商（基准）"
BANDS = [f"{h // 2:02d}:{h % 2 * 30:02d}-{(h + 1) // 2 % 24:02d}:{(h + 1) % 2 * 30:02d}" for h in range(48)]
WEATHERS = ["晴", "多云", "阴", "小雨", "中雨", "暴雨", "高温", "大风"]
MONTHS = 36


def fresh_database(name):
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=2) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="order-statistic rows of the costed negotiation")
    parser.add_argument("--other", type=int, default=200_000, help="rows of another negotiation in the same table")
    parser.add_argument("--runs", type=int, default=7, help="timed runs (the median is the figure)")
    parser.add_argument("--database", default=DB, help=f"the scratch database (default {DB}; dropped and created)")
    parser.add_argument("--explain", action="store_true", help="print the aggregate query's EXPLAIN ANALYZE")
    parser.add_argument("--import-rows", type=int, default=100_000,
                        help="rows of a CSV imported through the service afterwards (0: none)")
    parser.add_argument("--reuse", action="store_true",
                        help="time again on the database a previous run left (no new rows written)")
    args = parser.parse_args()

    try:
        if not args.reuse:
            fresh_database(args.database)
    except Exception as exc:  # noqa: BLE001
        print(f"bargaining: skipped, no PostgreSQL on 127.0.0.1:5432 ({exc.__class__.__name__})")
        return 0

    os.environ.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{args.database}", CELERY_BROKER_URL="",
                      DJANGO_SETTINGS_MODULE="config.test_settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print(f"database: {args.database} (PostgreSQL {connection.cursor().connection.info.server_version // 10000}), "
          f"{os.cpu_count()} CPU(s)")
    if args.reuse:
        from bargaining.models import Negotiation

        negotiation = Negotiation.objects.get(title=TITLE)
        topics = tuple(negotiation.topics.get(costing=k) for k in ("piece_rate", "commission", "surcharge"))
    else:
        negotiation, topics = fill(args, connection)
    bench(negotiation, topics, args.runs, CaptureQueriesContext, connection)
    if args.explain:
        explain(negotiation, topics, connection)
    if args.import_rows:
        bench_import(args.import_rows)
    return 0


def fill(args, connection):
    """The negotiations and their statistics, in the fresh database."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    negotiation, topics = setup_negotiation()
    other, _topics = setup_negotiation(title="另一集体协商（基准，同一张统计表）")
    started = time.perf_counter()
    load(other, args.other, seed=7)
    load(negotiation, args.rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE bargaining_orderstatistic")
    from bargaining.models import OrderStatistic

    groups = OrderStatistic.objects.filter(negotiation=negotiation).values("city", "month").distinct().count()
    print(f"\n2. {args.rows:,} order-statistic rows (+{args.other:,} of another negotiation) written by COPY in "
          f"{time.perf_counter() - started:.1f} s: {groups:,} city-months × {len(BANDS)} time bands × "
          f"{len(WEATHERS)} kinds of weather")
    return negotiation, topics


def bench_import(rows):
    """The import service itself: a GBK CSV of `rows` rows with Chinese headers, checked row by row
    and written in batches in one transaction, for a third negotiation."""
    from bargaining import services

    negotiation, _topics = setup_negotiation(title="导入基准集体协商")
    lines = ["城市,月份,时段,天气,订单量,计件单价（元/单）,平均距离（公里）,在线骑手数,配送费,抽成比例（%）"]
    i = 0
    for c in range(-(-rows // (MONTHS * len(BANDS) * len(WEATHERS)))):
        for m in range(MONTHS):
            for band in BANDS:
                for weather in WEATHERS:
                    if i < rows:
                        lines.append(f"城市{c + 1:03d},{2023 + m // 12}-{m % 12 + 1:02d},{band},{weather},{50 + i % 2000},"
                                     f"{Decimal(440 + i % 130) / 100},{Decimal(100 + i % 500) / 100},{20 + i % 300},"
                                     f"{Decimal(600 + i % 600) / 100},{Decimal(1200 + i % 1100) / 100}")
                    i += 1
    data = ("\n".join(lines) + "\n").encode("gbk")
    negotiation.refresh_from_db()
    actor = negotiation.officer
    started = time.perf_counter()
    report = services.import_order_statistics(negotiation=negotiation, actor=actor, data=data, filename="stats.csv")
    elapsed = time.perf_counter() - started
    print(f"\n4. Import: {rows:,} rows, GBK CSV ({len(data) / 1024 / 1024:.1f} MB), through the service: "
          f"{elapsed:.1f} s, {rows / elapsed:,.0f} rows/s, written {report.written:,}, errors {len(report.errors)}")


def setup_negotiation(title=None):
    title = title or TITLE
    from bargaining import services
    from bargaining.models import Topic
    from tests.bargaining.helpers import negotiation_in_state, officer

    actor = officer(email="", username=f"bench.officer.{uuid.uuid4().hex[:8]}")
    from core.models import Organisation

    parties = {}
    if Organisation.objects.filter(kind="union").exists():  # a database a previous run left (--reuse)
        parties = {"union": Organisation.objects.filter(kind="union").first(),
                   "employers": [Organisation.objects.filter(kind="platform").first()]}
    n = negotiation_in_state("negotiating", actor=actor, title=title, **parties)
    piece = n.topics.get(costing="piece_rate")
    n.refresh_from_db()
    commission = services.set_topic(negotiation=n, actor=actor, topic=Topic.objects.get(code="commission"),
                                    demand_value=Decimal("15"), demand_text="平台抽成比例不高于15%")
    n.refresh_from_db()
    storm = services.set_topic(negotiation=n, actor=actor, topic=Topic.objects.get(code="bad_weather_surcharge"),
                               demand_value=Decimal("3"), demand_text="暴雨天气每单加价3元", surcharge_weather="暴雨")
    n.refresh_from_db()
    services.record_round(negotiation=n, actor=actor, attendees="双方协商代表", positions=[
        {"topic": piece.pk, "union_value": Decimal("5.50"), "employer_value": Decimal("5.10")},
        {"topic": commission.pk, "union_value": Decimal("16"), "employer_value": Decimal("19")},
        {"topic": storm.pk, "union_value": Decimal("2.50"), "employer_value": Decimal("1.00")},
    ])
    n.refresh_from_db()
    if title == TITLE:
        print("1. negotiation " + n.number + ": topics " + "、".join(t.name for t in (piece, commission, storm))
              + "; demands 5.50 元/单, 15 %, 3.00 元/单; round 1: union 5.50 / 16 / 2.50, employer 5.10 / 19 / 1.00")
    return n, (piece, commission, storm)


def load(negotiation, rows, seed=0):
    """`rows` cells for `negotiation` by COPY, 100,000 at a time."""
    from django.db import connection, transaction

    per_city = MONTHS * len(BANDS) * len(WEATHERS)
    cities = -(-rows // per_city)
    months = [f"{2023 + m // 12}-{m % 12 + 1:02d}-01" for m in range(MONTHS)]
    columns = ("negotiation_id, city, month, time_band, weather, orders, piece_rate, avg_distance_km, "
               "active_workers, fare, commission_pct")

    def lines():
        i = 0
        for c in range(cities):
            city = f"城市{c + 1:03d}"
            for month in months:
                for b, band in enumerate(BANDS):
                    for w, weather in enumerate(WEATHERS):
                        if i == rows:
                            return
                        k = i * 7919 + seed
                        orders = 50 + k % 2000
                        rate = Decimal(440 + k % 130) / 100  # 4.40 – 5.69
                        workers = 20 + (c * 37 + b * 11 + w) % 300
                        fare = r"\N" if k % 10 == 0 else f"{Decimal(600 + k % 600) / 100}"
                        pct = r"\N" if k % 10 == 0 else f"{Decimal(1200 + k % 1100) / 100}"
                        distance = Decimal(100 + k % 500) / 100
                        yield (f"{negotiation.pk}\t{city}\t{month}\t{band}\t{weather}\t{orders}\t{rate}\t{distance}\t"
                               f"{workers}\t{fare}\t{pct}\n")
                        i += 1

    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(f"COPY bargaining_orderstatistic ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n, line in enumerate(lines(), start=1):
                buffer.write(line)
                if n % 100_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())


def bench(negotiation, topics, runs, CaptureQueriesContext, connection):
    from bargaining.costing import cost_negotiation, cost_position, cost_positions

    print(f"\n3. Costing over {negotiation.order_statistics.count():,} rows:")
    cost_negotiation(negotiation)  # warm-up: the table's pages in the cache, as on a page the officer reloads
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            table = cost_negotiation(negotiation)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    for row in table:
        parts = []
        for side, label in (("demand", "要约"), ("union", "职工方"), ("employer", "企业方")):
            c = row[side]["costing"]
            if c:
                g = c["gain_per_worker"]
                parts.append(f"{label} {row[side]['value']}: {Decimal(c['monthly_cost']):,} 元/月, 人均 {g['median']} "
                             f"({g['p25']}–{g['p75']}, {g['min']}–{g['max']})")
        print(f"   {row['name']}: " + "; ".join(parts))
    print(f"   cost_negotiation (9 positions): median {median:.3f} s of {runs} runs "
          f"(min {min(times):.3f}, max {max(times):.3f}), {len(queries)} queries  "
          f"[{'OK' if median <= TARGET_S else 'ABOVE TARGET'} ≤ {TARGET_S:.0f} s]")
    server_cpu(negotiation, runs, connection)
    demands = [(t, t.demand_value) for t in topics]
    proposal = []
    for _ in range(runs):
        started = time.perf_counter()
        cost_positions(negotiation, demands)
        proposal.append(time.perf_counter() - started)
    print(f"   cost_positions (the proposal: the union's three demands): median {statistics.median(proposal):.3f} s  "
          f"[{'OK' if statistics.median(proposal) <= TARGET_S else 'ABOVE TARGET'} ≤ {TARGET_S:.0f} s]")
    piece = topics[0]
    one = []
    for _ in range(runs):
        started = time.perf_counter()
        cost_position(piece, Decimal("5.50"))
        one.append(time.perf_counter() - started)
    print(f"   cost_position (the piece rate alone): median {statistics.median(one):.3f} s  "
          f"[{'OK' if statistics.median(one) <= TARGET_S else 'ABOVE TARGET'} ≤ {TARGET_S:.0f} s]")


def server_cpu(negotiation, runs, connection):
    """The database's own CPU time for the costing, in one server process (no parallel workers), read
    from /proc when the server runs here: a figure that does not depend on what else the machine runs."""
    from bargaining.costing import cost_negotiation

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return
    tick = os.sysconf("SC_CLK_TCK")

    def cpu():
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    used = []
    for _ in range(max(3, runs // 2)):
        before = cpu()
        cost_negotiation(negotiation)
        used.append(cpu() - before)
    with connection.cursor() as cursor:
        cursor.execute("RESET max_parallel_workers_per_gather")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"   the same in one server process: {statistics.median(used):.2f} s of PostgreSQL CPU "
          f"(median; with parallel workers the wall time is about that divided by the free cores); "
          f"load average while measuring: {load} on {os.cpu_count()} CPU(s)")


def explain(negotiation, topics, connection):
    from django.test.utils import CaptureQueriesContext

    from bargaining.costing import cost_negotiation

    with CaptureQueriesContext(connection) as queries:
        cost_negotiation(negotiation)
    sql = max(queries.captured_queries, key=lambda q: float(q["time"]))["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        print("\n" + "\n".join(r[0] for r in cursor.fetchall()))


if __name__ == "__main__":
    sys.exit(main())
