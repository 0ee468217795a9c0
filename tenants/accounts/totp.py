"""Time-based one-time passwords (RFC 6238) for two-factor sign-in with any authenticator app."""
import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6


def totp_secret_new() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode()


def totp_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def totp_code(secret: str, step: int) -> str:
    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def totp_match(secret: str, code: str, *, at: float | None = None, after_step: int = -1) -> int | None:
    """The time step the code belongs to (allowing one step of clock drift either way), or None.
    A step at or before `after_step` was used already and does not count again."""
    code = "".join(code.split())
    now = totp_step(at)
    for step in (now - 1, now, now + 1):
        if step > after_step and hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


def totp_uri(secret: str, *, account: str, issuer: str = "Stammkunde") -> str:
    """The otpauth:// address authenticator apps read (as text or QR code)."""
    return (f"otpauth://totp/{quote(issuer)}:{quote(account)}?secret={secret}&issuer={quote(issuer)}"
            f"&digits={DIGITS}&period={STEP_SECONDS}")
