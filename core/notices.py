"""Notifications: who is told what, declared with a transition, sent set-based.

A transition declares its notices (core/transitions.py):

    Notice("defaulted", to=Field("mediator").otherwise(RoleMembers(Role.SUPERVISOR)),
           text=_("调解 %(number)s 的协议未按期履行…"), context={"number": "number", "paid": ("agreement__amount_paid", money)})

and both ways of running it call `send(model, notices, ids)`: the rows are read with the fields
the notices need (a few queries whatever the number of ids), each notice's recipients are
resolved for all rows at once, and each person gets one notification per object, or, when a
set-based transition tells them about several objects, one digest listing them all. Every
notification is keyed: the same key for the same person is stored once, even when two sweeps run
at once; e-mail goes out only after the transaction commits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Notification, PendingNotices
from .transitions import chunks, declaration

# Items a digest's message lists before "…": the notification's `items` keeps them all.
DIGEST_LINES = 20


def money(value) -> str:
    return f"¥{value:,.2f}" if value is not None else "—"


def day(value) -> str:
    return value.isoformat() if value else ""


# --------------------------------------------------------------------------------------------------
# Recipients: resolved for many rows at once
# --------------------------------------------------------------------------------------------------


class Recipients:
    """Who a notice goes to, for each row: `resolve(rows)` -> {row pk: [user ids]}."""

    fields: tuple[str, ...] = ()

    def resolve(self, rows) -> dict:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def otherwise(self, fallback: "Recipients") -> "Recipients":
        return Otherwise(self, fallback)

    def __add__(self, other: "Recipients") -> "Recipients":
        return Both(self, other)


class Field(Recipients):
    """The active user in one of the row's foreign keys ("mediator", "handler")."""

    def __init__(self, name: str):
        self.name = name
        self.fields = (f"{name}_id",)

    def resolve(self, rows):
        column = self.fields[0]
        ids = {row[column] for row in rows if row[column] is not None}
        active = set(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
        return {row["pk"]: [row[column]] if row[column] in active else [] for row in rows}


class RoleMembers(Recipients):
    """Every active user of a role (the supervisors)."""

    def __init__(self, role: str):
        self.role = role

    def resolve(self, rows):
        users = list(get_user_model().objects.filter(groups__name=self.role, is_active=True)
                     .order_by("pk").values_list("pk", flat=True))
        return {row["pk"]: users for row in rows}


class RoleOfOrganisation(Recipients):
    """Active users of a role whose staff profile names the organisation in one of the row's
    foreign keys (a court's liaisons)."""

    def __init__(self, role: str, organisation_field: str):
        self.role = role
        self.fields = (f"{organisation_field}_id",)

    def resolve(self, rows):
        column = self.fields[0]
        wanted = {row[column] for row in rows if row[column] is not None}
        by_org = defaultdict(list)
        for pk, org in get_user_model().objects.filter(
            groups__name=self.role, is_active=True, profile__organisation_id__in=wanted,
        ).order_by("pk").values_list("pk", "profile__organisation_id"):
            by_org[org].append(pk)
        return {row["pk"]: by_org.get(row[column], []) for row in rows}


class Otherwise(Recipients):
    def __init__(self, first: Recipients, fallback: Recipients):
        self.first, self.fallback = first, fallback
        self.fields = (*first.fields, *fallback.fields)

    def resolve(self, rows):
        first, fallback = self.first.resolve(rows), self.fallback.resolve(rows)
        return {pk: people or fallback.get(pk, []) for pk, people in first.items()}


class Both(Recipients):
    def __init__(self, a: Recipients, b: Recipients):
        self.a, self.b = a, b
        self.fields = (*a.fields, *b.fields)

    def resolve(self, rows):
        a, b = self.a.resolve(rows), self.b.resolve(rows)
        return {pk: list(dict.fromkeys([*a.get(pk, []), *b.get(pk, [])])) for pk in a}


# --------------------------------------------------------------------------------------------------
# Notices
# --------------------------------------------------------------------------------------------------


@dataclass
class Notice:
    """One thing a transition tells people about each object it moved.

    `key` and `text` are %-templates over `context`: name -> attribute path on the object
    ("number", "court__name"), or (path, formatter). `when` (a Q) limits it to some objects;
    `digest` is the first line of a digest ("%(count)d 件…")."""

    key: str
    to: Recipients
    text: Any
    context: dict[str, Any] = field(default_factory=dict)
    when: Q | None = None
    digest: Any = _("%(count)d 件事项需要您处理")
    # Fixed values for the templates (what happened, when one text serves several transitions).
    params: dict[str, Any] = field(default_factory=dict)

    def paths(self) -> dict[str, tuple[str, Callable]]:
        out = {}
        for name, spec in self.context.items():
            path, fmt = (spec, None) if isinstance(spec, str) else spec
            out[name] = (path, fmt or _plain)
        return out


def _plain(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat") and not hasattr(value, "hour"):
        return day(value)
    return value


def columns(notice) -> set[str]:
    """The attribute paths a notice reads off each object (its texts' and its recipients')."""
    return {path for path, _fmt in notice.paths().values()} | set(notice.to.fields)


def send(model, notices, ids, *, transition="", digest=True, rows=None) -> int:
    """Send `notices` about the objects `ids` of `model`; return how many notifications were stored.

    `digest`: one notification per person told about several objects (a set-based transition,
    whose rows are taken once). Warnings a sweep repeats every run are sent with digest=False:
    one keyed notification per object, so a second run adds nothing. `rows` ({id: {path: value}},
    from the change's own UPDATE … RETURNING) spares reading again what a notice for every object
    needs when it has it all."""
    if not notices or not ids:
        return 0
    ids = list(ids)
    prefix = model._meta.model_name
    items = []  # (recipient, object pk, key, message, notice)
    for notice in notices:
        paths = notice.paths()
        wanted = columns(notice)
        if notice.when is None and rows and wanted <= set(next(iter(rows.values()))):
            batches = [[{"pk": pk, **{c: rows[pk][c] for c in wanted}} for pk in ids]]
        else:
            batches = (
                list((model._base_manager.filter(pk__in=chunk).filter(notice.when or Q()))
                     .order_by("pk").values("pk", *wanted))
                for chunk in chunks(ids)
            )
        for rows_ in batches:
            if not rows_:
                continue
            people = notice.to.resolve(rows_)
            # translated once per notice, not once per row
            text, fixed = str(notice.text), {k: str(v) for k, v in notice.params.items()}
            for row in rows_:
                context = {**fixed, **{name: fmt(row[path]) for name, (path, fmt) in paths.items()}}
                key = f"{prefix}:{row['pk']}:{notice.key % context}"
                message = text % context
                for person in people.get(row["pk"], []):
                    items.append((person, row["pk"], key, message, notice))
    return deliver(model, items, transition=transition, digest=digest)


def send_after_commit(model, transition: str, ids, *, digest=True) -> PendingNotices:
    """Owe the notices of `transition` about `ids` and send them once the change has committed, on
    a worker (inline under eager Celery): for a set-based change too large to tell everyone in its
    own transaction (more than WEIQUAN_NOTICES_INLINE_MAX objects). What is owed is a row written
    in that transaction, so a rolled-back change owes nothing and a lost task is sent by the beat."""
    from .tasks import send_pending_notices

    pending = PendingNotices.objects.create(content_type=ContentType.objects.get_for_model(model),
                                            transition=transition, ids=sorted(ids), digest=digest)

    def queue():
        if send_pending_notices.app.conf.task_always_eager:
            send_pending(pending.pk)
        else:
            send_pending_notices.delay(pending.pk)

    transaction.on_commit(queue, robust=True)
    return pending


def send_pending(pk=None) -> int:
    """Send what `send_after_commit` left owed (that one row, or all of them); return how many
    notifications were stored. Each row is taken with SKIP LOCKED and deleted in the transaction
    that sends it: two workers never send one twice."""
    owed = PendingNotices.objects.order_by("pk")
    if pk is not None:
        owed = owed.filter(pk=pk)
    stored = 0
    for row_pk in list(owed.values_list("pk", flat=True)):
        with transaction.atomic():
            taken = PendingNotices.objects.filter(pk=row_pk).select_related("content_type")
            if connection.features.has_select_for_update_skip_locked:
                taken = taken.select_for_update(skip_locked=True, of=("self",))
            row = taken.first()
            if row is None:  # another worker holds it, or has sent it
                continue
            model = row.content_type.model_class()
            stored += send(model, declaration(model, row.transition).notices, row.ids,
                           transition=row.transition, digest=row.digest)
            row.delete()
    return stored


def deliver(model, items, *, transition="", digest=True) -> int:
    """Store `items` ((recipient id, object id, key, message, notice)): one notification per
    recipient and object, or one digest per recipient told about several."""
    ct = ContentType.objects.get_for_model(model).pk
    by_person = defaultdict(list)
    seen = set()
    for person, object_id, key, message, notice in items:
        if (person, key) in seen:
            continue
        seen.add((person, key))
        by_person[person].append((object_id, key, message, notice))
    rows = []
    for person, entries in by_person.items():
        if not digest:
            rows.extend((person, ct, str(o), k, m, []) for o, k, m, _n in entries)
            continue
        if len(entries) == 1:
            object_id, key, message, _notice = entries[0]
            rows.append((person, ct, str(object_id), key, message, []))
            continue
        head = str(entries[0][3].digest) % {"count": len(entries)}
        lines = [f"- {m}" for _o, _k, m, _n in entries[:DIGEST_LINES]]
        if len(entries) > DIGEST_LINES:
            lines.append(str(_("……共 %(count)d 件，详见提醒列表。") % {"count": len(entries)}))
        digest_key = f"digest:{model._meta.model_name}:{transition}:{uuid.uuid4().hex}"
        rows.append((person, ct, "", digest_key, "\n".join([head, *lines]),
                     [[str(o), k, m] for o, k, m, _n in entries]))
    return store(rows)


def store(rows) -> int:
    """Insert notifications ((recipient id, content type id, object id, key, message, items)) not
    stored before (the unique (recipient, key) decides, also against a sweep running at the same
    time), in a constant number of statements; e-mail the new ones after the commit."""
    import json

    if not rows:
        return 0
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = "recipient_id, content_type_id, object_id, key, message, items, created_at, emailed"
    now = timezone.now()
    created = []
    # (a transaction of its own when the caller has none: the scratch table lives until the commit)
    with transaction.atomic(), connection.cursor() as cursor:
        # COPY: a digest lists thousands of objects (a large row), a sweep's warnings are thousands
        # of rows; either way COPY takes them faster than a VALUES list the client has to quote,
        # in the same four statements whatever the number.
        if connection.vendor == "postgresql":
            # COPY into a scratch table, then one INSERT … ON CONFLICT DO NOTHING.
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS core_notify_buffer "
                           "(r bigint, c int, o text, k text, m text, i jsonb, n serial) ON COMMIT DROP")
            cursor.execute("TRUNCATE core_notify_buffer")
            with cursor.copy("COPY core_notify_buffer (r, c, o, k, m, i) FROM STDIN") as copy:
                for r, c, o, k, m, i in rows:
                    copy.write_row((r, c, o, k, m, json.dumps(i, ensure_ascii=False)))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT r, c, o, k, m, i, %s, false FROM core_notify_buffer "
                "ORDER BY n ON CONFLICT (recipient_id, key) DO NOTHING RETURNING id, recipient_id", [now])
            created = cursor.fetchall()
        else:
            stamp = connection.ops.adapt_datetimefield_value(now)
            for start in range(0, len(rows), 500):
                chunk = rows[start:start + 500]
                values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
                params = [v for r, c, o, k, m, i in chunk
                          for v in (r, c, o, k, m, json.dumps(i, ensure_ascii=False), stamp, False)]
                cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values} "
                               "ON CONFLICT (recipient_id, key) DO NOTHING RETURNING id, recipient_id", params)
                created.extend(cursor.fetchall())
    if created:
        with_email = set(get_user_model().objects.filter(pk__in={r for _i, r in created}).exclude(email="")
                         .values_list("pk", flat=True))
        to_mail = [i for i, r in created if r in with_email]
        if to_mail:
            transaction.on_commit(lambda: email(to_mail), robust=True)
    return len(created)


def notify(*, recipient, subject, key, message) -> Notification | None:
    """Tell one person once about one object: the same key for the same person is never stored
    twice, even by two sweeps at once."""
    try:
        with transaction.atomic():
            note = Notification.objects.create(recipient=recipient, subject=subject, key=key, message=message)
    except IntegrityError:
        return None
    if recipient.email:
        # Mail only once the notification row is committed: a rolled-back caller sends nothing.
        transaction.on_commit(lambda: email([note.pk]))
    return note


def email(ids) -> None:
    for note in Notification.objects.filter(pk__in=ids, emailed=False).select_related("recipient"):
        # send_mail returns how many messages went out: 0 when the mail server failed (silently).
        subject = "【维权】" + note.message.splitlines()[0][:40]
        if send_mail(subject, note.message, None, [note.recipient.email], fail_silently=True):
            Notification.objects.filter(pk=note.pk).update(emailed=True)
