from django.db import migrations
from django_tenants.utils import get_public_schema_name


def operator_key_ring_create(apps, schema_editor):
    """The operator's row, where it exists, gets the key ring its authenticator keys are encrypted
    with (rows made before two-factor sign-in moved to django-otp have none)."""
    from tenants.encryption import key_ring_create

    Merchant = apps.get_model("tenants", "Merchant")
    public = Merchant.objects.filter(schema_name=get_public_schema_name(), key_ring={}).first()
    if public is not None:
        public.key_ring = key_ring_create(schema_name=public.schema_name)
        public.save(update_fields=["key_ring"])


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0004_schema_template'),
    ]

    operations = [
        # No way back: the keys encrypt the operator's authenticators.
        migrations.RunPython(operator_key_ring_create),
    ]
