"""Celery tasks of the foundation: rendering documents after the transaction that asked for them.

Module tasks (the sweeps) are in each module's `tasks.py`.
"""

from celery import Task, shared_task

from . import documents
from .models import Document


def queue_for_ids(task, label, ids, *rest):
    """Run `task(label, ids, *rest)`: here when there is no broker (eager Celery), else on the
    workers, described in their logs by the number of ids: Celery would otherwise walk through a
    thousand of them to describe each message (a tenth of a second per large sweep)."""
    args = (label, ids, *rest)
    if task.app.conf.task_always_eager:
        return task(*args)
    return task.apply_async(args, argsrepr=f"({label!r}, <{len(ids)} ids>{''.join(f', {r!r}' for r in rest)})")


class _RenderDocumentTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Runs once the retries are used up, or at once for an error a retry cannot fix.
        document_id = args[0] if args else kwargs.get("document_id")
        if document_id is not None:
            documents.mark_failed(document_id, f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True, base=_RenderDocumentTask, name="core.tasks.render_document",
    autoretry_for=(Exception,),
    dont_autoretry_for=(documents.OwnerMissing, documents.UnknownDocumentKind, Document.DoesNotExist),
    max_retries=3, retry_backoff=2, retry_backoff_max=60, retry_jitter=True,
    acks_late=True, ignore_result=True,
)
def render_document(self, document_id):
    """Render and store one pending Document; a ready one is left as it is (safe to run twice)."""
    document = documents.render_and_store(document_id)
    return {"id": document.pk, "status": document.status, "sha256": document.sha256}


def render_document_now(document_id):
    """The same attempts as the task, in this process: for eager mode (no broker configured).

    Celery's eager mode with task_eager_propagates re-raises a task's Retry instead of running the
    retry, so the retry policy is replayed here: up to max_retries + 1 attempts, at once.
    """
    attempts = render_document.max_retries + 1
    for attempt in range(1, attempts + 1):
        try:
            return documents.render_and_store(document_id)
        except render_document.dont_autoretry_for as exc:
            documents.mark_failed(document_id, f"{type(exc).__name__}: {exc}")
            raise
        except Exception as exc:
            if attempt == attempts:
                documents.mark_failed(document_id, f"{type(exc).__name__}: {exc}")
                raise


def queue_render(document_id):
    """Render a document: on a worker when a broker is configured, else right here."""
    if render_document.app.conf.task_always_eager:
        return render_document_now(document_id)
    return render_document.delay(document_id)


@shared_task(name="core.tasks.issue_documents", ignore_result=True)
def issue_documents(label, ids, kinds, actor_id=None):
    """Ask for `kinds` for each object that may have them now (after a set-based transition moved
    them; a transition by a person asks within its own transaction instead)."""
    return documents.issue(label, ids, kinds, actor_id)


@shared_task(name="core.tasks.sync_inbox", ignore_result=True)
def sync_inbox(label, ids):
    """Bring the inbox tasks of these objects in step with their states (after a large
    set-based change: core.workflow.follow_journal)."""
    from django.apps import apps
    from django.db import transaction

    from .workflow import FLOWS

    model = apps.get_model(label)
    with transaction.atomic():
        FLOWS[model].instance.sync_many(ids)


@shared_task(name="core.tasks.checkpoint_journal", ignore_result=True)
def checkpoint_journal():
    """Beat, hourly: verify the journal's chain against the last checkpoint and, if it holds, write
    the next one (docs/journal.md). A broken chain raises and leaves the old checkpoint in place."""
    from . import journal

    point = journal.checkpoint()
    return {"count": point.count, "head": point.head}


@shared_task(name="core.tasks.send_pending_notices", ignore_result=True)
def send_pending_notices(pk=None):
    """Send the notices a large set-based change owed once it committed (that one, or every one
    still owed: the beat's catch-up for a lost task). core.notices.send_after_commit."""
    from . import notices

    return notices.send_pending(pk)
