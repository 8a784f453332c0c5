#!/usr/bin/env python
"""Benchmark mediation's bulk paths on PostgreSQL (a script, not a test).

    .venv/bin/python benchmarks/mediation.py                 # 10,000 referrals; sweeps over 100,000
    .venv/bin/python benchmarks/mediation.py --rows 2000 -n 20000
    .venv/bin/python benchmarks/mediation.py --worst-case    # also: every deadline already passed

Creates postgres://postgres@127.0.0.1:5432/wq_bench_mediation afresh and migrates it, then:

1. Import: a court's referral list of --rows rows (GBK CSV, one claimant and two claims each, every
   claimant a new worker), through `mediation.importers.import_referrals` as the court's liaison,
   with the progress callback; then the same file again (every row a duplicate). Target: ≥ 1,000
   rows/s. Prints rows/s and SQL queries.
2. Sweeps: -n open mediations written with bulk_create (half accepted or in progress with deadlines
   from 20 days ago to 40 days ahead; 40 % agreed or confirmed with two instalments and payments
   that cover, half cover or miss them; the rest referred or awaiting confirmation), then
   `services.sweep_deadlines` and `services.sweep_performance`, each timed with the number of queries
   (django.test.utils.CaptureQueriesContext), and run a second time (nothing left to do). Target:
   ≤ 5 s each. With --worst-case, a further run in which every accepted/in-progress mediation is
   past its deadline.
The web interface's inbox tasks follow the journal in the same transactions (core.workflow);
--no-inbox leaves them out, to separate their cost from mediation's own. --sections prints, for
each sweep's first run, the time in the claiming UPDATEs, the journal, the notices and the
constraint checks the COMMIT would run (see Sections).
The journal is verified at the end (its time printed too).
"""

import argparse
import datetime
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "wq_bench_mediation"


def fresh_database(name):
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=2) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000, help="referrals in the imported list")
    parser.add_argument("-n", type=int, default=100_000, help="open mediations for the sweeps")
    parser.add_argument("--worst-case", action="store_true", help="also sweep with every deadline passed")
    parser.add_argument("--only-worst-case", action="store_true", help="the worst case alone (no import, no ordinary sweeps)")
    parser.add_argument("--database", default=DB, help=f"the scratch database (default {DB}; dropped and created)")
    parser.add_argument("--profile", action="store_true", help="profile each sweep's first run (cProfile, top 30)")
    parser.add_argument("--sections", action="store_true",
                        help="print where each sweep's first run spends its time: the UPDATEs, the journal, "
                             "the notices, the deferred constraint checks a COMMIT runs")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/3",
                        help="where the sweeps queue their documents (nobody consumes it; purged at the end)")
    parser.add_argument("--no-inbox", action="store_true",
                        help="without the web interface's inbox tasks (core.workflow.follow_journal), "
                             "to see what the mediation code itself costs")
    args = parser.parse_args()

    try:
        fresh_database(args.database)
    except Exception as exc:  # noqa: BLE001
        print(f"mediation: skipped, no PostgreSQL on 127.0.0.1:5432 ({exc.__class__.__name__})")
        return 0

    # A real broker that nobody consumes: the sweeps queue the documents they issue (termination
    # notices), as in production, and the time to queue them counts; the queue is purged afterwards.
    os.environ.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{args.database}", CELERY_BROKER_URL=args.broker,
                      DJANGO_SETTINGS_MODULE="config.test_settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from config.celery import app

    app.control.purge()
    if args.no_inbox:
        from core import journal

        journal.recorded.disconnect(dispatch_uid="core.workflow.follow_journal")
    print(f"inbox tasks follow the journal: {'no (--no-inbox)' if args.no_inbox else 'yes'}")
    print(f"database: {args.database} (PostgreSQL {connection.cursor().connection.info.server_version // 10000}), "
          f"{os.cpu_count()} CPU(s)")
    people = setup_people()
    if not args.only_worst_case:
        bench_import(args.rows, people, CaptureQueriesContext, connection)
        populate(args.n, people, inbox=not args.no_inbox)
        bench_sweeps("sweeps over open mediations", CaptureQueriesContext, connection, profile=args.profile,
                     sections=args.sections)
    if args.worst_case or args.only_worst_case:
        populate(args.n, people, offset=args.n, all_overdue=True, label="3. worst case:", inbox=not args.no_inbox)
        bench_sweeps("worst case: every accepted/in-progress mediation past its deadline", CaptureQueriesContext,
                     connection, performance=False, profile=args.profile, sections=args.sections)

    from config.celery import app

    print(f"documents queued for the workers: {app.control.purge():,} task(s), purged")
    from core import journal

    started = time.perf_counter()
    checked, broken = journal.verify()
    print(f"journal.verify(): {checked:,} events in {time.perf_counter() - started:.1f} s, "
          f"{'intact' if broken is None else f'BROKEN at {broken}'}")
    return 0 if broken is None else 1


# --------------------------------------------------------------------------------------------------


def setup_people():
    from core.models import Organisation
    from tests.scenarios import make_user, valid_credit_code

    court = Organisation.objects.create(name="厦门市思明区人民法院（基准）", kind="court", credit_code=valid_credit_code(90_001))
    platforms = Organisation.objects.bulk_create(
        Organisation(name=f"基准出行平台{i}有限公司", kind="platform", credit_code=valid_credit_code(90_100 + i))
        for i in range(20)
    )
    # Staff without e-mail addresses: the sweeps' notifications are rows, no mail goes out.
    supervisor = make_user("supervisor", username="bench.chief", email="")
    mediators = [make_user("mediator", username=f"bench.mediator{i}", email="") for i in range(10)]
    liaison = make_user("court_liaison", username="bench.liaison", organisation=court, email="")
    return {"court": court, "platforms": platforms, "supervisor": supervisor, "mediators": mediators, "liaison": liaison}


def referral_csv(rows, people, start=0) -> bytes:
    from tests.scenarios import valid_resident_id

    court = people["court"].name
    lines = ["法院,案号,调解类型,适用程序,委派日期,案由,申请人,身份证号码,联系电话,被申请人,请求事项,金额"]
    referred = (datetime.date.today() - datetime.timedelta(days=3)).isoformat()
    for i in range(start, start + rows):
        born = datetime.date(1975, 1, 1) + datetime.timedelta(days=37 * (i // 1000))
        id_number = valid_resident_id(i % 1000, born=born)
        platform = people["platforms"][i % 20].name
        lines.append(
            f"{court},（2026）闽0203民诉前调{i + 1}号,委派,普通程序,{referred},网约车司机被封号停单,司机{i},{id_number},"
            f"138{i:08d},{platform},恢复账号;赔偿收入损失,0;{1000 + i % 50000}"
        )
    return ("\n".join(lines) + "\n").encode("gbk")


def bench_import(rows, people, CaptureQueriesContext, connection):
    from mediation import importers

    data = referral_csv(rows, people)
    print(f"\n1. Import: {rows:,} referrals, GBK CSV ({len(data) / 1024:,.0f} KiB), as the court liaison")
    for label in ("first import", "same file again"):
        ticks = []
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            report = importers.import_referrals(
                actor=people["liaison"], data=data, filename="bench.csv", court=people["court"],
                progress=lambda done, total, r: ticks.append(done),
            )
        elapsed = time.perf_counter() - started
        print(f"   {label:<16} {elapsed:6.2f} s  {rows / elapsed:8,.0f} rows/s  created {report.created:,}, "
              f"duplicates {report.duplicates:,}, refused {report.refused:,}  "
              f"{len(queries):,} queries ({len(queries) / rows:.2f}/row)  progress calls {len(ticks)}  "
              f"[{'OK' if rows / elapsed >= 1000 else 'BELOW TARGET'} ≥ 1,000 rows/s]")


def populate(n, people, offset=0, all_overdue=False, label="2.", inbox=True):
    """n open mediations with bulk_create (no journal: the sweeps' events are what is measured),
    each with the inbox task its state calls for unless `inbox` is off, as in a live system."""
    from django.db.models import Count
    from django.utils import timezone

    from mediation.models import Agreement, Instalment, Mediation, Payment

    today = timezone.localdate()
    started = time.perf_counter()
    court, mediators = people["court"], people["mediators"]
    batch = 10_000
    for start in range(offset, offset + n, batch):
        rows = []
        for i in range(start, min(start + batch, offset + n)):
            kind = i % 10
            source = ("union", "court_pre_suit", "court_in_suit")[i % 3]
            extra = {}
            if all_overdue or kind < 5:  # accepted or in progress, deadline from 20 days ago to 39 days ahead
                state = "in_progress" if kind % 2 else "accepted"
                extra = {"accepted_on": today - datetime.timedelta(days=45), "period_started_on": today - datetime.timedelta(days=45),
                         "deadline": today - datetime.timedelta(days=1 + i % 7) if all_overdue
                         else today + datetime.timedelta(days=(i % 60) - 20)}
            elif kind < 9:  # agreed or confirmed, with an agreement (set below)
                state = "confirmed" if kind == 8 else "agreed"
            else:
                state = "referred" if i % 2 else "confirmation_pending"
            rows.append(Mediation(
                number=f"TJ-2025-{i + 1:06d}", state=state, source=source,
                procedure="simple" if source == "court_in_suit" else "",
                title="网约车司机被封号停单", court=None if source == "union" else court,
                court_case_number="" if source == "union" else f"（2025）基准{i + 1}号",
                referred_on=today - datetime.timedelta(days=60), mediator=mediators[i % len(mediators)], **extra,
            ))
        Mediation.objects.bulk_create(rows, batch_size=2000)
        with_agreement = [m for m in rows if m.state in ("agreed", "confirmed", "confirmation_pending")]
        agreements = Agreement.objects.bulk_create([
            Agreement(mediation=m, version=1, total=Decimal("20000"), basis=("wages", "compensation", "other")[m.pk % 3],
                      signed_on=today - datetime.timedelta(days=40), effective_on=today - datetime.timedelta(days=40))
            for m in with_agreement
        ], batch_size=2000)
        instalments, payments = [], []
        for m, a in zip(with_agreement, agreements):
            mode = m.pk % 4  # 0: paid in full, 1: first instalment paid, 2: nothing paid (overdue), 3: not due yet
            first_due = today - datetime.timedelta(days=30) if mode < 3 else today + datetime.timedelta(days=10)
            i1 = Instalment(agreement=a, seq=1, due_on=first_due, amount=Decimal("10000"), paid=Decimal("10000") if mode < 2 else 0)
            i2 = Instalment(agreement=a, seq=2, due_on=today + (datetime.timedelta(days=-20) if mode == 0 else datetime.timedelta(days=20)),
                            amount=Decimal("10000"), paid=Decimal("10000") if mode == 0 else 0)
            instalments += [i1, i2]
            a.amount_paid = Decimal("20000") if mode == 0 else Decimal("10000") if mode == 1 else Decimal("0")
        Instalment.objects.bulk_create(instalments, batch_size=5000)
        for inst in instalments:
            if inst.paid:
                payments.append(Payment(mediation_id=inst.agreement.mediation_id, agreement=inst.agreement,
                                        instalment=inst, amount=inst.paid, paid_on=today - datetime.timedelta(days=25)))
        Payment.objects.bulk_create(payments, batch_size=5000)
        Agreement.objects.bulk_update(agreements, ["amount_paid"], batch_size=5000)
        for m, a in zip(with_agreement, agreements):
            m.agreement = a
        Mediation.objects.bulk_update(with_agreement, ["agreement"], batch_size=5000)
        if inbox:
            from django.db import transaction

            from mediation.flows import MediationFlow

            with transaction.atomic():
                MediationFlow.instance.sync_many([m.pk for m in rows])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts = dict(Mediation.objects.order_by().values_list("state").annotate(c=Count("id")))
    print(f"\n{label} {n:,} open mediations written in {time.perf_counter() - started:.1f} s; now in the table: "
          + ", ".join(f"{s} {c:,}" for s, c in sorted(counts.items())))


def catch_up(events_before):
    """A sweep that moved more than WEIQUAN_NOTICES_INLINE_MAX / WEIQUAN_INBOX_SYNC_INLINE_MAX rows
    owes its notices and queued the inbox's update for the workers (core.tasks.send_pending_notices,
    core.tasks.sync_inbox; nobody consumes the queue here): run them here, as a worker would, and
    time them."""
    from django.conf import settings
    from django.db import transaction

    from core.models import Event
    from core.workflow import FLOWS
    from mediation.models import Mediation

    from core import notices
    from core.models import Notification, PendingNotices

    if PendingNotices.objects.exists():
        before, started = Notification.objects.count(), time.perf_counter()
        owed = sum(len(p.ids) for p in PendingNotices.objects.all())
        notices.send_pending()
        print(f"   {'':<18} {'':<10} notices about {owed:,} objects the sweep owed, sent on a worker after the "
              f"commit: {time.perf_counter() - started:.2f} s, +{Notification.objects.count() - before:,} notifications")
    ids = list(Event.objects.filter(pk__gt=events_before, content_type__model="mediation")
               .exclude(from_state="").values_list("object_id", flat=True).distinct())
    if len(ids) <= settings.WEIQUAN_INBOX_SYNC_INLINE_MAX:
        return
    started = time.perf_counter()
    with transaction.atomic():
        FLOWS[Mediation].instance.sync_many([int(i) for i in ids])
    print(f"   {'':<18} {'':<10} inbox of those {len(ids):,} mediations brought in step on a worker "
          f"after the commit: {time.perf_counter() - started:.2f} s")


class Sections:
    """Wall time spent in the parts of a set-based transition, summed over a sweep's calls: the
    claiming UPDATEs, the journal, the notices (and their storing), and the constraint checks
    PostgreSQL defers to the COMMIT (run here at the end of the sweep's transaction)."""

    PARTS = (("core.transitions", "_claim"), ("core.journal", "record_many"), ("core.notices", "send"),
             ("core.notices", "store"))

    def __init__(self):
        import collections
        import importlib

        self.spent = collections.defaultdict(float)
        self.originals = []
        for module_name, name in self.PARTS:
            module = importlib.import_module(module_name)
            self.originals.append((module, name, getattr(module, name)))

    def timed(self, label, call):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - started
        return wrapper

    def run(self, call):
        from django.db import connection, transaction

        for module, name, original in self.originals:
            setattr(module, name, self.timed(f"{module.__name__}.{name}", original))
        try:
            with transaction.atomic():
                result = call()
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                self.spent["deferred constraint checks (at COMMIT)"] += time.perf_counter() - started
        finally:
            for module, name, original in self.originals:
                setattr(module, name, original)
        return result

    def print(self):
        for label, seconds in sorted(self.spent.items(), key=lambda kv: -kv[1]):
            within = "  (within core.notices.send)" if label == "core.notices.store" else ""
            print(f"   {'':<18} {seconds:6.2f} s  {label}{within}")


def cpu_seconds(connection) -> tuple[float, float]:
    """CPU time used so far by this process and by its PostgreSQL backend (read from /proc: the
    server runs on this machine): on a noisy machine, wall time says how long others let it run,
    CPU time what the sweep itself cost."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except OSError:
        server = float("nan")
    return time.process_time(), server


def bench_sweeps(label, CaptureQueriesContext, connection, performance=True, profile=False, sections=False):
    from core.models import Event, Notification
    from mediation import services as sweeps

    print(f"   {label}:")
    runs = [("sweep_deadlines", sweeps.sweep_deadlines)]
    if performance:
        runs.append(("sweep_performance", sweeps.sweep_performance))
    for name, call in runs:
        for attempt in ("first run", "second run"):
            parts = None
            events, notes = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0, Notification.objects.count()
            cpu = cpu_seconds(connection)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                if profile and attempt == "first run":
                    import cProfile
                    import pstats

                    profiler = cProfile.Profile()
                    result = profiler.runcall(call)
                elif sections and attempt == "first run":
                    parts = Sections()
                    result = parts.run(call)
                else:
                    result = call()
            elapsed = time.perf_counter() - started
            client_cpu, server_cpu = (after - before for after, before in zip(cpu_seconds(connection), cpu))
            if profile and attempt == "first run":
                pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(30)
                print("   the slowest statements:")
                for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:10]:
                    print(f"   {float(q['time']):6.2f} s  {q['sql'][:260]}")
            result = {k: v for k, v in result.items() if k != "cutoff"}
            print(f"   {name:<18} {attempt:<10} {elapsed:6.2f} s  {len(queries):>3} queries  {result}  "
                  f"+{Event.objects.filter(pk__gt=events).count():,} events, +{Notification.objects.count() - notes:,} notifications"
                  f"  [{'OK' if elapsed <= 5 else 'ABOVE TARGET'} ≤ 5 s]")
            print(f"   {'':<18} {'':<10} CPU {client_cpu:.2f} s here + {server_cpu:.2f} s in its PostgreSQL backend"
                  " (the work itself, whatever else the machine is doing)")
            if parts is not None:
                parts.print()
            catch_up(events)


if __name__ == "__main__":
    sys.exit(main())
