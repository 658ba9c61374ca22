"""Playing stories through the desk's real services, so the demo also proves the desk works.

Every service takes the step's time (`at=`), so each row and event is stamped in the past exactly
as if it had happened then; a risk read in an old message raises severity but pages no lead.
"""

from __future__ import annotations

from caredesk.conversations import services
from caredesk.conversations.models import Conversation
from caredesk.customers.models import Customer
from caredesk.demo import steps as s
from caredesk.demo.writer import Writer


class SlowWriter(Writer):
    """Writes each story with one service call per step."""

    def on_create(self, step: s.Create, customer: Customer) -> Conversation:
        return services.conversation_create(
            customer=customer,
            subject=step.subject,
            text=step.text,
            channel=step.channel,
            author=self.author(customer, step.channel),
            team=self.team(step.team),
            severity=step.severity,
            external_id=step.external_id,
            at=step.at,
        )

    def on_customer_writes(
        self, step: s.CustomerWrites, customer: Customer, c: Conversation
    ) -> Conversation:
        services.customer_message_add(
            conversation=c,
            text=step.text,
            channel=step.channel,
            author=self.author(customer, step.channel),
            external_id=step.external_id,
            at=step.at,
        )
        return c

    def on_reply(self, step: s.Reply, customer: Customer, c: Conversation) -> Conversation:
        services.reply_send(
            conversation=c,
            agent=self.agents[step.agent],
            text=step.text,
            resolve=step.resolve,
            at=step.at,
        )
        return c

    def on_note(self, step: s.Note, customer: Customer, c: Conversation) -> Conversation:
        services.note_add(conversation=c, agent=self.agents[step.agent], text=step.text, at=step.at)
        return c

    def on_assign(self, step: s.Assign, customer: Customer, c: Conversation) -> Conversation:
        agent = self.agents[step.agent]
        services.conversation_assign(conversation=c, agent=agent, actor=agent.user, at=step.at)
        return c

    def on_transfer(self, step: s.Transfer, customer: Customer, c: Conversation) -> Conversation:
        services.conversation_transfer(
            conversation=c,
            actor=self.agents[step.actor].user,
            note=step.note,
            to_agent=self.agent(step.to_agent),
            to_team=self.team(step.to_team),
            at=step.at,
        )
        return c

    def on_resolve(self, step: s.Resolve, customer: Customer, c: Conversation) -> Conversation:
        services.conversation_resolve(conversation=c, agent=self.agents[step.agent], at=step.at)
        return c

    def on_close(self, step: s.Close, customer: Customer, c: Conversation) -> Conversation:
        services.conversation_close(conversation=c, at=step.at)
        return c

    def on_rate(self, step: s.Rate, customer: Customer, c: Conversation) -> Conversation:
        assert customer.user is not None
        services.rating_submit(
            conversation=c,
            user=customer.user,
            satisfaction=step.satisfaction,
            effort=step.effort,
            comment=step.comment,
            at=step.at,
        )
        return c

    def on_severity_change(
        self, step: s.SeverityChange, customer: Customer, c: Conversation
    ) -> Conversation:
        services.severity_change(
            conversation=c,
            actor=self.agents[step.actor].user,
            severity=step.severity,
            reason=step.reason,
            at=step.at,
        )
        return c

    def on_merge(self, step: s.Merge, customer: Customer, c: Conversation) -> Conversation:
        services.conversation_merge(
            source=c, target=self.written[step.into], agent=self.agents[step.agent], at=step.at
        )
        return c
