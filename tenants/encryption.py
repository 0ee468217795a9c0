"""Field-level encryption of personal data with per-merchant keys, and blind indexes for look-ups.

Envelope encryption: each merchant's row holds a key ring of random data keys (versioned, one of
them current) and one blind-index key, each wrapped with AES-GCM by a master key from the setting
FIELD_ENCRYPTION_MASTER_KEYS. A value is encrypted with AES-GCM under the current data key, with
"schema|table|field" as associated data, into the token
`v1:<key version>:<base64(nonce||ciphertext)>`.
A token copied to another merchant, table or column does not decrypt, so renaming a table or a
column of an encrypted field needs the values re-encrypted under the new name first.

Rotation adds a data key version and leaves the older ones, so stored tokens keep decrypting until
`manage.py rotate_merchant_keys` has re-encrypted them. The blind-index key never rotates: an index
is a keyed hash that look-ups must reproduce, so it has to stay stable.
"""
import base64
import functools
import hashlib
import hmac
import json
import os
import re
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name

from tenants.models import Country, Merchant

TOKEN_FORMAT = "v1"
_NONCE_BYTES = 12
_KEY_BYTES = 32
_MASTER_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TOKEN = re.compile(rf"{TOKEN_FORMAT}:(?P<version>[1-9][0-9]*):(?P<payload>[A-Za-z0-9_=-]+)")
# Dialling codes of the countries a merchant can be in (tenants.models.Country).
CALLING_CODES = {Country.GERMANY: "49", Country.AUSTRIA: "43"}


class DecryptionError(Exception):
    """A stored value that does not decrypt: it was altered, or written for another merchant,
    table or field."""


class KeyRingError(ImproperlyConfigured):
    """A merchant's keys cannot be used: no key ring, or a master key it needs is not configured."""


# --- Master keys ---------------------------------------------------------------------------------


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _b64decode(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text.encode("ascii"))
    # The decoder skips stray characters and ignores unused bits; only the canonical spelling
    # counts, so that no two token strings stand for the same bytes.
    if _b64encode(raw) != text:
        raise ValueError("not canonical URL-safe base64")
    return raw


@functools.cache
def _parse_master_keys(configured: tuple[str, ...]) -> dict[str, bytes]:
    master_keys = {}
    for position, entry in enumerate(configured, start=1):
        key_id, _, encoded = entry.strip().partition(":")
        try:
            key = _b64decode(encoded)
        except ValueError:
            key = b""
        # The message names the entry by position only: it must never echo key material.
        if not _MASTER_KEY_ID.match(key_id) or len(key) != _KEY_BYTES or key_id in master_keys:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_MASTER_KEYS entry {position} is not “id:key” with a unique id "
                f"(letters, digits, - and _) and a key of 32 bytes in URL-safe base64."
            )
        master_keys[key_id] = key
    if not master_keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_MASTER_KEYS holds no key.")
    return master_keys


def _master_keys() -> dict[str, bytes]:
    """The configured master keys by id, the current (first) one first."""
    return _parse_master_keys(tuple(settings.FIELD_ENCRYPTION_MASTER_KEYS))


def _wrap(key: bytes, *, schema_name: str, purpose: str) -> dict:
    master_id, master_key = next(iter(_master_keys().items()))
    nonce = os.urandom(_NONCE_BYTES)
    aad = f"{schema_name}|{master_id}|{purpose}".encode()
    wrapped = nonce + AESGCM(master_key).encrypt(nonce, key, aad)
    return {"master": master_id, "key": _b64encode(wrapped)}


def _unwrap(wrapped: dict, *, schema_name: str, purpose: str) -> bytes:
    master_id = wrapped["master"]
    master_key = _master_keys().get(master_id)
    if master_key is None:
        raise KeyRingError(
            f"The key ring of merchant “{schema_name}” needs master key “{master_id}”, which "
            f"FIELD_ENCRYPTION_MASTER_KEYS no longer holds. Add it back (after the current key)."
        )
    raw = _b64decode(wrapped["key"])
    aad = f"{schema_name}|{master_id}|{purpose}".encode()
    try:
        return AESGCM(master_key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad)
    except InvalidTag:
        raise KeyRingError(
            f"Master key “{master_id}” does not open the key ring of merchant “{schema_name}”: the "
            f"ring was altered or copied from another merchant, or the configured key is not the "
            f"one it was wrapped with."
        ) from None


# --- Key rings -----------------------------------------------------------------------------------


def key_ring_create(*, schema_name: str) -> dict:
    """A new merchant's key ring: data key version 1 and the blind-index key, both wrapped."""
    return {
        "current": 1,
        "data_keys": {
            "1": _wrap(os.urandom(_KEY_BYTES), schema_name=schema_name, purpose="data:1"),
        },
        "index_key": _wrap(os.urandom(_KEY_BYTES), schema_name=schema_name, purpose="index"),
    }


@transaction.atomic
def key_ring_rotate(*, merchant: Merchant) -> int:
    """Add a new current data key and return its version. Older versions stay to decrypt what is
    stored; every key is re-wrapped with the current master key, so that retired master keys can
    be removed from the settings once each merchant has been rotated."""
    locked = Merchant.objects.select_for_update().get(pk=merchant.pk)
    schema_name = locked.schema_name
    ring = locked.key_ring
    if not ring:
        raise KeyRingError(f"Merchant “{schema_name}” has no key ring to rotate.")
    data_keys = {
        version: _wrap(
            _unwrap(wrapped, schema_name=schema_name, purpose=f"data:{version}"),
            schema_name=schema_name, purpose=f"data:{version}",
        )
        for version, wrapped in ring["data_keys"].items()
    }
    new_version = max(int(version) for version in data_keys) + 1
    data_keys[str(new_version)] = _wrap(
        os.urandom(_KEY_BYTES), schema_name=schema_name, purpose=f"data:{new_version}"
    )
    index_key = _unwrap(ring["index_key"], schema_name=schema_name, purpose="index")
    locked.key_ring = {
        "current": new_version,
        "data_keys": data_keys,
        "index_key": _wrap(index_key, schema_name=schema_name, purpose="index"),
    }
    locked.save(update_fields=["key_ring"])
    # The caller's object may be connection.tenant: it must encrypt with the new key from now on.
    merchant.key_ring = locked.key_ring
    return new_version


class _Keys:
    """One merchant's unwrapped keys, as a key ring held them."""

    def __init__(self, ring: dict, *, schema_name: str):
        self.current = ring["current"]
        self.data = {
            int(version): AESGCM(
                _unwrap(wrapped, schema_name=schema_name, purpose=f"data:{version}")
            )
            for version, wrapped in ring["data_keys"].items()
        }
        self._index_key = _unwrap(ring["index_key"], schema_name=schema_name, purpose="index")
        self._field_index_keys = {}

    def index_key(self, field: str) -> bytes:
        # One key per field, so that equal e-mail and phone values give unrelated indexes.
        if field not in self._field_index_keys:
            self._field_index_keys[field] = HKDF(
                algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None,
                info=f"stammkunde blind index|{field}".encode(),
            ).derive(self._index_key)
        return self._field_index_keys[field]


# Unwrapped keys by (schema, digest of the key ring): a rotated ring has a new digest, and a ring
# whose creating transaction rolled back is never read again. Process-local; keys are never logged.
_UNWRAPPED: dict[tuple[str, str], _Keys] = {}
_UNWRAPPED_MAX = 256


def _key_ring(schema_name: str, *, fresh: bool) -> dict:
    tenant = getattr(connection, "tenant", None)
    # In requests and tasks the tenant is the Merchant itself; in schema_context() it is a
    # stand-in without the ring, which is then read from the public table.
    if not fresh and isinstance(tenant, Merchant) and tenant.schema_name == schema_name:
        ring = tenant.key_ring
    else:
        ring = Merchant.objects.filter(schema_name=schema_name).values_list(
            "key_ring", flat=True
        ).first()
    if not ring and schema_name == get_public_schema_name():
        raise KeyRingError(
            "The operator's row (the public schema) has no key ring: it gets one from "
            "tenants.services.operator_tenant_ensure(). Personal data of cardholders is encrypted "
            "with a merchant's keys: run that inside tenant_context(merchant)."
        )
    if not ring:
        raise KeyRingError(
            f"Merchant “{schema_name}” has no key ring: merchants get one when provisioned, and "
            f"older ones from the migration tenants 0002."
        )
    return ring


# The key ring object last seen per schema and its keys: a request's or task's tenant hands over
# the same dict on every call, so its digest is worked out once (a rotation assigns a new dict).
_LAST_RING: dict[str, tuple[dict, _Keys]] = {}


def _keys(schema_name: str, *, fresh: bool = False) -> _Keys:
    ring = _key_ring(schema_name, fresh=fresh)
    last = _LAST_RING.get(schema_name)
    if last is not None and last[0] is ring:
        return last[1]
    digest = hashlib.sha256(json.dumps(ring, sort_keys=True).encode()).hexdigest()
    keys = _UNWRAPPED.get((schema_name, digest))
    if keys is None:
        if len(_UNWRAPPED) >= _UNWRAPPED_MAX:
            _UNWRAPPED.clear()
        keys = _UNWRAPPED[schema_name, digest] = _Keys(ring, schema_name=schema_name)
    if len(_LAST_RING) >= _UNWRAPPED_MAX:
        _LAST_RING.clear()
    _LAST_RING[schema_name] = (ring, keys)
    return keys


# --- Values --------------------------------------------------------------------------------------


def _context(schema_name: str, table: str, field: str) -> bytes:
    return f"{schema_name}|{table}|{field}".encode()


def encrypt(value: str, *, schema_name: str, table: str, field: str) -> str:
    """The token for `value` in that merchant's table and field, under its current data key."""
    if not isinstance(value, str):
        raise TypeError(f"Only text is encrypted, not {type(value).__name__}.")
    keys = _keys(schema_name)
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = keys.data[keys.current].encrypt(
        nonce, value.encode(), _context(schema_name, table, field)
    )
    return f"{token_prefix(version=keys.current)}{_b64encode(nonce + ciphertext)}"


def decrypt(token: str, *, schema_name: str, table: str, field: str) -> str:
    """The text in `token`, or DecryptionError if it was altered or belongs elsewhere."""
    where = f"{schema_name}.{table}.{field}"
    match = _TOKEN.fullmatch(token)
    try:
        raw = _b64decode(match["payload"]) if match else None
    except ValueError:
        raw = None
    if raw is None or len(raw) <= _NONCE_BYTES:
        raise DecryptionError(f"The value in {where} is not an encrypted token.")
    version = int(match["version"])
    keys = _keys(schema_name)
    if version not in keys.data:
        # Another process may have rotated the ring since this one was read.
        keys = _keys(schema_name, fresh=True)
    if version not in keys.data:
        raise DecryptionError(f"The value in {where} names an unknown key version ({version}).")
    try:
        plaintext = keys.data[version].decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _context(schema_name, table, field)
        )
    except InvalidTag:
        raise DecryptionError(
            f"The value in {where} does not decrypt: it was altered, or it was written for "
            f"another merchant, table or field."
        ) from None
    return plaintext.decode()


def key_version_current(*, schema_name: str) -> int:
    """The data key version that new values in that merchant's schema are encrypted with."""
    return _keys(schema_name).current


def token_prefix(*, version: int) -> str:
    """How every token under that data key version starts."""
    return f"{TOKEN_FORMAT}:{version}:"


# --- Blind indexes -------------------------------------------------------------------------------


def blind_index(value: str, *, schema_name: str, field: str) -> str:
    """A keyed hash (hex HMAC-SHA256) of an already normalised value, to find rows by it without
    decrypting. Differs between merchants and between fields; survives data key rotation."""
    key = _keys(schema_name).index_key(field)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str, *, country: str) -> str:
    """Digits with a leading + in international form where it can be told: "+49 (0)171 1234567",
    "0049 171 1234567" and, for a merchant in Germany, "0171 1234567" all give "+491711234567".
    A single leading 0 is the trunk prefix of the merchant's country (DE and AT both use it);
    numbers without a prefix at all are kept as their digits. Invisible format characters (the
    word joiner our exports put before a "+") are dropped first."""
    value = "".join(char for char in value if unicodedata.category(char) != "Cf")
    value = value.strip().replace("(0)", "")
    digits = re.sub(r"\D", "", value)
    if not digits:
        return ""
    if value.startswith("+"):
        return f"+{digits}"
    if digits.startswith("00"):
        return f"+{digits[2:]}"
    if digits.startswith("0") and country in CALLING_CODES:
        return f"+{CALLING_CODES[country]}{digits[1:]}"
    return digits
