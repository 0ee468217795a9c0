"""Apple's push service (APNs) for wallet passes: an empty JSON message to each device token, with
the pass type as the topic, over HTTP/2 with the pass type's certificate as the TLS client
certificate. The message only says "something changed": the phone then asks the pass web service
which passes did and fetches them."""
import logging
import ssl
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger("stammkunde.wallet")

# Apple answers within a second or two; a push that waits longer is retried by the task.
TIMEOUT_SECONDS = 10
APPLE_HOSTS = {"api.push.apple.com", "api.sandbox.push.apple.com", "api.development.push.apple.com"}
# The device token is no longer active for the topic: the phone removed the pass or the app data.
GONE = 410


class ApnsUnreachable(ConnectionError):
    """The push service could not be reached or broke off (the task tries again later)."""


def is_apple(base_url: str) -> bool:
    return urlsplit(base_url).hostname in APPLE_HOSTS


def apns_push(tokens: list[str], *, topic: str, base_url: str, tls: ssl.SSLContext | None) -> dict[str, int]:
    """Push to every device token on one connection; the status Apple answered per token."""
    statuses = {}
    try:
        with httpx.Client(http2=True, verify=tls if tls is not None else True, timeout=TIMEOUT_SECONDS) as client:
            for token in tokens:
                response = client.post(f"{base_url.rstrip('/')}/3/device/{token}", content=b"{}",
                                       headers={"apns-topic": topic, "content-type": "application/json"})
                statuses[token] = response.status_code
                if response.status_code not in (200, GONE):
                    logger.warning("APNs answered %s for a wallet device (%s)", response.status_code,
                                   response.text[:200])
    except httpx.TransportError as error:
        raise ApnsUnreachable(str(error)) from error
    return statuses
