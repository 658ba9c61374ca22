"""A small fixed history, built through the services, whose metrics are computed by hand.

The desk's time zone is Europe/Berlin; the week of 27 March - 2 April 2026 crosses a month and
the change to summer time (29 March, 02:00 -> 03:00). Conversations:

C1  opened 27 Mar 10:00, answered and resolved 11:00 with one reply, rated 5/1: first contact.
C6  a duplicate C1's customer opened 10:05, merged into C1 at 10:30: counted only as merged.
C2  opened 28 Mar 09:00 negative (a complaint); answered and resolved 10:00; the customer writes
    it still fails 12:00 (a reopen), resolved with a reply 13:00; fails again 30 Mar 09:00 (summer
    time), resolved with a reply 10:00: reopened twice, resolution 48 h (not 49: the clock moved).
C4  opened 27 Mar 15:00, resolved without a reply 16:00, rated 2/4: rated without a reply, a bad
    experience, and the customer never came back.
C5  opened 30 Mar 09:00 in Billing, answered 09:30, transferred to Technical 10:00, answered and
    resolved there 11:00; the customer's "thank you" 12:00 reopens it in the lifecycle, resolved
    again without a reply 12:10: not a reopen; counted for Technical, two people.
C3  opened 1 Apr 00:30 summer time (31 Mar in UTC) negative, never answered: a complaint open.
C7  C2's customer comes back 2 Apr 09:00; answered 09:10, still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from caredesk.conversations import services
from caredesk.conversations.models import Conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory, TeamFactory

BERLIN = ZoneInfo("Europe/Berlin")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@dataclass
class History:
    billing: Team
    technical: Team
    a1: Agent
    a2: Agent
    c: dict[str, Conversation]


def history_build() -> History:
    billing, technical = TeamFactory(name="Billing"), TeamFactory(name="Technical")
    a1, a2 = AgentFactory(teams=[billing]), AgentFactory(teams=[technical])
    k1, k2, k3, k4, k5 = (CustomerFactory() for _ in range(5))
    c: dict[str, Conversation] = {}

    def create(name: str, customer: object, text: str, when: datetime, team: Team) -> Conversation:
        c[name] = services.conversation_create(
            customer=customer,  # type: ignore[arg-type]
            subject=name,
            text=text,
            author=customer.user,  # type: ignore[attr-defined]
            team=team,
            at=when,
        )
        return c[name]

    def write(name: str, text: str, when: datetime) -> None:
        conv = Conversation.objects.get(pk=c[name].pk)
        services.customer_message_add(
            conversation=conv, text=text, author=conv.customer.user, at=when
        )

    def reply(name: str, agent: Agent, when: datetime, *, resolve: bool = False) -> None:
        conv = Conversation.objects.get(pk=c[name].pk)
        services.reply_send(
            conversation=conv, agent=agent, text="Here is what I did.", resolve=resolve, at=when
        )

    def rate(name: str, satisfaction: int, effort: int, when: datetime) -> None:
        conv = Conversation.objects.get(pk=c[name].pk)
        services.rating_submit(
            conversation=conv,
            user=conv.customer.user,
            satisfaction=satisfaction,
            effort=effort,
            at=when,
        )

    create("C1", k1, "Quick question about my invoice.", at(3, 27, 10), billing)
    create("C6", k1, "Quick question about my invoice, again.", at(3, 27, 10, 5), billing)
    services.conversation_merge(source=c["C6"], target=c["C1"], agent=a1, at=at(3, 27, 10, 30))
    reply("C1", a1, at(3, 27, 11), resolve=True)
    rate("C1", 5, 1, at(3, 27, 12))

    create("C4", k4, "Quick question about my plan.", at(3, 27, 15), technical)
    services.conversation_resolve(
        conversation=Conversation.objects.get(pk=c["C4"].pk), agent=a2, at=at(3, 27, 16)
    )
    rate("C4", 2, 4, at(3, 27, 17))

    create(
        "C2", k2, "The app keeps crashing, this is terrible and I am angry.", at(3, 28, 9), billing
    )
    reply("C2", a1, at(3, 28, 10), resolve=True)
    write("C2", "It still does not work, the error is back.", at(3, 28, 12))
    reply("C2", a1, at(3, 28, 13), resolve=True)
    write("C2", "It still does not work, the error is back.", at(3, 30, 9))
    reply("C2", a1, at(3, 30, 10), resolve=True)

    create("C5", k5, "Quick question about my invoice.", at(3, 30, 9), billing)
    reply("C5", a1, at(3, 30, 9, 30))
    services.conversation_transfer(
        conversation=Conversation.objects.get(pk=c["C5"].pk),
        actor=a1.user,
        note="Needs the technical team: the export fails.",
        to_agent=a2,
        at=at(3, 30, 10),
    )
    reply("C5", a2, at(3, 30, 11), resolve=True)
    write("C5", "Thank you so much, that works now!", at(3, 30, 12))
    services.conversation_resolve(
        conversation=Conversation.objects.get(pk=c["C5"].pk), agent=a2, at=at(3, 30, 12, 10)
    )

    create(
        "C3",
        k3,
        "This is unacceptable, I am furious, the app keeps crashing and nobody answers.",
        at(4, 1, 0, 30),
        billing,
    )
    create("C7", k2, "Quick question about my invoice.", at(4, 2, 9), billing)
    reply("C7", a1, at(4, 2, 9, 10))
    return History(billing, technical, a1, a2, c)
