"""The two beat sweeps of mediation, set-based: a handful of queries however many rows.

- `sweep_deadlines(today)`: mediations past their deadline without agreement `expire` to `failed`
  (court referrals are returned to the court and its liaison told); the mediator and the
  supervisors are warned WEIQUAN_MEDIATION_WARNING_DAYS (3) days before a deadline.
- `sweep_performance(today)`: an agreement whose recorded payments cover its total is `fulfil`led;
  one with an instalment still unpaid when its grace period has run out is `default`ed, and the
  mediator is told the next legal step (payment order, enforcement, or arbitration).

How a sweep changes state: one conditional `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)
AND state = … RETURNING …` per source state, then one bulk journal insert (`journal.record_many`:
the same hash chain and lock as single events, one COPY on PostgreSQL) and one bulk notification
insert (COPY into a scratch table, one INSERT … ON CONFLICT DO NOTHING), all in one transaction. This is the only place besides `services` that moves a mediation's state, and it
records exactly what the `expire`/`fulfil`/`default` transitions would. Two sweeps at once: a row
is taken by exactly one of them (the other skips the locked row, and re-checks the state of any
row it does take), and the notifications' unique key lets each warning through once.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from casework import journal
from casework import rules_of_law as law
from casework.models import Case, Notification
from casework.permissions import Role

from .models import COURT_SOURCES, DEADLINE_STATES, PERFORMANCE_STATES, Agreement, Instalment, Mediation, MediationState
from .services import EXPIRY_REASON, NEXT_STEP_TEXT, payment_cutoff

S = MediationState
RETURNING = ["id", "number", "source", "court_id", "mediator_id", "case_id", "agreement_id", "deadline"]


def _q(name):
    return connection.ops.quote_name(name)


def claim_transition(queryset, *, source: str, target: str, assignments: dict) -> list[dict]:
    """Move every row of `queryset` that is in `source` to `target` in one statement; return the
    rows moved (RETURNING). `assignments` maps a column to a value, or to ("SQL", [params]).

    The ids come from a sub-select that locks them and skips rows someone else holds (PostgreSQL;
    SQLite writes one at a time anyway), and the UPDATE re-checks the state, so a row another
    sweep or a person moved first is left alone.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim_transition() runs inside a transaction")
    ids = queryset.filter(state=source).order_by().values("pk")
    if connection.features.has_select_for_update_skip_locked:
        ids = ids.select_for_update(skip_locked=True, of=("self",))
    sub_sql, sub_params = ids.query.sql_with_params()
    ops = connection.ops
    sets, params = [f"{_q('state')} = %s", f"{_q('updated_at')} = %s"], [target, ops.adapt_datetimefield_value(timezone.now())]
    for column, value in assignments.items():
        if isinstance(value, tuple):
            sql, extra = value
            sets.append(f"{_q(column)} = {sql}")
            params.extend(extra)
        else:
            sets.append(f"{_q(column)} = %s")
            params.append(ops.adapt_datefield_value(value) if isinstance(value, datetime.date) else value)
    table = _q(Mediation._meta.db_table)
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} WHERE {_q('id')} IN ({sub_sql}) AND {_q('state')} = %s "
        f"RETURNING {', '.join(_q(c) for c in RETURNING)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *sub_params, source])
        rows = cursor.fetchall()
    out = []
    for row in rows:
        item = dict(zip(RETURNING, row))
        if isinstance(item["deadline"], str):  # SQLite hands dates back as text from raw SQL
            item["deadline"] = datetime.date.fromisoformat(item["deadline"])
        item["from_state"] = source
        out.append(item)
    return out


# --------------------------------------------------------------------------------------------------
# Notifications in bulk (the same rows casework.services.notify writes, once per recipient and key)
# --------------------------------------------------------------------------------------------------


def notify_many(items) -> int:
    """`items`: (recipient_id, object_id, key, message) about mediations. Inserts those not sent yet
    (the unique (recipient, key) decides, also against a sweep running at the same time) in a
    constant number of statements, and e-mails the new ones after the commit. Returns how many
    were new."""
    seen, rows = set(), []
    for recipient_id, object_id, key, message in items:
        if recipient_id is None or (recipient_id, key) in seen:
            continue
        seen.add((recipient_id, key))
        rows.append((recipient_id, str(object_id), key, message))
    if not rows:
        return 0
    ct = ContentType.objects.get_for_model(Mediation).pk
    now = timezone.now()
    table = _q(Notification._meta.db_table)
    columns = "recipient_id, content_type_id, object_id, key, message, created_at, emailed"
    created = []  # (id, recipient_id)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a scratch table, then one INSERT … ON CONFLICT DO NOTHING: the fast way in,
            # and a warning another sweep inserted first is skipped, not an error.
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS mediation_notify_buffer "
                           "(r bigint, o text, k text, m text, n serial) ON COMMIT DROP")
            cursor.execute("TRUNCATE mediation_notify_buffer")
            with cursor.copy("COPY mediation_notify_buffer (r, o, k, m) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT r, %s, o, k, m, %s, false FROM mediation_notify_buffer "
                "ORDER BY n ON CONFLICT (recipient_id, key) DO NOTHING RETURNING id, recipient_id",
                [ct, now],
            )
            created = cursor.fetchall()
        else:
            stamp = connection.ops.adapt_datetimefield_value(now)
            for start in range(0, len(rows), 500):
                chunk = rows[start:start + 500]
                values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
                params = [v for r, o, k, m in chunk for v in (r, ct, o, k, m, stamp, False)]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {values} "
                    "ON CONFLICT (recipient_id, key) DO NOTHING RETURNING id, recipient_id",
                    params,
                )
                created.extend(cursor.fetchall())
    if created:
        with_email = set(get_user_model().objects.filter(pk__in={r for _i, r in created}).exclude(email="")
                         .values_list("pk", flat=True))
        to_mail = [i for i, r in created if r in with_email]
        if to_mail:
            transaction.on_commit(lambda: _email(to_mail), robust=True)
    return len(created)


def _email(ids):
    from casework import services as casework_services

    for note in Notification.objects.filter(pk__in=ids, emailed=False).select_related("recipient"):
        casework_services._email(note)


def _people():
    """(active supervisors' ids, {court id: [active liaison ids]})."""
    User = get_user_model()
    supervisors = list(User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).values_list("pk", flat=True))
    liaisons = {}
    for pk, court_id in User.objects.filter(groups__name=Role.COURT_LIAISON, is_active=True).values_list(
        "pk", "profile__organisation_id"
    ):
        liaisons.setdefault(court_id, []).append(pk)
    return supervisors, liaisons


def _case_people(case_ids):
    """{case id: [ids of who follows it]}: the handler, or the supervisors when it has none."""
    out = {}
    if not case_ids:
        return out
    for pk, number, handler_id, active in Case.objects.filter(pk__in=case_ids).values_list(
        "pk", "number", "handler_id", "handler__is_active"
    ):
        out[pk] = (number, [handler_id] if handler_id and active else None)
    return out


# --------------------------------------------------------------------------------------------------
# The deadline sweep
# --------------------------------------------------------------------------------------------------


def sweep_deadlines(*, today=None, issue_documents=True) -> dict:
    """Expire what ran out; warn about what runs out soon. Idempotent; safe to run twice at once."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.WEIQUAN_MEDIATION_WARNING_DAYS)
    court_sources = [str(s) for s in COURT_SOURCES]
    returned = (
        f"CASE WHEN {_q('source')} IN (%s, %s) THEN %s ELSE NULL END",
        [*court_sources, connection.ops.adapt_datefield_value(today)],
    )
    result = {"expired": 0, "returned_to_court": 0, "warned": 0, "notifications": 0}
    with transaction.atomic():
        overdue = Mediation.objects.filter(deadline__lt=today)
        expired = []
        for state in DEADLINE_STATES:
            expired += claim_transition(overdue, source=state, target=S.FAILED, assignments={
                "failure_reason": EXPIRY_REASON, "expired": True, "ended_on": today, "returned_to_court_on": returned,
            })
        journal.record_many(
            ((Mediation, m["id"], "expire", m["from_state"], S.FAILED, {
                "deadline": m["deadline"], "returned_to_court": m["source"] in court_sources, "sweep": today,
            }) for m in expired),
            comment="调解期限届满未达成协议（期限巡检）",
        )
        supervisors, liaisons = _people()
        cases = _case_people({m["case_id"] for m in expired if m["case_id"]})
        notes = []
        courts = {}
        if any(m["source"] in court_sources for m in expired):
            from casework.models import Organisation

            courts = dict(Organisation.objects.filter(pk__in={m["court_id"] for m in expired if m["court_id"]}).values_list("pk", "name"))
        for m in expired:
            text = f"调解 {m['number']} 的期限已于 {m['deadline']:%Y-%m-%d} 届满，未达成调解协议，调解终结。"
            notes.append((m["mediator_id"], m["id"], f"mediation:{m['id']}:expired", text + "请出具调解终结书。"))
            if m["source"] in court_sources:
                result["returned_to_court"] += 1
                for liaison in liaisons.get(m["court_id"], []):
                    notes.append((liaison, m["id"], f"mediation:{m['id']}:returned_to_court",
                                  f"{courts.get(m['court_id'], '')}委派/委托的{text}已退回法院依法处理。"))
            if m["case_id"]:
                number, people = cases.get(m["case_id"], ("", None))
                for person in people or supervisors:
                    notes.append((person, m["id"], f"mediation:{m['id']}:case_follow_up",
                                  f"案件 {number} 的{text}可申请劳动仲裁或提起诉讼。"))
        due = Mediation.objects.filter(state__in=DEADLINE_STATES, deadline__gte=today, deadline__lte=horizon).values_list(
            "pk", "number", "deadline", "mediator_id"
        )
        warned = 0
        for pk, number, deadline, mediator_id in due:
            warned += 1
            days = (deadline - today).days
            text = (f"调解 {number} 将于 {deadline:%Y-%m-%d} 期满（还有 {days} 天）"
                    f"{'，尚未指定调解员' if mediator_id is None else ''}：请抓紧调解；需延长的，须在期满前取得双方同意。")
            for person in ([mediator_id] if mediator_id else []) + supervisors:
                notes.append((person, pk, f"mediation:{pk}:deadline_warning:{deadline}", text))
        result["expired"] = len(expired)
        result["warned"] = warned
        result["notifications"] = notify_many(notes)
    if issue_documents and expired:
        _issue_after_commit([m["id"] for m in expired], "termination_notice")
    return result


def _issue_after_commit(ids, kind):
    from . import tasks

    def queue():
        eager = tasks.issue_documents.app.conf.task_always_eager
        for start in range(0, len(ids), 200):
            chunk = ids[start:start + 200]
            # No broker: run it here (as casework.tasks.queue_render does), without a round trip.
            tasks.issue_documents(chunk, kind) if eager else tasks.issue_documents.delay(chunk, kind)

    transaction.on_commit(queue, robust=True)


# --------------------------------------------------------------------------------------------------
# The performance sweep
# --------------------------------------------------------------------------------------------------


def sweep_performance(*, today=None) -> dict:
    """Fulfil agreements paid in full; default those with an instalment overdue past the grace."""
    today = today or timezone.localdate()
    cutoff = payment_cutoff(today)
    result = {"fulfilled": 0, "defaulted": 0, "notifications": 0, "cutoff": cutoff}
    with transaction.atomic():
        paid_up = Mediation.objects.filter(agreement__total__gt=0, agreement__amount_paid__gte=F("agreement__total"))
        fulfilled = []
        for state in PERFORMANCE_STATES:
            fulfilled += claim_transition(paid_up, source=state, target=S.FULFILLED, assignments={"fulfilled_on": today})
        overdue = Mediation.objects.filter(Exists(Instalment.objects.filter(
            agreement_id=OuterRef("agreement_id"), paid__lt=F("amount"), due_on__lte=cutoff,
        )))
        agreements = _q(Agreement._meta.db_table)
        bases = list(law.PAYMENT_ORDER_AGREEMENT_BASES)
        step_sql = (
            f"CASE WHEN (SELECT a.{_q('basis')} FROM {agreements} a WHERE a.{_q('id')} = {_q(Mediation._meta.db_table)}.{_q('agreement_id')})"
            f" IN ({', '.join(['%s'] * len(bases))}) THEN %s ELSE %s END",
            [*bases, "payment_order", "arbitration"],
        )
        defaulted = claim_transition(overdue, source=S.AGREED, target=S.DEFAULTED,
                                     assignments={"defaulted_on": today, "next_step": step_sql})
        defaulted += claim_transition(overdue, source=S.CONFIRMED, target=S.DEFAULTED,
                                      assignments={"defaulted_on": today, "next_step": "enforcement"})
        money = dict(
            (pk, (total, paid)) for pk, total, paid in Agreement.objects.filter(
                pk__in=[m["agreement_id"] for m in fulfilled + defaulted]
            ).values_list("pk", "total", "amount_paid")
        ) if fulfilled or defaulted else {}
        steps = dict(Mediation.objects.filter(pk__in=[m["id"] for m in defaulted]).values_list("pk", "next_step")) if defaulted else {}
        journal.record_many(
            [(Mediation, m["id"], "fulfil", m["from_state"], S.FULFILLED, {
                "total": money[m["agreement_id"]][0], "paid": money[m["agreement_id"]][1], "sweep": today,
            }) for m in fulfilled]
            + [(Mediation, m["id"], "default", m["from_state"], S.DEFAULTED, {
                "next_step": steps[m["id"]], "total": money[m["agreement_id"]][0], "paid": money[m["agreement_id"]][1],
                "cutoff": cutoff, "sweep": today,
            }) for m in defaulted],
            comment="协议履行巡检",
        )
        supervisors, _liaisons = _people()
        cases = _case_people({m["case_id"] for m in fulfilled if m["case_id"]})
        notes = []
        for m in fulfilled:
            if m["case_id"]:
                number, people = cases.get(m["case_id"], ("", None))
                total, paid = money[m["agreement_id"]]
                for person in people or supervisors:
                    notes.append((person, m["id"], f"mediation:{m['id']}:case_can_resolve",
                                  f"调解 {m['number']} 的协议已履行完毕（¥{paid:,.2f}）：案件 {number} 可以“调解成功”办结。"))
        for m in defaulted:
            total, paid = money[m["agreement_id"]]
            text = (f"调解 {m['number']} 的协议未按期履行（已履行 ¥{paid:,.2f}，协议总额 ¥{total:,.2f}）。"
                    f"下一步：{NEXT_STEP_TEXT[steps[m['id']]]}")
            for person in [m["mediator_id"]] if m["mediator_id"] else supervisors:
                notes.append((person, m["id"], f"mediation:{m['id']}:defaulted", text))
        result["fulfilled"] = len(fulfilled)
        result["defaulted"] = len(defaulted)
        result["notifications"] = notify_many(notes)
    return result
