"""Two-factor sign-in on django-otp: authenticator devices with encrypted keys, the secrets kept on
the user row so far moved onto them (encrypted), and those columns dropped."""
import base64

import django.db.models.deletion
import tenants.fields
from django.conf import settings
from django.db import migrations, models


def secrets_onto_devices(apps, schema_editor):
    from django_tenants.utils import get_public_schema_name

    from tenants.encryption import key_ring_create

    schema = schema_editor.connection.schema_name
    User = apps.get_model("accounts", "User")
    AuthenticatorDevice = apps.get_model("accounts", "AuthenticatorDevice")
    users = list(User.objects.exclude(totp_secret=""))
    if not users:
        return
    if schema == get_public_schema_name():
        # The operator's secrets are encrypted with the operator's own key ring.
        Merchant = apps.get_model("tenants", "Merchant")
        public = Merchant.objects.get(schema_name=schema)
        if not public.key_ring:
            public.key_ring = key_ring_create(schema_name=schema)
            public.save(update_fields=["key_ring"])
    for user in users:
        AuthenticatorDevice.objects.create(
            user=user, name="Authenticator", confirmed=True, last_step=user.totp_last_step,
            key=base64.b32decode(user.totp_secret).hex(),
        )


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0004_schema_template'),
        ('accounts', '0003_user_pos_pin'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuthenticatorDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('key', tenants.fields.EncryptedTextField()),
                ('last_step', models.BigIntegerField(default=-1)),
                ('user', models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'authenticator',
                'verbose_name_plural': 'authenticators',
            },
        ),
        migrations.RunPython(secrets_onto_devices, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='user',
            name='totp_last_step',
        ),
        migrations.RemoveField(
            model_name='user',
            name='totp_secret',
        ),
    ]
