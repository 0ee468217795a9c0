"""The booking ledger: accounts with cached balances, lots for expiry, and append-only
bookings with their entries."""
import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# A second request with a key already taken fails on this constraint (loyalty.services.ledger).
IDEMPOTENCY_KEY_CONSTRAINT = "booking_idempotency_key_unique_in_scope"


class Account(models.Model):
    """One card's balance in one program: points, cents, stamps or voucher cents."""

    # No index of its own: the unique (card, program) constraint leads with the card.
    card = models.ForeignKey("loyalty.Card", on_delete=models.PROTECT, related_name="accounts",
                             db_index=False)
    program = models.ForeignKey("loyalty.Program", on_delete=models.PROTECT, related_name="accounts")
    # Cached sum of the account's entries, changed in the same transaction as each entry.
    balance = models.BigIntegerField(_("balance"), default=0)
    # What a return or reversal could not take back because it had been spent already (an open
    # claim): the account's next credits pay it off before anything lands on the balance.
    # Cached sum of the entries' claim changes.
    claim = models.BigIntegerField(_("open claim"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["card", "program"], name="account_one_per_card_and_program"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="account_balance_not_negative"),
            models.CheckConstraint(condition=Q(claim__gte=0), name="account_claim_not_negative"),
        ]

    def __str__(self):
        return f"{self.card} · {self.program}"


class LotQuerySet(models.QuerySet):
    def expired(self, *, on: datetime.date) -> "LotQuerySet":
        """Lots with something left whose last day was before `on`: no longer to be spent, and
        booked away by the nightly expiry (until then still on the balance)."""
        return self.filter(remaining__gt=0, expires_on__lt=on)


class Lot(models.Model):
    """What one credit put on an account, and how much of it is left. Debits use the lots that
    expire first; an expiry books what is left of a lot away."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LotQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="lot_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="lot_remaining_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "expires_on"], condition=Q(remaining__gt=0),
                         name="lot_open_by_account"),
            models.Index(fields=["expires_on"], condition=Q(remaining__gt=0), name="lot_open_by_expiry"),
        ]

    def __str__(self):
        return f"{self.remaining}/{self.amount} until {self.expires_on or '∞'}"

    def has_expired(self, *, on: datetime.date) -> bool:
        """The one rule of LotQuerySet.expired, for a lot in hand."""
        return self.expires_on is not None and self.expires_on < on


class Booking(models.Model):
    """One operation at the till, through the API or by the system; its entries change balances.
    Append-only: a correction is a new booking that reverses this one.

    The row is its own record of who booked it (staff user, terminal, or the system's label) and
    when; corrections (reversals, adjustments) are written to the audit log as well."""

    class Kind(models.TextChoices):
        EARN = "earn", _("purchase")
        REDEEM_REWARD = "redeem_reward", _("reward redeemed")
        TOP_UP = "top_up", _("top-up")
        PAY = "pay", _("payment")
        STAMP = "stamp", _("stamp")
        REDEEM_STAMPS = "redeem_stamps", _("stamp card redeemed")
        VOUCHER_ISSUE = "voucher_issue", _("voucher issued")
        VOUCHER_REDEEM = "voucher_redeem", _("voucher redeemed")
        RETURN = "return", _("return")
        REVERSAL = "reversal", _("reversal")
        EXPIRY = "expiry", _("expiry")
        ADJUSTMENT = "adjustment", _("adjustment")
        BONUS = "bonus", _("bonus")
        CARD_REPLACEMENT = "card_replacement", _("card replaced")
        # A balance brought over from an earlier system by an import; its reason names the file.
        OPENING_BALANCE = "opening_balance", _("opening balance")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    # Whose key it is: "terminal:<id>" or "user:<id>" for a client's keys, "system" for the
    # system's own (expiry, bonuses), so that no client can take a key the system needs.
    idempotency_scope = models.CharField(max_length=40)
    # The key for this request within its scope: a repeated request books nothing new.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    # SHA-256 of the request's parameters: the same key with other parameters is refused.
    request_fingerprint = models.CharField(max_length=64)
    # Every booking updates each index of this table: rarely set foreign keys have partial
    # indexes (Meta), and the card is found through booking_by_card.
    card = models.ForeignKey("loyalty.Card", on_delete=models.PROTECT, related_name="bookings",
                             db_index=False)
    program = models.ForeignKey(
        "loyalty.Program", on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    purchase_amount_cents = models.BigIntegerField(_("purchase amount (cents)"), null=True, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=64, blank=True)
    terminal = models.ForeignKey(
        "loyalty.Terminal", on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    # Who booked it when no person or terminal did: "system:nightly", …
    actor_label = models.CharField(_("booked by"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reward = models.ForeignKey(
        "loyalty.Reward", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    # A return names the sale it takes back (partially); a reversal the booking it undoes, once.
    returned_sale = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="returns",
        db_index=False,
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-id"]
        # Undoing a booking is for managers: a cashier may book, not reverse.
        permissions = [("reverse_booking", _("Can reverse bookings"))]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"],
                                    name=IDEMPOTENCY_KEY_CONSTRAINT),
            models.CheckConstraint(
                condition=Q(purchase_amount_cents__isnull=True) | Q(purchase_amount_cents__gt=0),
                name="booking_purchase_amount_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reversal") | Q(reverses__isnull=False),
                name="booking_reversal_names_its_original",
            ),
            models.CheckConstraint(
                condition=~Q(kind="return") | Q(returned_sale__isnull=False),
                name="booking_return_names_its_sale",
            ),
        ]
        indexes = [
            models.Index(fields=["card", "-id"], name="booking_by_card"),
            models.Index(fields=["staff_user"], name="booking_by_staff_user",
                         condition=Q(staff_user__isnull=False)),
            models.Index(fields=["reward"], name="booking_by_reward", condition=Q(reward__isnull=False)),
            models.Index(fields=["returned_sale"], name="booking_by_returned_sale",
                         condition=Q(returned_sale__isnull=False)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class LedgerEntry(models.Model):
    """One change of one account's balance and open claim. Append-only."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(_("amount"))
    balance_after = models.BigIntegerField(_("balance after"))
    # A return that could not take everything back opens a claim (+); a later credit pays it off (−).
    claim_change = models.BigIntegerField(_("change of the open claim"), default=0)
    # Not indexed: nothing looks entries up by their lot, and lots are never deleted.
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                            db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0) | ~Q(claim_change=0), name="entry_changes_something"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="entry_balance_not_negative"),
        ]

    def __str__(self):
        return f"{self.amount:+d} → {self.balance_after}"
