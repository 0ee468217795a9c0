"""Provisioning: a merchant's schema, domain and owner account, created in one transaction; the
operator's public row and its staff accounts."""
import re
import zlib

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.clone import CloneSchema
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from tenants.accounts.models import User
from tenants.encryption import key_ring_create
from tenants.models import Country, Domain, Merchant
from tenants.template import schema_create_from_template

SUBDOMAIN_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
# Hosts we keep for ourselves, and schema names PostgreSQL or django-tenants use.
RESERVED_SUBDOMAINS = frozenset(
    {"www", "api", "admin", "app", "hq", "mail", "smtp", "static", "media", "public", "status",
     "help", "support", "docs", "billing", "stripe", "template", "merchant-template"}
)
_PROVISIONING_LOCK = zlib.crc32(b"stammkunde.merchant_provision")


def schema_name_for(subdomain: str) -> str:
    """Subdomains allow hyphens but no underscores, so this mapping never merges two names."""
    return subdomain.replace("-", "_")


def subdomain_validate(subdomain: str) -> str:
    """Return the normalised subdomain, or raise ValidationError with a message for the user."""
    subdomain = subdomain.strip().lower()
    if not SUBDOMAIN_PATTERN.match(subdomain) or "--" in subdomain:
        raise ValidationError(
            _("A subdomain has 3 to 40 characters: lower-case letters, digits and single "
              "hyphens, starting and ending with a letter or digit."),
            code="subdomain_invalid",
        )
    if subdomain in RESERVED_SUBDOMAINS or subdomain.startswith("pg-"):
        raise ValidationError(
            _("The subdomain “%(subdomain)s” is reserved. Please choose another one."),
            code="subdomain_reserved",
            params={"subdomain": subdomain},
        )
    return subdomain


def merchant_host(subdomain: str) -> str:
    return f"{subdomain}.{settings.BASE_HOST}"


def _clone_template_schema(schema_name: str) -> None:
    template = settings.TENANT_TEMPLATE_SCHEMA
    if not schema_exists(template):
        raise ImproperlyConfigured(
            f"The template schema “{template}” is missing: run `manage.py migrate_schemas`."
        )
    # Tables, sequences, triggers and the template's rows (migration history, content types,
    # permissions), so the new schema needs no migrations of its own.
    if not schema_create_from_template(schema_name):
        # No recording yet (a database migrated before recordings existed): the slower clone.
        CloneSchema().clone_schema(template, schema_name, "DATA")


@transaction.atomic
def merchant_provision(
    *,
    subdomain: str,
    name: str,
    owner_email: str,
    owner_password: str | None = None,
    country: str = Country.GERMANY,
) -> Merchant:
    """Create a live merchant: schema, primary domain and owner. All of it, or nothing."""
    subdomain = subdomain_validate(subdomain)
    schema_name = schema_name_for(subdomain)
    host = merchant_host(subdomain)

    # One provisioning at a time: the clone function is shared, and two requests for the same
    # subdomain must not both pass the checks below.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PROVISIONING_LOCK])

    if (
        Merchant.objects.filter(schema_name__iexact=schema_name).exists()
        or Domain.objects.filter(domain__iexact=host).exists()
        or schema_exists(schema_name, case_sensitive=False)
    ):
        raise ValidationError(
            _("The subdomain “%(subdomain)s” is already taken. Please choose another one."),
            code="subdomain_taken",
            params={"subdomain": subdomain},
        )

    merchant = Merchant.objects.create(
        schema_name=schema_name, name=name, country=country,
        key_ring=key_ring_create(schema_name=schema_name),
    )
    Domain.objects.create(domain=host, tenant=merchant, is_primary=True)
    _clone_template_schema(schema_name)

    with schema_context(schema_name):
        User.objects.create_owner(email=owner_email, password=owner_password)
    return merchant


@transaction.atomic
def operator_tenant_ensure() -> Merchant:
    """The public schema's row, which stands for the operator: with its host and its own key ring
    (the operator's secrets, such as authenticator keys, are encrypted with it)."""
    public, _created = Merchant.objects.select_for_update().get_or_create(
        schema_name=get_public_schema_name(), defaults={"name": "Stammkunde"})
    if not public.key_ring:
        public.key_ring = key_ring_create(schema_name=public.schema_name)
        public.save(update_fields=["key_ring"])
    Domain.objects.get_or_create(domain=settings.BASE_HOST, defaults={"tenant": public, "is_primary": True})
    return public


@transaction.atomic
def operator_staff_ensure(*, email: str, password: str | None = None, full_name: str = "") -> User:
    """An operator login for the console (a new one, or an existing account made staff), with the
    operator's row and key ring in place. Its authenticator is set up at the first sign-in."""
    with schema_context(get_public_schema_name()):
        operator_tenant_ensure()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            return User.objects.create_superuser(email, password, full_name=full_name)
        user.is_staff = user.is_superuser = True
        if password:
            user.set_password(password)
        user.save()
        return user
