"""The demo desk: people, organisations and ninety days of conversations.

`demo_seed` casts the people (rows written directly: hashing a password per customer would take
minutes and proves nothing), then plays one `Story` per conversation — through the real services
by default, or with bulk inserts when `fast=True`. Demo people are recognisable by their address
(`@demo.caredesk.test` for the desk and the demo customer, the reserved `.example` top-level
domain for every other customer), which is how `demo_exists` and `demo_reset` find them without
touching anyone else.
"""

from __future__ import annotations

import dataclasses
import random
import time
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Model, Q, QuerySet
from django.utils import timezone

from caredesk import jobs
from caredesk.care.outreach_services import outreach_sweep
from caredesk.care.services import sla_defaults_save
from caredesk.conversations import coaching, reading
from caredesk.conversations.models import (
    Attachment,
    Conversation,
    Direction,
    Event,
    Message,
    Rating,
)
from caredesk.customers.models import Customer, Identity, IdentityKind, Organisation
from caredesk.demo import texts
from caredesk.demo.articles import demo_articles_seed
from caredesk.demo.fast import agent_teams_of
from caredesk.demo.load import bulk_load
from caredesk.demo.maker import FAST_BATCH, Job, Rows, made, renumbered, stories
from caredesk.demo.process import made_elsewhere
from caredesk.demo.slow import SlowWriter
from caredesk.demo.steps import Story
from caredesk.demo.story import Cast, CustomerSpec, Storyteller
from caredesk.insights import rollup
from caredesk.insights.tasks import rollup_event_task
from caredesk.knowledge.models import Article
from caredesk.people.models import Agent, Presence, Role, Team, User
from caredesk.rows import Table, sequences_reset

DEMO_DOMAIN = "demo.caredesk.test"
DEMO_PASSWORD = "caredesk-demo"
CUSTOMER_EMAIL = f"customer@{DEMO_DOMAIN}"
AGENT_EMAIL = f"agent@{DEMO_DOMAIN}"
LEAD_EMAIL = f"lead@{DEMO_DOMAIN}"
DEMO_LOGINS = (CUSTOMER_EMAIL, AGENT_EMAIL, LEAD_EMAIL)
CUSTOMER_TLD = ".example"
# Messages the refine engine reads at once at seed time: larger batches are faster per message.
REFINE_BATCH = 128
TEXT_POOL = 6  # variants per kind of text in fast mode; each is read by the engine once
# Outreach findings recorded per transaction by the seed: nobody else is writing yet.
SWEEP_BATCH = 2000
# Billing: the demo agent and two colleagues; Technical: the demo agent and three more.
TEAM_MEMBERS = {texts.BILLING: (0, 1, 2), texts.TECHNICAL: (0, 3, 4, 5)}
PRESENCES = (
    Presence.ONLINE,
    Presence.ONLINE,
    Presence.AWAY,
    Presence.ONLINE,
    Presence.OFFLINE,
    Presence.ONLINE,
    Presence.ONLINE,
)


class DemoExistsError(RuntimeError):
    """The demo users are already there; seeding again would mix two demos."""


@dataclass(frozen=True)
class DemoSummary:
    organisations: int
    customers: int
    agents: int
    teams: int
    conversations: int
    messages: int
    events: int
    ratings: int
    first_created: datetime | None
    last_created: datetime | None
    seconds: float
    fast: bool
    by_status: dict[str, int] = field(default_factory=dict)
    by_severity: dict[int, int] = field(default_factory=dict)
    refined: int = 0  # inbound messages read again with the refine engine at seed time
    refine_seconds: float = 0.0
    insert_seconds: float = 0.0  # fast path: the part of `seconds` spent inserting rows
    # (wall, CPU) seconds of each phase: "written" (people and every conversation's rows made
    # and inserted), "indexed" (fast path: indexes, triggers, the search index built after),
    # "derived" (the outreach sweep and the rollups, from the rows written)
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        span = ""
        if self.first_created and self.last_created:
            days = (self.last_created - self.first_created).total_seconds() / 86400
            span = f" over {days:.0f} days"
        return [
            f"Demo desk ready in {self.seconds:.1f} s ({'fast' if self.fast else 'services'}).",
            f"  {self.conversations:,} conversations{span}, {self.messages:,} messages, "
            f"{self.events:,} events, {self.ratings:,} ratings",
            f"  {self.customers:,} customers in {self.organisations:,} organisations; "
            f"{self.agents} agents and a lead in {self.teams} teams",
            "  status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_status.items())),
            "  severity: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_severity.items())),
            *(
                [
                    f"  {self.refined:,} messages read again by the refine engine in "
                    f"{self.refine_seconds:.1f} s"
                ]
                if self.refined
                else []
            ),
            *([self.rate_line()] if self.insert_seconds else []),
            f"  log in with {', '.join(DEMO_LOGINS)} — password {DEMO_PASSWORD}",
        ]

    def rate_line(self) -> str:
        """The generator's rate beside the raw insert rate of the same rows (same run), and
        where the rest of the time went."""
        written = self.phases.get("written", (self.seconds, 0.0))[0]
        made = self.conversations / max(written, 1e-9)
        inserted = self.conversations / max(self.insert_seconds, 1e-9)
        phases = ", ".join(f"{k} {w:.1f}/{c:.1f}" for k, (w, c) in self.phases.items())
        return (
            f"  {made:,.0f} conversations/s made and written; their rows alone insert at "
            f"{inserted:,.0f} conversations/s ({self.insert_seconds:.1f} s of {written:.1f} s)"
            + (f"\n  phases, wall/CPU s: {phases}" if phases else "")
        )


def demo_exists() -> bool:
    return User.objects.filter(email__in=DEMO_LOGINS).exists()


def _demo_customers() -> QuerySet[Customer]:
    emails = Identity.objects.filter(kind=IdentityKind.EMAIL).filter(
        Q(value__endswith=CUSTOMER_TLD) | Q(value__endswith=f"@{DEMO_DOMAIN}")
    )
    return Customer.objects.filter(pk__in=emails.values("customer_id"))


@transaction.atomic
def demo_reset() -> None:
    """Remove every demo row (found by address), children before parents; others stay."""
    customers = _demo_customers()
    org_ids = list(
        Organisation.objects.filter(customers__in=customers).values_list("pk", flat=True).distinct()
    )
    conversations = Conversation.objects.filter(customer__in=customers)
    Article.objects.filter(created_by__email__endswith=f"@{DEMO_DOMAIN}").delete()
    Event.objects.filter(conversation__in=conversations).delete()
    Rating.objects.filter(conversation__in=conversations).delete()
    Attachment.objects.filter(message__conversation__in=conversations).delete()
    Message.objects.filter(conversation__in=conversations).delete()
    conversations.update(merged_into=None)
    conversations.delete()
    customers.delete()
    Organisation.objects.filter(pk__in=org_ids, customers__isnull=True).delete()
    User.objects.filter(
        Q(email__endswith=CUSTOMER_TLD) | Q(email__endswith=f"@{DEMO_DOMAIN}")
    ).delete()
    # The demo's teams go too, unless someone else's agents or conversations use them.
    Team.objects.filter(
        name__in=TEAM_MEMBERS, agents__isnull=True, conversations__isnull=True
    ).delete()
    # The rollups counted the demo's conversations: recount what is left (nothing, on a desk that
    # held only the demo), so no metric keeps counting what is gone.
    rollup.rollups_rebuild()


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _cast_desk(password: str) -> tuple[list[Agent], dict[str, Team], Cast]:
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAM_MEMBERS}
    people = [*texts.AGENT_NAMES, texts.LEAD_NAME]
    agents: list[Agent] = []
    for index, (first, last) in enumerate(people):
        email = {0: AGENT_EMAIL, len(people) - 1: LEAD_EMAIL}.get(
            index, f"{_ascii(first)}.{_ascii(last)}@{DEMO_DOMAIN}"
        )
        user = User.objects.create(email=email, first_name=first, last_name=last, password=password)
        role = Role.LEAD if index == len(people) - 1 else Role.AGENT
        agent = Agent.objects.create(
            user=user, role=role, presence=PRESENCES[index], capacity=12 if index == 0 else 8
        )
        agent.teams.set([teams[t] for t, members in TEAM_MEMBERS.items() if index in members])
        agents.append(agent)
    cast = Cast(
        first_names=tuple(first for first, _ in people),
        teams=dict(TEAM_MEMBERS),
        lead=len(people) - 1,
        favourite=0,
    )
    return agents, teams, cast


def _organisations(rng: random.Random, count: int) -> list[Organisation]:
    orgs = []
    for i in range(count):
        name = texts.ORG_NAMES[i % len(texts.ORG_NAMES)]
        if i >= len(texts.ORG_NAMES):
            name += f" {texts.CITIES[(i // len(texts.ORG_NAMES)) % len(texts.CITIES)]}"
        if i >= len(texts.ORG_NAMES) * (len(texts.CITIES) + 1):
            name += f" {i}"
        # Every plan appears at least once; after that, small plans are the most common.
        plan, low, high = (
            texts.PLANS[i]
            if i < len(texts.PLANS)
            else rng.choices(texts.PLANS, weights=[15, 35, 30, 15, 5])[0]
        )
        revenue = rng.randint(low, high) if high else None
        orgs.append(Organisation(name=name, plan=plan, annual_revenue=revenue))
    return Organisation.objects.bulk_create(orgs)


def _customers(
    rng: random.Random, count: int, password: str
) -> tuple[list[Customer], list[CustomerSpec]]:
    orgs = _organisations(rng, max(10, count // 6))
    specs = [CustomerSpec(*texts.DEMO_CUSTOMER_NAME, has_login=True)]
    specs += [
        CustomerSpec(
            rng.choice(texts.FIRST_NAMES),
            rng.choice(texts.LAST_NAMES),
            has_login=rng.random() < 0.75,
        )
        for _ in range(count - 1)
    ]
    customers, users, identities = [], [], []
    for i, spec in enumerate(specs):
        org = rng.choice(orgs) if i == 0 or rng.random() < 0.7 else None
        if i == 0:
            email = CUSTOMER_EMAIL
        else:
            local = _ascii(org.name) if org else rng.choice(("mail", "post", "inbox"))
            domain = local + CUSTOMER_TLD
            email = f"{_ascii(spec.first)}.{_ascii(spec.last)}{i}@{domain}"
        user = None
        if spec.has_login:
            user = User(
                email=email,
                first_name=spec.first,
                last_name=spec.last,
                password=password if i == 0 else "!",
            )  # only the demo login can log in
            users.append(user)
        customer = Customer(
            name=f"{spec.first} {spec.last}",
            organisation=org,
            user=user,
            locale=rng.choices(("en", "de", "fr", "nl"), weights=[85, 5, 5, 5])[0],
        )
        customers.append(customer)
        identities.append(
            Identity(
                customer=customer, kind=IdentityKind.EMAIL, value=email, verified=spec.has_login
            )
        )
        if rng.random() < 0.1:
            identities.append(
                Identity(
                    customer=customer,
                    kind=IdentityKind.EXTERNAL,
                    value=f"crm-{i:06d}",
                    verified=True,
                )
            )
    User.objects.bulk_create(users)
    Customer.objects.bulk_create(customers)
    Identity.objects.bulk_create(identities)
    return customers, specs


def demo_seed(
    *,
    size: int = 300,
    seed: int = 42,
    now: datetime | None = None,
    fast: bool = False,
    reset: bool = False,
    progress: Callable[[int, int], None] | None = None,
    makers: int = 0,
    batch: int = FAST_BATCH,
) -> DemoSummary:
    """Fill the database with a believable desk; refuse if a demo is there unless `reset`.
    `fast` with `makers`: the rows are made by that many other processes while this one
    inserts (`demo/process.py`), on SQLite only; the same rows either way."""
    if size < 1:
        raise ValueError("size must be at least 1")
    _room_made(reset=reset)
    started, laps = time.monotonic(), _Laps()
    rng = random.Random(seed)
    now = now or timezone.now()
    password = make_password(DEMO_PASSWORD)  # hashed once, shared by the demo logins
    # The bulk path loads without triggers and secondary indexes, and builds them once after.
    with bulk_load() if fast else nullcontext():
        with transaction.atomic():
            agents, teams, cast = _cast_desk(password)
            demo_articles_seed(lead=agents[cast.lead], teams=teams)
            customers, specs = _customers(rng, max(50, size // 5), password)
        desk = Job(
            size=size,
            rng_state=rng.getstate(),
            now=now,
            pool=TEXT_POOL if fast else None,
            cast=cast,
            specs=specs,
            agents=agents,
            teams=teams,
            customers=customers,
            batch=batch,
        )
        refined, refine_seconds, insert_seconds = 0, 0.0, 0.0
        if fast:
            insert_seconds = _fast_write(desk, makers=makers, progress=progress)
        laps.lap("written")
    laps.lap("indexed")
    if not fast:
        refined, refine_seconds = _slow_play(desk, rng)
    laps.lap("services")
    # The customers the stories left unhappy and silent get their outreach tasks, as the
    # periodic at-risk check would give them: the leads' at-risk list is not empty on day one.
    with jobs.held(rollup_event_task):  # the rollups are rebuilt whole just below
        outreach_sweep(at=now, batch=SWEEP_BATCH)
    # The bulk path publishes no events, and a reset removed conversations the rollups still
    # count: recount them last, so the dashboards show the demo at once, not after a sweep.
    rollup.rollups_rebuild()
    laps.lap("derived")
    summary = _summary(time.monotonic() - started, fast, refined, refine_seconds)
    phases = {k: v for k, v in laps.laps.items() if v[0] >= 0.05}
    return dataclasses.replace(summary, insert_seconds=insert_seconds, phases=phases)


def _room_made(*, reset: bool) -> None:
    """Refuse to seed over a demo desk, or remove it first with `reset`."""
    if demo_exists():
        if not reset:
            raise DemoExistsError(
                "A demo desk already exists (its users are in the database). Run with reset "
                "(--reset) to remove it and seed again."
            )
        demo_reset()


def _fast_write(desk: Job, *, makers: int, progress: Callable[[int, int], None] | None) -> float:
    """The bulk path: rows made (here, or by maker processes) and inserted batch by batch;
    returns the seconds spent inserting."""
    loaded: tuple[type[Model], ...] = (Conversation, Message, Event, Rating)
    tables = {model: Table(model) for model in loaded}
    job = dataclasses.replace(
        desk,
        rules=coaching.desk_rules(),
        agent_teams=agent_teams_of(desk.agents),
        first_ids={model: table.next_id() for model, table in tables.items()},
    )
    # Another process's rows travel as plain values: SQLite's (see `rows.Table`).
    elsewhere = makers > 0 and connection.vendor == "sqlite"
    batches = made_elsewhere(job, makers=makers) if elsewhere else made(job)
    return _fast_insert(batches, tables, progress, job.size)


def _slow_play(desk: Job, rng: random.Random) -> tuple[int, float]:
    """Every story through the services, then the refine engine over the history."""
    agents, teams = desk.agents, desk.teams
    sla_defaults_save(teams=teams.values(), actor=agents[desk.cast.lead], time_zone="Europe/London")
    slow = SlowWriter(agents=agents, teams=teams, customers=desk.customers)
    teller = Storyteller(rng=rng, cast=desk.cast, now=desk.now)
    groups = stories(rng, teller, desk.specs, desk.size)
    # The rollups are rebuilt once after, not by a task per historic event that would keep
    # the demo's one worker from the desk's own work (mail, updates) for minutes.
    with (
        jobs.held(rollup_event_task),
        reading.refine_tasks_held(),
        transaction.atomic(),
    ):
        for group in groups:
            for story in group:
                slow.write(story)
    return _refine_history()


class _Laps:
    """Wall and CPU seconds of each phase of a seed, for its summary (CPU tells more on a
    shared machine)."""

    def __init__(self) -> None:
        self.mark = (time.monotonic(), time.process_time())
        self.laps: dict[str, tuple[float, float]] = {}

    def lap(self, name: str) -> None:
        now = (time.monotonic(), time.process_time())
        self.laps[name] = (now[0] - self.mark[0], now[1] - self.mark[1])
        self.mark = now


def _fast_insert(
    batches: Iterable[Rows],
    tables: dict[type[Model], Table],
    progress: Callable[[int, int], None] | None,
    size: int,
) -> float:
    """Insert each batch's rows in one transaction, as they come, its events numbered here;
    returns the seconds spent inserting (beside those making them)."""
    seconds, done, event = 0.0, 0, tables[Event].next_id()
    for rows in batches:
        started = time.perf_counter()
        rows[Event] = renumbered(rows[Event], event)
        event += len(rows[Event])
        with transaction.atomic():
            for model, table in tables.items():
                table.rows = rows[model]
                table.insert()
            sequences_reset(tables.values())
        seconds += time.perf_counter() - started
        done += len(rows[Conversation])
        if progress is not None:
            progress(done, size)
    return seconds


def _refine_history() -> tuple[int, float]:
    """Read the demo's inbound history again with the refine engine now, in large batches, as
    the worker would one task at a time: a fresh demo leaves it no catch-up to do."""
    started = time.monotonic()
    inbound = Message.objects.filter(
        conversation__customer__in=_demo_customers(), direction=Direction.INBOUND
    ).order_by("pk")
    refined = reading.messages_refine(
        list(inbound.values_list("pk", flat=True)), batch=REFINE_BATCH
    )
    return refined, time.monotonic() - started


def _summary(
    seconds: float, fast: bool, refined: int = 0, refine_seconds: float = 0.0
) -> DemoSummary:
    customers = _demo_customers()
    conversations = Conversation.objects.filter(customer__in=customers)
    span = conversations.aggregate(first=Min("created_at"), last=Max("created_at"))
    return DemoSummary(
        organisations=Organisation.objects.filter(customers__in=customers).distinct().count(),
        customers=customers.count(),
        agents=Agent.objects.filter(
            user__email__endswith=f"@{DEMO_DOMAIN}", role=Role.AGENT
        ).count(),
        teams=Team.objects.filter(name__in=TEAM_MEMBERS).count(),
        conversations=conversations.count(),
        messages=Message.objects.filter(conversation__in=conversations).count(),
        events=Event.objects.filter(conversation__in=conversations).count(),
        ratings=Rating.objects.filter(conversation__in=conversations).count(),
        first_created=span["first"],
        last_created=span["last"],
        seconds=seconds,
        fast=fast,
        refined=refined,
        refine_seconds=refine_seconds,
        by_status={
            row["status"]: row["n"]
            for row in conversations.values("status").annotate(n=Count("pk"))
        },
        by_severity={
            row["severity"]: row["n"]
            for row in conversations.values("severity").annotate(n=Count("pk"))
        },
    )


__all__ = ["DemoExistsError", "DemoSummary", "Story", "demo_exists", "demo_reset", "demo_seed"]
