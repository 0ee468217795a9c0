"""Reminders before points expire: found nightly, each sent once, in the holder's language."""
import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation

from loyalty.models import ExpiryReminder, Lot

REMINDER_DAYS_AHEAD = 30


def expiry_reminders_create(*, today: datetime.date, days_ahead: int = REMINDER_DAYS_AHEAD) -> list[int]:
    """One reminder per account and expiry day for points that expire within `days_ahead`, for
    holders with an e-mail address. Returns the ids of the new reminders (existing ones stay)."""
    rows = (
        Lot.objects.filter(
            remaining__gt=0, expires_on__gte=today, expires_on__lte=today + datetime.timedelta(days=days_ahead),
            account__program__kind="points", account__card__status="active",
            account__card__cardholder__isnull=False, account__card__cardholder__anonymised_at__isnull=True,
        )
        .exclude(account__card__cardholder__email_index="")
        .values("account_id", "expires_on")
        .annotate(points=Sum("remaining"))
    )
    created = []
    for row in rows:
        try:
            with transaction.atomic():
                reminder = ExpiryReminder.objects.create(
                    account_id=row["account_id"], expires_on=row["expires_on"], points=row["points"]
                )
        except IntegrityError:
            continue  # reminded already
        created.append(reminder.pk)
    return created


@transaction.atomic
def expiry_reminder_send(*, reminder_id: int) -> bool:
    """Send one reminder once. The row stays locked while the mail goes out: if sending fails,
    nothing is marked and a retry sends it; a reminder already sent is skipped."""
    reminder = (
        ExpiryReminder.objects.select_for_update(of=("self",))
        .select_related("account__card__cardholder", "account__program")
        .filter(pk=reminder_id, sent_at__isnull=True)
        .first()
    )
    if reminder is None:
        return False
    cardholder = reminder.account.card.cardholder
    if cardholder is None or cardholder.anonymised_at is not None or not cardholder.email:
        # The holder's data were deleted (or the card made anonymous) after the reminder was queued:
        # there is nobody to write to, and the reminder stays unsent.
        return False
    with translation.override(cardholder.language or settings.LANGUAGE_CODE):
        context = {"cardholder": cardholder, "reminder": reminder, "program": reminder.account.program}
        subject = render_to_string("loyalty/email/expiry_reminder_subject.txt", context).strip()
        body = render_to_string("loyalty/email/expiry_reminder.txt", context)
    send_mail(subject, body, None, [cardholder.email])
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["sent_at"])
    return True
