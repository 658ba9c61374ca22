"""Every mail of the corpus (real-looking and hostile) is stored or quarantined with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.channels.email.inbound import inbound_mail_receive
from caredesk.channels.email.models import InboundMail, InboundStatus
from caredesk.channels.tests.email.inbound_support import Case, corpus
from caredesk.conversations.models import Attachment, Channel, Direction, Message

CASES = corpus()


def test_the_corpus_is_large_and_covers_the_providers() -> None:
    names = {c.name for c in CASES}
    assert len(CASES) >= 40
    for provider in ("gmail", "outlook", "exchange", "yahoo", "postfix", "exim"):
        assert any(provider in n for n in names), provider


@pytest.fixture
def small_attachments(settings: Any) -> None:
    settings.CAREDESK_MAX_ATTACHMENT_BYTES = 50_000  # the oversized case carries 80 kB


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_mail_is_stored_or_quarantined_with_a_reason(
    case: Case, small_attachments: None
) -> None:
    mail = inbound_mail_receive(raw=case.raw, source="smtp")
    assert mail.status in (InboundStatus.STORED, InboundStatus.QUARANTINED), mail.reason
    if case.expect != "any":
        assert mail.status == case.expect, mail.reason
    if mail.status == InboundStatus.QUARANTINED:
        assert mail.reason
        assert case.fragment in mail.reason or case.fragment in mail.kind
        assert not Message.objects.exists()  # recorded, never a message, never answered
    else:
        message = Message.objects.get()
        assert mail.stored_message == message and mail.conversation_id == message.conversation_id
        assert message.channel == Channel.EMAIL and message.direction == Direction.INBOUND
        assert message.external_id == mail.message_id
        assert case.fragment in message.text
        assert message.reading is not None  # the emotion engine read it like any message
        for bad in ("<script", "onerror", "onclick", "javascript:"):
            assert bad not in message.html
    with mail.raw.open("rb") as f:  # the original is kept, byte for byte
        assert f.read() == case.raw
    # Re-delivery of the same mail makes nothing new.
    again = inbound_mail_receive(raw=case.raw, source="imap")
    assert again.pk == mail.pk
    assert InboundMail.objects.count() == 1
    assert Message.objects.count() == (1 if mail.status == InboundStatus.STORED else 0)


@pytest.mark.django_db
def test_attachments_are_kept_safely_and_the_large_one_is_named_in_the_text(
    small_attachments: None,
) -> None:
    for name in ("attachment_path_traversal", "winmail_dat", "attachment_zero_bytes"):
        inbound_mail_receive(raw=Case(name, "", "").raw, source="smtp")
    names = sorted(Attachment.objects.values_list("filename", "size"))
    assert names == [("empty.log", 0), ("passwd", 10), ("winmail.dat", 104)]
    for attachment in Attachment.objects.all():
        assert ".." not in attachment.file.name
    big = inbound_mail_receive(raw=Case("attachment_oversized", "", "").raw, source="smtp")
    assert big.stored_message is not None
    assert "fault.mp4" in big.stored_message.text and not big.stored_message.attachments.exists()


@pytest.mark.django_db
def test_quoted_history_and_signature_are_cut_from_the_text_but_kept_in_the_original() -> None:
    mail = inbound_mail_receive(raw=Case("outlook_reply_signature", "", "").raw, source="smtp")
    assert mail.stored_message is not None
    assert mail.stored_message.text == "The credit note is still missing."
    gmail = inbound_mail_receive(raw=Case("quoted_reply_gmail", "", "").raw, source="smtp")
    assert gmail.stored_message is not None
    assert "firmware" not in gmail.stored_message.text
    with gmail.raw.open("rb") as f:
        assert b"Please update the firmware" in f.read()


@pytest.mark.django_db
def test_header_injection_changes_neither_sender_nor_subject_lines() -> None:
    mail = inbound_mail_receive(raw=Case("header_injection_from", "", "").raw, source="smtp")
    assert mail.sender == "eve@example.com"
    subject = inbound_mail_receive(raw=Case("header_injection_subject", "", "").raw, source="smtp")
    assert subject.conversation is not None
    assert "\n" not in subject.conversation.subject and "\r" not in subject.conversation.subject
