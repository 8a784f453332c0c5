from django.core.management.base import BaseCommand, CommandError

from core import journal

SHOWN = 20  # state mismatches listed; the rest counted


class Command(BaseCommand):
    help = (
        "Recompute the journal's hash chain and name the first broken link, if any; check that the chain "
        "extends the signed checkpoint (JOURNAL_CHECKPOINT_FILE) and that every journaled object's state is "
        "the one its last event recorded. With --checkpoint, write a new checkpoint when all of that holds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", action="store_true",
                            help="after a clean verification, write a new checkpoint (the beat task does this hourly)")
        parser.add_argument("--require-checkpoint", action="store_true",
                            help="fail when there is no checkpoint file (a deployment with beat always has one)")

    def handle(self, *args, **options):
        path = journal.checkpoint_path()
        try:
            point = journal.read_checkpoint(path)
        except journal.CheckpointInvalid as exc:
            raise CommandError(f"Journal checkpoint refused: {exc}") from exc
        if point is None:
            if options["require_checkpoint"]:
                raise CommandError(f"No journal checkpoint at {path}.")
            self.stdout.write(self.style.WARNING(
                f"No journal checkpoint at {path}: the removal of the newest events, or a rewrite re-hashed "
                f"to the end, cannot be seen (write one with --checkpoint)."))
        chain = journal.walk(checkpoint=point)
        if chain.broken:
            raise CommandError(f"Journal broken at {chain.broken} ({chain.checked} events before it verified).")
        mismatches = journal.check_states()
        if mismatches:
            lines = [str(m) for m in mismatches[:SHOWN]]
            if len(mismatches) > SHOWN:
                lines.append(f"… and {len(mismatches) - SHOWN} more")
            raise CommandError(
                f"Journal chain intact ({chain.checked} events), but {len(mismatches)} object(s) are not in the state "
                f"their journal says (changed without a journaled transition):\n  " + "\n  ".join(lines))
        against = f", extends the checkpoint of {point.written_at} ({point.count} events)" if point else ""
        self.stdout.write(self.style.SUCCESS(
            f"Journal verified: {chain.checked} events, chain intact{against}; every object in its journaled state."))
        if options["checkpoint"]:
            written = journal.write_checkpoint(chain.checked, chain.head, chain.last_id, path)
            self.stdout.write(f"Checkpoint written to {path}: {written.count} events, head {written.head[:12]}…")
