"""`manage.py sweep [module|module.sweep …] [--as-of YYYY-MM-DD] [--dry-run]`

Runs the modules' sweeps (core/sweeps.py: the same functions the Celery beat runs) and prints one
line per transition with its count, who was told, and a total. `--as-of` is the day the sweep
counts as today; `--dry-run` does everything inside a transaction that is rolled back, so it
reports what a real run would move and tell, writes nothing and tells nobody.

The day: a real run sweeps at most MAX_DAYS_BACK days back (a catch-up after the beat was down)
and never ahead, since that would end periods that have not run out yet; a dry run may also look
up to MAX_DAYS_AHEAD days ahead ("what happens next week": beyond that the holidays are not
published yet and the preview says little). Exits non-zero when a sweep failed.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import sweeps

MAX_DAYS_BACK = 31
MAX_DAYS_AHEAD = 366


def parse_as_of(value: str, *, dry_run: bool, today: datetime.date) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of {value!r} is not a date: give it as YYYY-MM-DD") from None
    earliest = today - datetime.timedelta(days=MAX_DAYS_BACK)
    if day < earliest:
        raise CommandError(f"--as-of {day} is more than {MAX_DAYS_BACK} days ago (the earliest is "
                           f"{earliest}): a sweep catches up after an outage, it does not replay the past")
    if day > today and not dry_run:
        raise CommandError(f"--as-of {day} is after today ({today}): a real sweep would end periods that "
                           f"have not run out; preview it with --dry-run")
    latest = today + datetime.timedelta(days=MAX_DAYS_AHEAD)
    if day > latest:
        raise CommandError(f"--as-of {day} is more than {MAX_DAYS_AHEAD} days ahead (the latest is {latest})")
    return day


def _figures(figures: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in figures.items():
        if isinstance(value, dict):
            out.extend(_figures(value, f"{prefix}{key}."))
        else:
            out.append(f"{prefix}{key}={'skipped' if value is None else value}")
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class Command(BaseCommand):
    help = ("Run the modules' sweeps (all, or the modules / module.sweep named) as of a day; "
            "--dry-run reports what would move and who would be told, and changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", metavar="module",
                            help="A module (mediation) or one of its sweeps (mediation.performance); default: all.")
        parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD",
                            help="The day the sweep counts as today (default: today, local time).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Run inside a transaction and roll it back: report, write nothing, tell nobody.")

    def handle(self, *args, names, as_of: str | None, dry_run: bool, **options):
        today = timezone.localdate()
        day = parse_as_of(as_of, dry_run=dry_run, today=today) if as_of else today
        try:
            chosen = sweeps.select(names)
        except sweeps.UnknownSweep as exc:
            unknown, known = exc.args
            raise CommandError(f"no sweep called {', '.join(unknown)}; there are: {', '.join(known)}") from None
        if not chosen:
            raise CommandError("no sweep is registered")

        self.stdout.write(f"Sweep as of {day}" + (" (dry run: rolled back, nothing written, nobody told)" if dry_run else ""))
        outcomes = sweeps.run(chosen, today=day, dry_run=dry_run)

        people = {}
        for outcome in outcomes:
            label = outcome.sweep.label
            if outcome.error:
                self.stderr.write(f"{label}: FAILED: {outcome.error}")
                continue
            for move in outcome.moves:
                what = f"{move.from_state} -> {move.to_state}" if move.moved else f"{move.from_state} (journaled, state unchanged)"
                line = f"{label}: {move.model} {move.transition} {what}: {move.count}"
                if move.documents:
                    line += f" (documents {'would be ' if dry_run else ''}asked for: {', '.join(move.documents)})"
                self.stdout.write(line)
            if not outcome.moves:
                self.stdout.write(f"{label}: nothing {'would move' if dry_run else 'moved'}")
            if outcome.told:
                told = ", ".join(f"{user} {n}" for user, n in outcome.told.items())
                self.stdout.write(f"{label}: {'would tell' if dry_run else 'told'} {len(outcome.told)} "
                                  f"{'person' if len(outcome.told) == 1 else 'people'} "
                                  f"({_count(outcome.notifications, 'notification')}): {told}")
            if outcome.owed:
                self.stdout.write(f"{label}: the notices about {outcome.owed} objects are owed: a worker sends them "
                                  f"now that the change has committed")
            for user, n in outcome.told.items():
                people[user] = people.get(user, 0) + n
            if options["verbosity"] >= 2 and outcome.figures:
                self.stdout.write(f"{label}: figures: {' '.join(_figures(outcome.figures))}")

        failed = [o for o in outcomes if o.error]
        moved = sum(o.moved for o in outcomes)
        journaled = sum(m.count for o in outcomes for m in o.moves)
        notifications = sum(o.notifications for o in outcomes)
        self.stdout.write(
            f"Total: {moved} {'would move' if dry_run else 'moved'}, {journaled} journal entries, "
            f"{_count(notifications, 'notification')} to {len(people)} {'person' if len(people) == 1 else 'people'}"
            + (f"; {len(failed)} of {len(outcomes)} sweeps failed" if failed else "")
            + (" (dry run: all rolled back)" if dry_run else ""))
        if failed:
            raise CommandError(f"{len(failed)} sweep(s) failed: {', '.join(o.sweep.label for o in failed)}")
