"""The demo framework: `manage.py demo` plays one part per module, phase by phase.

A module's `demo.py` subclasses `DemoPart` and registers it with `@register`. core finds every
installed app's `demo.py` as it finds `transitions.py` or `documents.py` (`DISCOVERED` in
core/apps.py, like the admin's `admin.py`): one list says everything a module registers with core,
and the parts are known before the command runs. Registering only defines classes; nothing runs
or touches the database until `manage.py demo` plays them.

Parts play in INSTALLED_APPS order (core's `People`, then casework, then mediation), and every
part plays a phase before any part plays the next one. So one module's story goes on where
another's stopped, without importing it:

    seed_staff       accounts: core creates the staff of every role and registers the
                     organisations; a module adds the people only it needs
    seed             core registers the workers; a module picks its people and data
    walk             each module walks its machine (casework its cases, two of them referred to
                     mediation; mediation the mediations those referrals opened, and a court's list)
    sweep            the deadline sweeps, as Celery beat runs them
    settle           a module records on another module's objects the outcome of its own
                     (mediation resolves the case a fulfilled mediation came from: core.links)
    close            what a module does once the others have settled (casework closes the
                     resolved case, sends the one whose mediation failed on to arbitration)
    check            -> problems (strings): any problem fails the run, and nothing is saved
    print_table      a summary of the part's objects
    -- the run's one transaction commits --
    write_documents  every PDF rendered and copied to the output folder -> how many

Hand-over: `run.shared`, a dict the parts write and read, keyed "<writer's label>.<what>" and
documented by the part that writes it (casework's "casework.referred": the cases it referred to
mediation). Reading a key nobody wrote fails the run, naming the part that should have written
it. Parts read one another's objects by duck typing (a case's `state`, a mediation's `number`),
never by importing one another (DESIGN.md, "Layout").
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from . import demo_data as data
from . import legal_calendar, services
from .errors import TransitionRefused
from .models import StaffProfile
from .roles import Role

# The phases inside the run's transaction, in order; then `check` and `print_table`; then, after
# the commit, `write_documents`.
STORY = ("seed_staff", "seed", "walk", "sweep", "settle", "close")


class DemoFailed(Exception):
    """The story did not go as told: a guard let something through, a hand-over is missing."""


# --------------------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------------------


def width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    """`text` padded to `columns` terminal columns (the tables line up with Chinese in them)."""
    return text + " " * max(0, columns - width(text))


def yuan(amount) -> str:
    return "—" if amount is None else f"¥{Decimal(amount):,.2f}"


def refusal_message(exc) -> str:
    """What a service said when it refused: a ValidationError's messages, a refusal's detail."""
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(getattr(exc, "detail", exc))


# --------------------------------------------------------------------------------------------------
# The run every part shares
# --------------------------------------------------------------------------------------------------


class HandOver(dict):
    """`run.shared`: what one part leaves for the others. A missing key is a broken story, not a
    KeyError deep inside a part."""

    def __missing__(self, key):
        writer = key.split(".", 1)[0]
        raise DemoFailed(f"nothing was handed over as “{key}”: the {writer} part writes it "
                         f"(is {writer} installed, and did its phase run first?)")


@dataclass
class Account:
    """A sign-in account the command lists at the end."""

    username: str
    role: str
    admin_site: bool


class DemoRun:
    """What every part shares: the day, the output, the cast (users, organisations, workers by
    their demo keys), the sign-in accounts and the hand-over."""

    def __init__(self, *, stdout, style, output_dir: Path, today: datetime.date | None = None):
        self.stdout, self.style = stdout, style
        self.output_dir = output_dir
        self.today = today or timezone.localdate()
        self.users: dict[str, object] = {}
        self.organisations: dict[str, object] = {}
        self.workers: dict[str, object] = {}
        self.accounts: list[Account] = []
        self.shared = HandOver()
        self.parts = [part(self) for part in registered()]

    # --- playing -----------------------------------------------------------------------------------

    def play(self, phase: str) -> list:
        """Every part's `phase`, in order; their results."""
        return [getattr(part, phase)() for part in self.parts]

    def play_story(self) -> None:
        for phase in STORY:
            self.play(phase)

    def problems(self) -> list[str]:
        return [problem for found in self.play("check") for problem in found]

    def write_documents(self) -> int:
        self.section("Documents")
        written = sum(self.play("write_documents"))
        self.line(f"{written} PDF(s) in {self.output_dir}")
        return written

    def promise(self) -> str:
        """"every case and mediation": what the parts' checks vouch for."""
        subjects = [part.subject for part in self.parts if part.subject] or ["part"]
        if len(subjects) == 1:
            return f"every {subjects[0]}"
        return f"every {', '.join(subjects[:-1])} and {subjects[-1]}"

    # --- output ------------------------------------------------------------------------------------

    def section(self, title: str) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(title))

    def line(self, text: str) -> None:
        self.stdout.write(f"  {text}")

    def warn(self, text: str) -> None:
        self.line(self.style.WARNING(text))

    def expect_refusal(self, number: str, action: str, who: str, attempt, *, otherwise: str) -> None:
        """Run `attempt()`, which a guard must refuse, and show the refusal; if it goes through,
        the guard is broken and the run fails with `otherwise`."""
        try:
            attempt()
        except (ValidationError, TransitionRefused) as exc:
            self.warn(f"{number}  {action:<21} refused ({who}): {refusal_message(exc)}")
        else:
            raise DemoFailed(f"{number}: {otherwise}")

    # --- dates -------------------------------------------------------------------------------------

    def ago(self, days: int) -> datetime.date:
        """The demo's dates are days before today, so every run tells the same story."""
        return self.today - datetime.timedelta(days=days)

    def at(self, days: int, hour: int = 10) -> datetime.datetime:
        """`days` ago at `hour` o'clock, local time."""
        return timezone.make_aware(datetime.datetime.combine(self.ago(days), datetime.time(hour)))

    def working_days_ago(self, n: int) -> datetime.date:
        day, left = self.today, n
        while left:
            day -= datetime.timedelta(days=1)
            if legal_calendar.is_working_day(day):
                left -= 1
        return day

    # --- accounts ----------------------------------------------------------------------------------

    def create_account(self, username: str, *, full_name: str, role: str, email_domain: str,
                       admin_site: bool, organisation=None, acts_for=()):
        """A staff account with its role, profile and API token: the only rows the demo writes
        without a service (accounts have none; everything else goes through services)."""
        user = get_user_model().objects.create_user(
            username=username, password=data.PASSWORD, first_name=full_name,
            email=f"{username}@{email_domain}", is_staff=admin_site,
        )
        user.groups.add(Group.objects.get(name=role))
        profile = StaffProfile.objects.create(user=user, organisation=organisation)
        if acts_for:
            profile.acts_for.set(acts_for)
        Token.objects.create(user=user)
        self.users[username] = user
        self.accounts.append(Account(username, role, admin_site))
        return user


# --------------------------------------------------------------------------------------------------
# Parts and their registry
# --------------------------------------------------------------------------------------------------


class DemoPart:
    """One module's part of the demo. Override the phases the module's story needs (see the
    module docstring); the others do nothing."""

    label = ""  # the app label, set by `register`
    subject = ""  # what the part's checks vouch for, for the last line ("case": "every case ...")

    def __init__(self, run: DemoRun):
        self.run = run

    @property
    def users(self):
        return self.run.users

    @property
    def organisations(self):
        return self.run.organisations

    @property
    def workers(self):
        return self.run.workers

    @property
    def shared(self) -> HandOver:
        return self.run.shared

    def ago(self, days: int) -> datetime.date:
        return self.run.ago(days)

    def seed_staff(self): ...

    def seed(self): ...

    def walk(self): ...

    def sweep(self): ...

    def settle(self): ...

    def close(self): ...

    def check(self) -> list[str]:
        return []

    def print_table(self): ...

    def write_documents(self) -> int:
        return 0


_parts: dict[str, type[DemoPart]] = {}


def register(part: type[DemoPart]) -> type[DemoPart]:
    """Register a module's part (a class decorator); one part per app, a second replaces it."""
    part.label = apps.get_containing_app_config(part.__module__).label
    _parts[part.label] = part
    return part


def registered() -> list[type[DemoPart]]:
    """The parts of every installed app's `demo.py`, in INSTALLED_APPS order: core's people first,
    then the modules. Found when a demo runs, so no other process imports demo code."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    order = [config.label for config in apps.get_app_configs()]
    return sorted(_parts.values(), key=lambda part: order.index(part.label))


# --------------------------------------------------------------------------------------------------
# core's own part: the cast every module works with
# --------------------------------------------------------------------------------------------------


@register
class People(DemoPart):
    """The organisations, the staff of every role and the workers (core/demo_data.py), through
    core's services: the supervisor registers the organisations, the intake officer the workers."""

    def seed_staff(self):
        for username, (full_name, role, org_key, _acts_for) in data.STAFF.items():
            self.run.create_account(username, full_name=full_name, role=role,
                                    email_domain=data.EMAIL_DOMAIN[org_key], admin_site=role in data.ADMIN_SITE_ROLES)
        get_user_model().objects.create_superuser(
            username=data.SUPERUSER, password=data.PASSWORD, first_name="系统管理员",
            email=f"{data.SUPERUSER}@{data.EMAIL_DOMAIN['union']}",
        )
        self.register_organisations()
        self.place_staff()

    def seed(self):
        self.register_workers()

    def register_organisations(self):
        self.run.section("Organisations (registered by the supervisor; credit codes pass GB 32100)")
        for key, spec in data.ORGANISATIONS.items():
            spec = dict(spec)
            if "parent" in spec:
                spec["parent"] = self.organisations[spec["parent"]]
            org = services.register_organisation(actor=self.users["zheng.li"], **spec)
            self.organisations[key] = org
            parent = f"  (part of {org.parent.name})" if org.parent else ""
            self.run.line(f"{org.credit_code or '(no code)':<18}  {pad(org.get_kind_display(), 20)} {org.name}{parent}")

    def place_staff(self):
        """Each account's organisation and the organisations they act for (conflicts of interest),
        once the supervisor has registered them."""
        self.run.section(f"Users (one password for all: {data.PASSWORD})")
        for username, (full_name, role, org_key, acts_for) in data.STAFF.items():
            profile = self.users[username].profile
            profile.organisation = self.organisations[org_key]
            profile.save(update_fields=["organisation"])
            profile.acts_for.set([self.organisations[k] for k in acts_for])
            retained = f"  retained by {'、'.join(self.organisations[k].name for k in acts_for)}" if acts_for else ""
            self.run.line(f"{username:<13} {pad(full_name, 10)} {pad(Role.LABELS[role], 16)} "
                          f"{self.organisations[org_key].name}{retained}")
        self.run.line(f"{data.SUPERUSER:<13} {pad('系统管理员', 10)} {pad('超级用户', 16)} (no role: browses the admin)")

    def register_workers(self):
        self.run.section("Workers (resident IDs pass GB 11643, stored encrypted, shown masked)")
        for key, (name, occupation, _region, _born, _male, phone, platforms, relationship, member) in data.WORKERS.items():
            worker = services.register_worker(
                actor=self.users["zhou.min"], name=name, id_number=data.worker_id_number(key), occupation=occupation,
                phone=phone, platforms=[self.organisations[k] for k in platforms], relationship_type=relationship,
                is_union_member=member,
            )
            self.workers[key] = worker
            self.run.line(f"{pad(name, 7)} {worker.id_number_masked}  {worker.phone}  {worker.get_occupation_display()}")

    def check(self) -> list[str]:
        User = get_user_model()
        return [f"no account has the role {role}" for role in Role.ALL if not User.objects.filter(groups__name=role).exists()]
