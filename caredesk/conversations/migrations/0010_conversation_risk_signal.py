"""The strongest open risk signal on the conversation row, filled from the latest reading of every
conversation not yet resolved (the default policy's ranking; later readings use the team's)."""

from django.db import migrations, models

OPEN = ("new", "open", "waiting_on_customer", "waiting_on_us")
# The default policy's severities (people.models.DEFAULT_SIGNAL_POLICY) as they stood.
RANK = {
    "safety": 4,
    "legal_threat": 4,
    "public_escalation": 4,
    "churn_intent": 3,
    "repeated_contact": 3,
    "long_wait": 3,
    "urgency": 3,
}
ORDER = list(RANK)


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Conversation = apps.get_model("conversations", "Conversation")
    batch = []
    rows = Conversation.objects.filter(status__in=OPEN).exclude(signals=[]).only("signals")
    for c in rows.iterator(chunk_size=2000):
        known = [s for s in (c.signals or []) if s in RANK]
        if known:
            c.risk_signal = max(known, key=lambda s: (RANK[s], -ORDER.index(s)))
            batch.append(c)
        if len(batch) >= 2000:
            Conversation.objects.bulk_update(batch, ["risk_signal"])
            batch = []
    Conversation.objects.bulk_update(batch, ["risk_signal"])


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0009_event_kinds_care"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="risk_signal",
            field=models.CharField(blank=True, max_length=30),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
