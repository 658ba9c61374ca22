"""The one loop that plays a story, step by step, for both writers.

`SlowWriter` (`slow.py`) answers each step with the desk's real service; `FastWriter`
(`fast.py`) with the same lifecycle function the service calls, on in-memory rows saved in bulk.
Neither decides anything itself: what a step does is `conversations/lifecycle/`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from caredesk.conversations.models import Channel, Conversation
from caredesk.customers.models import Customer
from caredesk.demo import steps as s
from caredesk.people.models import Agent, Team, User


class Writer:
    """Plays stories; subclasses give one method per kind of step (`on_<step>`)."""

    def __init__(
        self, *, agents: list[Agent], teams: dict[str, Team], customers: list[Customer]
    ) -> None:
        self.agents = agents
        self.teams = teams
        self.customers = customers
        self.written: dict[s.Story, Conversation] = {}
        self._handlers: dict[type, Callable[..., Any]] = {
            s.CustomerWrites: self.on_customer_writes,
            s.Reply: self.on_reply,
            s.Note: self.on_note,
            s.Assign: self.on_assign,
            s.Transfer: self.on_transfer,
            s.Resolve: self.on_resolve,
            s.Close: self.on_close,
            s.Rate: self.on_rate,
            s.SeverityChange: self.on_severity_change,
            s.Merge: self.on_merge,
        }

    def author(self, customer: Customer, channel: str) -> User | None:
        """Portal and API messages come from the customer's login; email from an address."""
        return customer.user if channel != Channel.EMAIL else None

    def team(self, name: str | None) -> Team | None:
        return self.teams[name] if name else None

    def agent(self, index: int | None) -> Agent | None:
        return self.agents[index] if index is not None else None

    def write(self, story: s.Story) -> Conversation:
        customer = self.customers[story.customer]
        first = story.steps[0]
        assert isinstance(first, s.Create), "a story starts with its conversation"
        conversation = self.on_create(first, customer)
        for step in story.steps[1:]:
            conversation = self._handlers[type(step)](step, customer, conversation)
        self.written[story] = conversation
        return conversation

    def on_create(self, step: s.Create, customer: Customer) -> Conversation:
        raise NotImplementedError

    def on_customer_writes(
        self, step: s.CustomerWrites, customer: Customer, c: Conversation
    ) -> Conversation:
        raise NotImplementedError

    def on_reply(self, step: s.Reply, customer: Customer, c: Conversation) -> Conversation:
        raise NotImplementedError

    def on_note(self, step: s.Note, customer: Customer, c: Conversation) -> Conversation:
        raise NotImplementedError

    def on_assign(self, step: s.Assign, customer: Customer, c: Conversation) -> Conversation:
        raise NotImplementedError

    def on_transfer(self, step: s.Transfer, customer: Customer, c: Conversation) -> Conversation:
        raise NotImplementedError

    def on_resolve(self, step: s.Resolve, customer: Customer, c: Conversation) -> Conversation:
        raise NotImplementedError

    def on_close(self, step: s.Close, customer: Customer, c: Conversation) -> Conversation:
        raise NotImplementedError

    def on_rate(self, step: s.Rate, customer: Customer, c: Conversation) -> Conversation:
        raise NotImplementedError

    def on_severity_change(
        self, step: s.SeverityChange, customer: Customer, c: Conversation
    ) -> Conversation:
        raise NotImplementedError

    def on_merge(self, step: s.Merge, customer: Customer, c: Conversation) -> Conversation:
        raise NotImplementedError
