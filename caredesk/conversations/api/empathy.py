"""The empathy tools over HTTP: the reading of a text and the reply coach on a draft.

They write nothing, so the assembly mounts this router with an authentication that lets a
read-only token use them although they are POSTs (the text travels in the body)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema

from caredesk.apikit import MAX_ID, responses, user_of
from caredesk.conversations import reading
from caredesk.conversations.api.common import agent_required, visible
from caredesk.conversations.coaching import coach_context
from caredesk.empathy.emotion import ENGINES
from caredesk.empathy.emotion.minilm import ModelMissing
from caredesk.replies.services import draft_coach
from caredesk.text import check_encodable

router = Router(tags=["empathy"])

MAX_ANALYZE_CHARS = 100_000


class AnalyzeIn(Schema):
    text: str
    engine: str | None = None  # rules, linear, minilm; default: the desk's inline engine


class CoachContextIn(Schema):
    reading: dict[str, Any] | None = None
    transfers: int | None = Field(None, ge=0, le=1000)
    waited_hours: float | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False)
    tech_problem: bool | None = None


class CoachIn(Schema):
    draft: str
    conversation_id: int | None = Field(None, ge=1, le=MAX_ID)
    context: CoachContextIn | None = None


class FindingOut(Schema):
    start: int
    end: int
    category: str
    reason: str
    rewrites: list[str]
    rule: str
    kind: str


class CoachOut(Schema):
    findings: list[FindingOut]
    context: dict[str, Any]


@router.post("/analyze", response=responses({200: dict[str, Any]}, 400, 403, 409, 413, 422))
def analyze(request: HttpRequest, payload: AnalyzeIn) -> Any:
    """The emotion and risk reading of a text: emotion, scores, polarity, intensity, signals."""
    user_of(request)
    check_encodable(payload.text, field="text")
    if len(payload.text) > MAX_ANALYZE_CHARS:
        raise ValidationError({"text": f"Send at most {MAX_ANALYZE_CHARS:,} characters."})
    if payload.engine is None:
        return reading.analyze(payload.text).to_dict()
    if payload.engine not in ENGINES:
        raise ValidationError({"engine": f"Choose one of: {', '.join(ENGINES)}."})
    try:
        return reading.engine_named(payload.engine).analyze(payload.text).to_dict()
    except ModelMissing as error:
        raise ValidationError({"engine": str(error)}) from error


@router.post("/coach", response=responses({200: CoachOut}, 400, 403, 404, 409, 413, 422))
def coach(request: HttpRequest, payload: CoachIn) -> Any:
    """The reply coach's findings for a draft, with a conversation's context or one you give."""
    agent_required(request)
    check_encodable(payload.draft, field="draft")
    if len(payload.draft) > MAX_ANALYZE_CHARS:
        raise ValidationError({"draft": f"Send at most {MAX_ANALYZE_CHARS:,} characters."})
    if payload.conversation_id is not None:
        context = coach_context(visible(request, payload.conversation_id))
    else:
        context = payload.context.dict() if payload.context else {}
        check_encodable(context, field="context")
    findings = draft_coach(payload.draft, context)
    return {"findings": [f.to_dict() for f in findings], "context": context}
