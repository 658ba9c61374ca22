"""What the desk knows about the conversation, normalised from whatever the caller passes."""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from caredesk.empathy.types import Reading

#: A reading counts as "upset" from this intensity on (negative polarity only).
UPSET_INTENSITY = 0.5
#: Any negative reading from this intensity on deserves an acknowledgment (polite but cold fails).
NEGATIVE_INTENSITY = 0.3
#: After this many hours of waiting the process is "protracted" and deserves an apology.
PROTRACTED_HOURS = 48.0


@dataclass(frozen=True)
class CoachContext:
    """The facts that decide whether an acknowledgment or an apology is owed.

    Each field is ``None`` when unknown, so a coach run without context never guesses.
    """

    emotion: str | None = None
    polarity: str | None = None
    intensity: float | None = None
    transfers: int | None = None
    waited_hours: float | None = None
    tech_problem: bool | None = None
    #: Words in the customer's latest message: a two-word answer to a long problem reads curt.
    customer_words: int | None = None
    #: The customer's latest message itself, for rules that read it (``customer_says``).
    customer: str | None = None

    @classmethod
    def coerce(cls, value: CoachContext | Mapping[str, Any] | None) -> CoachContext:
        """Accept ``None``, a ``CoachContext`` or a plain mapping with the documented keys."""
        if value is None:
            return cls()
        if isinstance(value, CoachContext):
            return value
        if not isinstance(value, Mapping):
            raise TypeError("context must be a mapping, a CoachContext or None")
        emotion, polarity, intensity = _reading_parts(value.get("reading"))
        return cls(
            emotion=emotion,
            polarity=polarity,
            intensity=intensity,
            transfers=_optional(int, value.get("transfers")),
            waited_hours=_optional(float, value.get("waited_hours")),
            tech_problem=_optional(bool, value.get("tech_problem")),
            customer_words=_customer_words(value),
            customer=value["customer"] if isinstance(value.get("customer"), str) else None,
        )

    def is_upset(self, threshold: float = UPSET_INTENSITY) -> bool:
        return (
            self.polarity == "negative"
            and self.intensity is not None
            and self.intensity >= threshold
        )

    def is_negative(self, threshold: float = NEGATIVE_INTENSITY) -> bool:
        """Any clearly negative reading: the customer is owed an acknowledgment, not just facts."""
        return (
            self.polarity == "negative"
            and self.intensity is not None
            and self.intensity >= threshold
        )

    def apology_situations(self, protracted_hours: float = PROTRACTED_HOURS) -> tuple[str, ...]:
        """The situations (seed: transfer, technology trouble, protracted process) that apply."""
        found: list[str] = []
        if self.transfers is not None and self.transfers >= 1:
            found.append("transfer")
        if self.tech_problem:
            found.append("tech_problem")
        if self.waited_hours is not None and self.waited_hours >= protracted_hours:
            found.append("long_wait")
        return tuple(found)


def _reading_parts(reading: object) -> tuple[str | None, str | None, float | None]:
    if reading is None:
        return None, None, None
    if isinstance(reading, Reading):
        return reading.emotion, reading.polarity, float(reading.intensity)
    if isinstance(reading, Mapping):
        intensity = reading.get("intensity")
        return (
            reading.get("emotion"),
            reading.get("polarity"),
            None if intensity is None else float(intensity),
        )
    # Duck-typed readings (e.g. a model row with the same attributes).
    intensity = getattr(reading, "intensity", None)
    return (
        getattr(reading, "emotion", None),
        getattr(reading, "polarity", None),
        None if intensity is None else float(intensity),
    )


def _customer_words(value: Mapping[str, Any]) -> int | None:
    """``customer_words`` as given, or counted from the customer's message (``customer``)."""
    if value.get("customer_words") is not None:
        return int(value["customer_words"])
    message = value.get("customer")
    return len(message.split()) if isinstance(message, str) else None


def _optional(convert: Any, value: object) -> Any:
    return None if value is None else convert(value)


@dataclass(frozen=True)
class Cuts:
    """The thresholds a coach compares a context's numbers with (``value >= cut`` only): the
    rules' settings, each rule's ``min_customer_words``, the learned part's own."""

    intensity: tuple[float, ...] = (NEGATIVE_INTENSITY, UPSET_INTENSITY)
    waited_hours: tuple[float, ...] = (PROTRACTED_HOURS,)
    customer_words: tuple[int, ...] = ()
    #: Every pattern the rules search the customer's message with.
    customer: tuple[re.Pattern[str], ...] = ()


def context_reduced(ctx: CoachContext, cuts: Cuts) -> CoachContext:
    """``ctx`` with each number moved to the lowest value on the same side of every cut (and
    ``transfers`` to 0 or 1, as ``apology_situations`` reads it): the coach finds the same in
    both, and a caller that coaches many drafts (the demo's bulk path) can remember findings
    by the reduced context, whose numbers take a handful of values where the full one's are
    all different (a wait in tenths of an hour). ``demo/tests/test_fast_coach.py`` checks it."""
    return CoachContext(
        emotion=ctx.emotion,
        polarity=ctx.polarity,
        intensity=_floor(ctx.intensity, cuts.intensity),
        transfers=None if ctx.transfers is None else int(ctx.transfers >= 1),
        waited_hours=_floor(ctx.waited_hours, cuts.waited_hours),
        tech_problem=ctx.tech_problem,
        customer_words=_floor(ctx.customer_words, cuts.customer_words),
        customer=ctx.customer,
    )


def _floor(value: Any, cuts: tuple[Any, ...]) -> Any:
    """The largest cut not above ``value``, or one below every cut (None stays None)."""
    if value is None:
        return None
    if not cuts:
        return 0
    passed = [cut for cut in cuts if value >= cut]
    return max(passed) if passed else min(cuts) - 1


def customer_heard(text: str | None, cuts: Cuts) -> tuple[bool, ...] | None:
    """All the coach reads of the customer's message (beside its length): whether each of the
    rules' patterns finds something in it; None without a message."""
    return None if text is None else tuple(p.search(text) is not None for p in cuts.customer)


def context_key(
    ctx: CoachContext, cuts: Cuts, *, heard: tuple[bool, ...] | None = None
) -> Hashable:
    """Equal for contexts in which the coach finds the same: the reduced context's facts but the
    customer's message, and what the rules hear in it (``heard``: `customer_heard`, given by a
    caller that keeps it per message). A plain tuple: a memo holds hundreds of thousands."""
    if heard is None and ctx.customer is not None:
        heard = customer_heard(ctx.customer, cuts)
    return (*_facts(context_reduced(ctx, cuts)), heard)


# Every fact of a context but the customer's message (a field added later is in the key too).
_facts = operator.attrgetter(
    *(f.name for f in dataclasses.fields(CoachContext) if f.name != "customer")
)
