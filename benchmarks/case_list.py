#!/usr/bin/env python
"""Benchmark the web case list at 100,000 cases (a script, not a test).

    .venv/bin/python benchmarks/case_list.py            # 100,000 cases on PostgreSQL
    .venv/bin/python benchmarks/case_list.py -n 20000

Creates postgres://postgres@127.0.0.1:5432/wq_bench_list afresh, migrates it, fills it with
`bulk_create` (cases with a claimant, a respondent, a category and a claim each; the journal and the
task layer are not needed for a list), then signs in as a supervisor with Django's test client and
times list pages: the first, one deep in the middle, the last, a filtered one and a search. Prints
median milliseconds over --repeat runs and the number of SQL queries per page, which must not grow
with the table (tests/casework/test_views.py checks that on a small one).
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB = "wq_bench_list"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    try:
        import psycopg

        with psycopg.connect(ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True, connect_timeout=2) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB}")
            conn.execute(f"CREATE DATABASE {DB}")
    except Exception as exc:  # noqa: BLE001
        print(f"case_list: skipped, no PostgreSQL on 127.0.0.1:5432 ({exc.__class__.__name__})")
        return 0

    os.environ.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}", CELERY_BROKER_URL="",
                      DJANGO_SETTINGS_MODULE="config.test_settings", ALLOWED_HOSTS="testserver")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from casework.models import Case, CaseClaimant, Claim
    from core.models import Category, Organisation, Worker, resident_id_digest
    from tests.scenarios import make_user, valid_credit_code, valid_resident_id

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    boss = make_user("supervisor", username="bench.chief")
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"基准平台{i}有限公司", kind="platform", credit_code=valid_credit_code(10_000 + i)) for i in range(50)
    )
    workers = []
    for i in range(1000):
        number = valid_resident_id(i, born=datetime.date(1980 + i % 20, 1 + i % 12, 1 + i % 28))
        workers.append(Worker(name=f"骑手{i}", id_number=number, id_number_digest=resident_id_digest(number),
                              phone=f"+86138{i:08d}", occupation="rider"))
    workers = Worker.objects.bulk_create(workers)
    categories = list(Category.objects.all())
    today = timezone.localdate()
    states = ["received", "screening", "accepted", "consulting", "legal_aid", "in_mediation",
              "in_arbitration", "resolved", "closed", "rejected"]
    batch = 5000
    for start in range(0, args.n, batch):
        cases = Case.objects.bulk_create(
            Case(number=f"WQ-2025-{i + 1:06d}", title=f"拖欠配送费 {i}", channel="walk_in", state=states[i % len(states)],
                 received_on=today - datetime.timedelta(days=i % 700), screening_due_on=today - datetime.timedelta(days=i % 700 - 3),
                 limitation_ends_on=today + datetime.timedelta(days=365 - i % 700), handler=boss, is_group=i % 97 == 0)
            for i in range(start, min(args.n, start + batch))
        )
        CaseClaimant.objects.bulk_create(CaseClaimant(case=c, worker=workers[c.pk % len(workers)]) for c in cases)
        Case.respondents.through.objects.bulk_create(
            Case.respondents.through(case=c, organisation=orgs[c.pk % len(orgs)]) for c in cases)
        Case.categories.through.objects.bulk_create(
            Case.categories.through(case=c, category=categories[c.pk % len(categories)]) for c in cases)
        Claim.objects.bulk_create(
            Claim(case=c, category=categories[c.pk % len(categories)], description="支付拖欠报酬", amount=3200) for c in cases)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"case_list: {args.n:,} cases created in {time.perf_counter() - started:.0f} s")

    client = Client()
    client.force_login(boss)
    pages = args.n // 25
    urls = {
        "page 1": "/casework/cases/",
        f"page {pages // 2}": f"/casework/cases/?page={pages // 2}",
        f"page {pages} (last)": f"/casework/cases/?page={pages}",
        "state=accepted, page 2": "/casework/cases/?state=accepted&page=2",
        "category + overdue": "/casework/cases/?category=unpaid_pay&overdue=on",
        "search by worker name": "/casework/cases/?q=骑手77",
        "search by case number": f"/casework/cases/?q=WQ-2025-{args.n // 3:06d}",
    }
    print(f"{'page':<28} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    with override_settings(DEBUG=True):
        for label, url in urls.items():
            times = []
            for _ in range(args.repeat):
                reset_queries()
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            print(f"{label:<28} {statistics.median(times):>10.1f} {max(times):>8.1f} {len(connection.queries):>8}")
    connection.close()
    import psycopg

    with psycopg.connect(ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
