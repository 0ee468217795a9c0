"""Reads of the pass web service: a pass by its serial number (the card number), and which passes
of a device changed since the tag it last got. A tag is the newest `updated_at` it was answered
with, in microseconds since 1970: opaque to the phone, exact for us."""
import datetime

from loyalty.models import WalletPass

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)
# Up to the year 9999: no tag of ours is longer.
TAG_MAX_DIGITS = 18


def wallet_pass_for(serial_number: str) -> WalletPass | None:
    return WalletPass.objects.select_related("card").filter(card__number=serial_number).first()


def wallet_tag(moment: datetime.datetime) -> str:
    return str((moment - EPOCH) // MICROSECOND)


def wallet_tag_read(tag: str) -> datetime.datetime:
    """The moment of a tag; ValueError for anything we never handed out."""
    if not (tag.isascii() and tag.isdigit() and len(tag) <= TAG_MAX_DIGITS):
        raise ValueError("not a tag")
    try:
        return EPOCH + int(tag) * MICROSECOND
    except OverflowError as error:
        raise ValueError("not a tag") from error


def wallet_passes_updated(*, device_library_id: str, since: datetime.datetime | None) -> list[WalletPass] | None:
    """The device's passes changed after `since` (all of them without it), oldest change first;
    None when the device holds no pass of this merchant."""
    registered = list(WalletPass.objects.select_related("card")
                      .filter(registrations__device__device_library_id=device_library_id)
                      .order_by("updated_at", "pk"))
    if not registered:
        return None
    return [wallet_pass for wallet_pass in registered if since is None or wallet_pass.updated_at > since]
