"""The nightly Celery task, run by a real worker: expired lots are booked away and reminders for
points that expire soon go out once, per merchant schema."""
import datetime
import time

from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Account, Booking, ExpiryReminder, Lot, StatisticsState
from loyalty.services import bookings
from loyalty.services.cardholders import card_register
from loyalty.tasks import merchant_nightly, nightly_for_all_merchants
from tests.support.factories import CardFactory, ProgramFactory

ACTOR = Actor(label="test")


def _wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _card_with_two_lots(schema_name: str, email: str):
    """Points from two purchases: one lot expired yesterday, one expiring in ten days."""
    today = timezone.localdate()
    with schema_context(schema_name):
        points = ProgramFactory(kind="points", expiry="year_end")
        card = card_register(card_number=CardFactory().number, actor=ACTOR, first_name="Anna", email=email)
        for purchase in (1_000, 2_000):
            bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=purchase,
                                  idempotency_key=f"{schema_name}-{purchase}", actor=ACTOR)
        first, second = Lot.objects.order_by("pk")
        Lot.objects.filter(pk=first.pk).update(expires_on=today - datetime.timedelta(days=1))
        Lot.objects.filter(pk=second.pk).update(expires_on=today + datetime.timedelta(days=10))
        return card, points


def test_nightly_expires_lots_and_sends_each_reminder_once(committed, celery_worker, alice, bob):
    mail.outbox = []
    card, points = _card_with_two_lots("alice", "anna@example.com")

    with schema_context("alice"):
        first = merchant_nightly.delay().get(timeout=30)
        assert _wait_for(lambda: len(mail.outbox) == 1)
        second = merchant_nightly.delay().get(timeout=30)

        assert first == {"expired_lots": 1, "birthday_bonuses": 0, "reminders": 1, "expired_exports": 0,
                         "forgotten_imports": 0, "age_bands_changed": 0, "statistics_days": 2}
        assert second == {"expired_lots": 0, "birthday_bonuses": 0, "reminders": 0, "expired_exports": 0,
                          "forgotten_imports": 0, "age_bands_changed": 0, "statistics_days": 2}
        assert Account.objects.get(card=card, program=points).balance == 20
        assert Booking.objects.get(kind="expiry").entries.get().amount == -10
        assert ExpiryReminder.objects.get().sent_at is not None
    time.sleep(0.5)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    assert "20 Punkte" in mail.outbox[0].subject


def test_nightly_fan_out_runs_in_every_merchants_own_schema(committed, celery_worker, alice, bob):
    _card_with_two_lots("alice", "anna@example.com")
    _card_with_two_lots("bob", "bernd@example.com")

    started = timezone.now()
    merchants = nightly_for_all_merchants.delay().get(timeout=30)

    assert merchants == 3
    for schema_name in ("alice", "bob"):
        with schema_context(schema_name):
            assert _wait_for(lambda: Booking.objects.filter(kind="expiry").count() == 1)
    # The statistics' refresh is each merchant's last step: done everywhere, the worker is idle and
    # the database can be put back without meeting a task still at work.
    for schema_name in ("alice", "bob", "charlie"):
        with schema_context(schema_name):
            assert _wait_for(lambda: StatisticsState.objects.filter(refreshed_at__gte=started).exists(), seconds=60)
    with schema_context("charlie"):
        assert not Booking.objects.exists()
