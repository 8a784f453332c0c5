#!/usr/bin/env python
"""Benchmark the document pipeline (a script, not a test).

    .venv/bin/python benchmarks/documents.py               # everything (needs Redis + PostgreSQL)
    .venv/bin/python benchmarks/documents.py --no-worker   # in-process figures only (SQLite)
    .venv/bin/python benchmarks/documents.py -n 50 --renders 400 --fallback-n 1

1. In process, on a throwaway SQLite database: renders each casework document kind N times with
   realistic content and prints pages, median and p95 milliseconds and size, as plain PDF and as
   PDF/A-3b. The case summary is measured on an ordinary case and on a group case with 11 claimants
   and 30 evidence items. Then the same with HarfBuzz subsetting switched off (WeasyPrint falls
   back to fontTools), which is what a machine without libharfbuzz-subset0 gets.
2. Through a real Celery worker: starts `celery -A config worker -c 2` on Redis
   (redis://127.0.0.1:6379/13) with PostgreSQL (postgres://postgres@127.0.0.1:5432/wq_bench,
   dropped and created afresh) shared by this script and the worker, asks for --renders documents
   (a mix of the three kinds over ordinary cases and the group case) and measures how long until
   all are ready: documents per second, end to end (request, queue, render, store, row update).

Targets (issue 12 item 8, on the 2-core machine): median <= 150 ms for a two-page document,
<= 450 ms for the 8-page group-case summary, <= 250 KiB for two pages, >= 9 documents/s through the
worker. Each render also prints its CPU time, which other processes on the machine stretch less.
"""

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "wq_bench"
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database number of its own: flushed before the run


def setup_django(database_url: str, media_root: str, broker_url: str = "") -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = media_root
    os.environ["CELERY_BROKER_URL"] = broker_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # the fontTools-fallback warning, per font
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --------------------------------------------------------------------------------------------------
# Realistic data, made through the services like the product does
# --------------------------------------------------------------------------------------------------

FACTS = (
    "申请人均为该平台在本市配送站点的专送骑手，由站点承包商招录并管理，每日在线不少于十小时。\n"
    "自2025年10月起，站点以“系统结算调整”为由，按单压低配送费并暂扣恶劣天气补贴，至今拖欠未付；"
    "申请人多次通过站长、平台客服反映，均未得到答复。\n"
    "申请人请求支付拖欠的配送服务费和补贴，并请求确认与站点之间的用工关系。"
)


def make_case(*, claimants: int, evidence: int, claims: list, state: str = "closed"):
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from casework import services
    from tests import scenarios

    case = scenarios.make_case(
        claimants=claimants, facts=FACTS, title="拖欠配送费及恶劣天气补贴",
        claims=[{"category": "unpaid_pay", "description": d, "amount": Decimal(a)} for d, a in claims],
    )
    actor = scenarios.supervisor()
    for i in range(evidence):
        services.add_evidence(
            case=case, actor=actor,
            file=SimpleUploadedFile(f"骑手APP结算记录截图-{i + 1:02d}.png", os.urandom(4096)),
            description=f"2025年{10 + i % 3}月订单结算页面，显示应结算金额与实际到账金额的差额",
        )
    steps = list(scenarios.PATHS[state])
    return scenarios.advance(case, *steps)


ORDINARY_CLAIMS = [("支付2025年10月至12月拖欠的配送服务费", "18600.00"), ("支付恶劣天气补贴", "2400.00")]
GROUP_CLAIMS = [
    ("支付2025年10月至12月拖欠的配送服务费（11人合计）", "486000.00"),
    ("支付暂扣的恶劣天气补贴（11人合计）", "132000.00"),
    ("退还以“服装押金”名义收取的保证金（11人合计）", "42000.00"),
]


def request_all(case, kinds, regenerate=True):
    from core import documents

    return [documents.request(case, kind, regenerate=regenerate)[0] for kind in kinds]


# --------------------------------------------------------------------------------------------------
# Part 1: in process
# --------------------------------------------------------------------------------------------------


def pct(values, q):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(document, n, variant):
    from core import documents

    documents.render_pdf(document, pdf_variant=variant)  # warm: fonts loaded, caches filled
    times, cpu, size, pages = [], [], 0, 0
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        data, pages = documents.render_pdf(document, pdf_variant=variant)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        size = len(data)
    return {"pages": pages, "median": statistics.median(times), "p95": pct(times, 0.95),
            "cpu": statistics.median(cpu), "kib": size / 1024, "n": n}


def fonttools_fallback():
    """Switch WeasyPrint's HarfBuzz subsetting off, as if libharfbuzz-subset.so.0 were missing."""
    import weasyprint.pdf.fonts as pdf_fonts

    class Switch:
        def __enter__(self):
            self.saved = pdf_fonts.harfbuzz_subset
            pdf_fonts.harfbuzz_subset = None

        def __exit__(self, *exc):
            pdf_fonts.harfbuzz_subset = self.saved

    return Switch()


def part_in_process(args) -> None:
    tmp = tempfile.mkdtemp(prefix="wq-bench-")
    setup_django(args.database_url or f"sqlite:///{tmp}/bench.sqlite3", f"{tmp}/media")
    from django.db import connection

    print(f"== In process ({connection.vendor}), N={args.n}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    ordinary = make_case(claimants=2, evidence=5, claims=ORDINARY_CLAIMS)
    group = make_case(claimants=11, evidence=30, claims=GROUP_CLAIMS)
    rows = [
        ("intake_record", "ordinary (2 claimants)", request_all(ordinary, ["intake_record"])[0]),
        ("closing_report", "ordinary (2 claimants)", request_all(ordinary, ["closing_report"])[0]),
        ("case_summary", "ordinary (2 claimants, 5 evidence)", request_all(ordinary, ["case_summary"])[0]),
        ("case_summary", "group (11 claimants, 30 evidence)", request_all(group, ["case_summary"])[0]),
        ("intake_record", "group (11 claimants)", request_all(group, ["intake_record"])[0]),
        ("closing_report", "group (11 claimants)", request_all(group, ["closing_report"])[0]),
    ]
    # Wall time is stretched by whatever else runs on the machine; CPU time (this process's, median
    # per render) is not, so both are printed.
    header = f"{'kind':<15} {'case':<35} {'variant':<9} {'pages':>5} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'KiB':>7}"
    print(header)
    print("-" * len(header))
    results = []
    for kind, label, document in rows:
        for variant in ("", "pdf/a-3b"):
            r = measure(document, args.n, variant)
            results.append({"kind": kind, "case": label, "variant": variant or "pdf", **r})
            print(f"{kind:<15} {label:<35} {variant or 'pdf':<9} {r['pages']:>5} {r['median']:>10.0f} {r['p95']:>8.0f} {r['cpu']:>7.0f} {r['kib']:>7.0f}")

    if args.fallback_n:
        print(f"\n== fontTools fallback (no HarfBuzz subsetting), N={args.fallback_n}, PDF/A-3b")
        print(header)
        print("-" * len(header))
        with fonttools_fallback():
            for kind, label, document in rows[:4]:
                r = measure(document, args.fallback_n, "pdf/a-3b")
                results.append({"kind": kind, "case": label, "variant": "pdf/a-3b fontTools", **r})
                print(f"{kind:<15} {label:<35} {'a-3b/fT':<9} {r['pages']:>5} {r['median']:>10.0f} {r['p95']:>8.0f} {r['cpu']:>7.0f} {r['kib']:>7.0f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))


# --------------------------------------------------------------------------------------------------
# Part 2: through a real Celery worker on Redis, sharing PostgreSQL with this script
# --------------------------------------------------------------------------------------------------


def recreate_bench_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")


def wait_until_ready(ids, timeout):
    from django.db.models import Count

    from core.models import Document

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = dict(
            Document.objects.filter(pk__in=ids).order_by().values_list("status").annotate(n=Count("pk"))
        )
        if counts.get("pending", 0) == 0:
            return counts
        time.sleep(0.05)
    raise TimeoutError(f"documents still pending after {timeout}s: {counts}")


def part_worker(args) -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    recreate_bench_database()
    media = tempfile.mkdtemp(prefix="wq-bench-worker-")
    database_url = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
    setup_django(database_url, media, REDIS_URL)
    from core.models import Document
    from config.celery import app

    print(f"\n== Through a Celery worker: -c 2 (prefork), broker {REDIS_URL}, database {PG_BENCH_DB}")
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": media, "CELERY_BROKER_URL": REDIS_URL}
    name = f"wqbench{os.getpid()}@localhost"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "2", "-P", "prefork", "-l", "warning",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(Path(media) / "worker.log", "w"),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start; see {media}/worker.log")

        # Cases (their transitions queue the automatic documents: the worker's warm-up).
        ordinary = [make_case(claimants=1 + i % 3, evidence=2 + i % 4, claims=ORDINARY_CLAIMS) for i in range(10)]
        group = make_case(claimants=11, evidence=30, claims=GROUP_CLAIMS)
        wait_until_ready(list(Document.objects.values_list("pk", flat=True)), 120)

        kinds = ["intake_record", "case_summary", "closing_report"]
        cases = [*ordinary, group]
        plan = [(cases[i % len(cases)], kinds[(i // len(cases)) % 3]) for i in range(args.renders)]
        from core import documents

        t0 = time.perf_counter()
        ids = [documents.request(case, kind, regenerate=True)[0].pk for case, kind in plan]
        queued = time.perf_counter() - t0
        counts = wait_until_ready(ids, 600)
        elapsed = time.perf_counter() - t0
        done = Document.objects.filter(pk__in=ids, status="ready")
        pages = [d.pages for d in done]
        sizes = [d.size / 1024 for d in done]
        print(f"{args.renders} documents ({', '.join(f'{k}' for k in kinds)} over 10 ordinary cases and the "
              f"group case; {statistics.mean(pages):.1f} pages and {statistics.mean(sizes):.0f} KiB on average)")
        print(f"  asked for in {queued:.2f} s; all {counts} after {elapsed:.2f} s")
        print(f"  throughput: {args.renders / elapsed:.1f} documents/s with 2 worker processes")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        recreate_bench_database()  # leave an empty database behind, not the benchmark's rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20, help="renders per kind and variant (default 20)")
    parser.add_argument("--fallback-n", type=int, default=2, help="renders per kind without HarfBuzz (0: skip)")
    parser.add_argument("--renders", type=int, default=200, help="documents through the worker (default 200)")
    parser.add_argument("--no-worker", action="store_true", help="skip the Celery worker part")
    parser.add_argument("--database-url", help="for the in-process part (default: a throwaway SQLite file)")
    parser.add_argument("--json", help="also write the in-process figures to this file")
    parser.add_argument("--phase", choices=["in-process", "worker"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase == "in-process":
        return part_in_process(args)
    if args.phase == "worker":
        return part_worker(args)
    # Each part configures Django differently (SQLite and eager; PostgreSQL and Redis), so each runs
    # in a process of its own.
    base = [sys.executable, __file__, "-n", str(args.n), "--fallback-n", str(args.fallback_n), "--renders", str(args.renders)]
    if args.database_url:
        base += ["--database-url", args.database_url]
    if args.json:
        base += ["--json", args.json]
    status = subprocess.call([*base, "--phase", "in-process"])
    if not args.no_worker:
        status = subprocess.call([*base, "--phase", "worker"]) or status
    sys.exit(status)


if __name__ == "__main__":
    main()
