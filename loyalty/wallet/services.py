"""Writes of the wallet: a cardholder takes a pass of their card, phones register for its changes
(Apple's pass web service), a booking marks the passes of its cards as changed, and the pushes to
Apple tell the registered phones so.

A pass's `updated_at` moves by at least a second on every change: the web service answers
If-Modified-Since in whole seconds (HTTP dates), and two changes within one second must still be
two versions for a phone. Registrations are a phone's technical state, not a person's action:
they are not written to the audit log."""
import datetime
import logging
import re

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest, Now
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.errors import CardNotFound
from loyalty.models import Card, WalletDevice, WalletPass, WalletRegistration
from loyalty.wallet.apns import GONE, apns_push, is_apple
from loyalty.wallet.certificates import signer

logger = logging.getLogger("stammkunde.wallet")

ONE_SECOND = datetime.timedelta(seconds=1)
# Apple's device library identifiers and push tokens are short runs of letters and digits.
DEVICE_LIBRARY_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")
PUSH_TOKEN = re.compile(r"[A-Za-z0-9]{1,200}")


class WalletRequestInvalid(ValueError):
    """A device library identifier or push token that no phone sends."""


def _next_version():
    """`updated_at` of a changed pass: now, and at least a second after the version before."""
    return Greatest(Now(), F("updated_at") + ONE_SECOND)


@transaction.atomic
def wallet_pass_issue(*, card_number: str, actor: Actor) -> tuple[Card, WalletPass]:
    """The cardholder's own active card and its pass row, made on the first download and moved to
    a new version on every later one (the file handed out is built now). Any other card, or a
    card that cannot be used, is CardNotFound: nothing tells whether it exists."""
    card = Card.objects.filter(number=str(card_number), status=Card.Status.ACTIVE).first()
    if card is None or not actor.acts_for(card.cardholder_id):
        raise CardNotFound()
    wallet_pass, created = WalletPass.objects.get_or_create(card=card, defaults={"updated_at": timezone.now()})
    if not created:
        WalletPass.objects.filter(pk=wallet_pass.pk).update(updated_at=_next_version())
        wallet_pass.refresh_from_db(fields=["updated_at"])
    return card, wallet_pass


def wallet_device_check(device_library_id: str, push_token: str | None = None) -> None:
    if not DEVICE_LIBRARY_ID.fullmatch(device_library_id):
        raise WalletRequestInvalid("device library identifier")
    if push_token is not None and not (isinstance(push_token, str) and PUSH_TOKEN.fullmatch(push_token)):
        raise WalletRequestInvalid("push token")


@transaction.atomic
def wallet_device_register(*, wallet_pass: WalletPass, device_library_id: str, push_token: str) -> bool:
    """The device asks to be told of changes to the pass; True when it was not registered for it
    yet. A new push token replaces the device's old one."""
    wallet_device_check(device_library_id, push_token)
    device, created = WalletDevice.objects.get_or_create(device_library_id=device_library_id,
                                                         defaults={"push_token": push_token})
    if not created and device.push_token != push_token:
        WalletDevice.objects.filter(pk=device.pk).update(push_token=push_token)
    _registration, registered = WalletRegistration.objects.get_or_create(device=device, wallet_pass=wallet_pass)
    return registered


@transaction.atomic
def wallet_device_unregister(*, wallet_pass: WalletPass, device_library_id: str) -> bool:
    """The device no longer wants to hear of the pass (it was removed from the phone); a device
    left with no pass is forgotten. True when there was a registration."""
    wallet_device_check(device_library_id)
    deleted, _by_model = WalletRegistration.objects.filter(
        wallet_pass=wallet_pass, device__device_library_id=device_library_id).delete()
    WalletDevice.objects.filter(device_library_id=device_library_id, registrations__isnull=True).delete()
    return bool(deleted)


def wallet_passes_changed(*, card_ids) -> int:
    """Mark the passes of these cards as changed and, once the transaction commits, push to the
    phones registered for them. One statement on every booking; nothing more when no card of it
    has a pass."""
    changed = WalletPass.objects.filter(card_id__in=card_ids).update(updated_at=_next_version())
    if changed:
        from loyalty.tasks import wallet_passes_push

        ids = sorted(card_ids)
        transaction.on_commit(lambda: wallet_passes_push.delay(ids))
    return changed


def wallet_pushes_send(*, card_ids: list[int]) -> dict[str, int]:
    """Push once to every device registered for a pass of these cards. A device Apple no longer
    knows (410) is forgotten, with its registrations, unless it registered a new token meanwhile.
    Sent again after a failure, it pushes again: a phone told twice asks twice, and nothing changes."""
    devices = list(WalletDevice.objects.filter(registrations__wallet_pass__card_id__in=card_ids)
                   .distinct().order_by("pk"))
    if not devices:
        return {"pushed": 0, "forgotten": 0}
    signing = signer()
    if signing.development and is_apple(settings.WALLET_APNS_URL):
        # Apple refuses a self-signed certificate: without a real one there is nobody to tell.
        logger.info("Wallet pushes for %s devices skipped: the development certificate signs passes", len(devices))
        return {"pushed": 0, "forgotten": 0}
    statuses = apns_push([device.push_token for device in devices], topic=settings.WALLET_PASS_TYPE_ID,
                         base_url=settings.WALLET_APNS_URL, tls=signing.tls_context())
    forgotten = 0
    for device in devices:
        if statuses.get(device.push_token) == GONE:
            forgotten += WalletDevice.objects.filter(pk=device.pk, push_token=device.push_token).delete()[1].get(
                WalletDevice._meta.label, 0)
    return {"pushed": len(statuses), "forgotten": forgotten}
