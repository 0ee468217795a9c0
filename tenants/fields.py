"""Model fields that store personal data encrypted with the merchant's key (tenants.encryption).

For models in merchant schemas only: the key is the one of the schema the connection is on. The
column is `text` holding a token; None is stored as NULL and every other value, the empty string
included, is encrypted, so a raw SELECT shows no plaintext and not even which values are blank.
The ciphertext is random, so the database can neither compare, search nor sort these columns:
filters other than `isnull` are refused. Find rows through a blind index column instead.
"""
import datetime
import json
from collections.abc import Iterator

from django import forms
from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Cast

from tenants.encryption import decrypt, encrypt, key_version_current, token_prefix


class _EncryptedFieldMixin:
    """Encrypts a value on its way into the database and decrypts it on its way back, bound to
    the schema, table and column it is stored in."""

    def get_internal_type(self):
        # The column is text whatever the Python type: it holds the token.
        return "TextField"

    def to_plaintext(self, value) -> str:
        raise NotImplementedError

    def from_plaintext(self, text: str):
        raise NotImplementedError

    def _context(self, db_connection) -> dict:
        return {
            "schema_name": db_connection.schema_name,
            "table": self.model._meta.db_table,
            "field": self.column,
        }

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        return encrypt(self.to_plaintext(value), **self._context(connection))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.from_plaintext(decrypt(value, **self._context(connection)))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise self._not_searchable(lookup_name)

    def get_transform(self, lookup_name):
        raise self._not_searchable(lookup_name)

    def _not_searchable(self, lookup_name: str) -> FieldError:
        return FieldError(
            f"{self.model.__name__}.{self.name} is encrypted: the database cannot filter it by "
            f"“{lookup_name}”, only by “isnull”. Filter on its blind index instead "
            f"(tenants.encryption.blind_index)."
        )


class EncryptedTextField(_EncryptedFieldMixin, models.TextField):
    """Text (str, or None with null=True), e.g. a name, an e-mail address or a phone number."""

    def to_plaintext(self, value: str) -> str:
        return value

    def from_plaintext(self, text: str) -> str:
        return text

    def formfield(self, **kwargs):
        # What is encrypted here is short personal data: one line, not a text area.
        if self.choices is None:
            kwargs = {"widget": forms.TextInput, **kwargs}
        return super().formfield(**kwargs)


class EncryptedDateField(_EncryptedFieldMixin, models.DateField):
    """A date (datetime.date, or None with null=True), stored as its encrypted ISO form."""

    def to_plaintext(self, value: datetime.date) -> str:
        return value.isoformat()

    def from_plaintext(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)


class EncryptedJSONField(_EncryptedFieldMixin, models.JSONField):
    """Any JSON value, e.g. a merchant's custom data for a cardholder, encrypted as a whole.
    None is SQL NULL (allowed with null=True); a JSON null cannot be told apart from it."""

    def to_plaintext(self, value) -> str:
        return json.dumps(value, cls=self.encoder, ensure_ascii=False)

    def from_plaintext(self, text: str):
        return json.loads(text, cls=self.decoder)


def encrypted_fields(model: type[models.Model]) -> list[models.Field]:
    """The model's own encrypted fields (inherited ones live in the parent's table)."""
    return [
        field for field in model._meta.concrete_fields
        if isinstance(field, _EncryptedFieldMixin) and field.model is model
    ]


def encrypted_models(*, public: bool = False, registry: Apps = django_apps) -> list[type[models.Model]]:
    """The models with encrypted fields whose tables a merchant's schema holds (the operator's, the
    public schema, with `public`)."""
    apps_there = settings.SHARED_APPS if public else settings.TENANT_APPS
    return [
        model for model in registry.get_models()
        if model._meta.app_config.name in apps_there and encrypted_fields(model)
    ]


def rows_reencrypt(*, model: type[models.Model], batch_size: int = 500) -> Iterator[int]:
    """Re-encrypt, in the current schema, every row of `model` holding a value under an older data
    key than the current one. Yields the number of rows done per batch; each batch commits on its
    own, so an interrupted run resumes where it stopped and a finished one has nothing to do."""
    fields = encrypted_fields(model)
    current = token_prefix(version=key_version_current(schema_name=connection.schema_name))
    # The token's prefix names its key version: rows already done are skipped without decrypting.
    tokens, outdated = {}, Q()
    for field in fields:
        token = f"{field.attname}_reencrypt_token"
        tokens[token] = Cast(field.attname, models.TextField())
        outdated |= Q(**{f"{field.attname}__isnull": False}) & ~Q(
            **{f"{token}__startswith": current}
        )
    rows = model._base_manager.alias(**tokens).filter(outdated).order_by("pk")
    last_pk = None
    while True:
        with transaction.atomic():
            batch = rows if last_pk is None else rows.filter(pk__gt=last_pk)
            batch = list(batch.select_for_update()[:batch_size])
            if not batch:
                return
            # Loading decrypted the values; saving them encrypts under the current key.
            model._base_manager.bulk_update(batch, [field.name for field in fields])
        last_pk = batch[-1].pk
        yield len(batch)

