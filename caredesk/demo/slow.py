"""Playing stories through the desk's real services, so the demo also proves the desk works.

Every service takes the step's time (`at=`), so each row and event is stamped in the past exactly
as if it had happened then; a risk read in an old message raises severity but pages no lead.
"""

from __future__ import annotations

from caredesk.conversations import services
from caredesk.conversations.models import Channel, Conversation
from caredesk.customers.models import Customer
from caredesk.demo import steps as s
from caredesk.people.models import Agent, Team, User


class SlowWriter:
    """Writes each story with one service call per step."""

    def __init__(
        self, *, agents: list[Agent], teams: dict[str, Team], customers: list[Customer]
    ) -> None:
        self.agents = agents
        self.teams = teams
        self.customers = customers
        self.written: dict[s.Story, Conversation] = {}

    def _author(self, customer: Customer, channel: str) -> User | None:
        """Portal and API messages come from the customer's login; email from an address."""
        return customer.user if channel != Channel.EMAIL else None

    def write(self, story: s.Story) -> Conversation:
        customer = self.customers[story.customer]
        conversation: Conversation | None = None
        for step in story.steps:
            conversation = self._step(step, customer, conversation)
        assert conversation is not None
        self.written[story] = conversation
        return conversation

    def _step(
        self, step: s.Step, customer: Customer, conversation: Conversation | None
    ) -> Conversation:
        if isinstance(step, s.Create):
            return services.conversation_create(
                customer=customer,
                subject=step.subject,
                text=step.text,
                channel=step.channel,
                author=self._author(customer, step.channel),
                team=self.teams[step.team] if step.team else None,
                severity=step.severity,
                external_id=step.external_id,
                at=step.at,
            )
        assert conversation is not None
        conversation = Conversation.objects.select_related("customer", "team").get(
            pk=conversation.pk
        )
        if isinstance(step, s.CustomerWrites):
            services.customer_message_add(
                conversation=conversation,
                text=step.text,
                channel=step.channel,
                author=self._author(customer, step.channel),
                external_id=step.external_id,
                at=step.at,
            )
        elif isinstance(step, s.Reply):
            services.reply_send(
                conversation=conversation,
                agent=self.agents[step.agent],
                text=step.text,
                resolve=step.resolve,
                at=step.at,
            )
        elif isinstance(step, s.Note):
            services.note_add(
                conversation=conversation, agent=self.agents[step.agent], text=step.text, at=step.at
            )
        elif isinstance(step, s.Assign):
            agent = self.agents[step.agent]
            services.conversation_assign(
                conversation=conversation, agent=agent, actor=agent.user, at=step.at
            )
        elif isinstance(step, s.Transfer):
            services.conversation_transfer(
                conversation=conversation,
                actor=self.agents[step.actor],
                note=step.note,
                to_agent=self.agents[step.to_agent] if step.to_agent is not None else None,
                to_team=self.teams[step.to_team] if step.to_team else None,
                at=step.at,
            )
        elif isinstance(step, s.Resolve):
            services.conversation_resolve(
                conversation=conversation, agent=self.agents[step.agent], at=step.at
            )
        elif isinstance(step, s.Close):
            services.conversation_close(conversation=conversation, at=step.at)
        elif isinstance(step, s.Rate):
            assert customer.user is not None
            services.rating_submit(
                conversation=conversation,
                user=customer.user,
                satisfaction=step.satisfaction,
                effort=step.effort,
                comment=step.comment,
                at=step.at,
            )
        elif isinstance(step, s.SeverityChange):
            services.severity_change(
                conversation=conversation,
                actor=self.agents[step.actor].user,
                severity=step.severity,
                reason=step.reason,
                at=step.at,
            )
        elif isinstance(step, s.Merge):
            services.conversation_merge(
                source=conversation,
                target=self.written[step.into],
                agent=self.agents[step.agent],
                at=step.at,
            )
        return conversation
