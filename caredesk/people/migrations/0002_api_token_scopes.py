import caredesk.people.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(
                default=caredesk.people.models.token_scopes_default,
                help_text='What the token may do: ["read"] (GET only) or ["read", "write"].',
            ),
        ),
    ]
