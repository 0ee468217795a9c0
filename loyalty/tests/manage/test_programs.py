"""The programs pages of the back office: starter templates that book at once, each kind's settings,
the live example, pause and resume, deletion only of programs nothing was booked on, rate changes
that leave past bookings alone, and an audit row with before and after for every change."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.errors import WrongProgram
from loyalty.models import Account, AuditLog, Booking, LedgerEntry, Program, Reward
from loyalty.services.bookings import (
    booking_earn,
    booking_stamp,
    booking_top_up,
    booking_voucher_issue,
)
from loyalty.services.programs import STARTER_TEMPLATES, program_create, program_update
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory

pytestmark = pytest.mark.django_db

TILL = Actor(label="test till")


def audit_rows(action):
    with schema_context("alice"):
        return list(AuditLog.objects.filter(action=action).order_by("pk").values("object_id", "data"))


def test_a_new_merchant_sees_every_starter_template_and_no_program(owner_client):
    page = owner_client.get("/manage/programs/")

    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="programs"' not in body
    for template in STARTER_TEMPLATES:
        assert f'action="/manage/programs/templates/{template.slug}/"' in body
        assert str(template.name) in body
    assert {template.slug for template in STARTER_TEMPLATES} >= {
        "coffee-stamps", "points-coffee", "prepaid-card", "gift-voucher"}


def _book_on(program, card):
    """One booking of the program's own kind, as the till makes it."""
    book = {
        "points": lambda: booking_earn(card_number=card.number, program=program, purchase_amount_cents=1_250,
                                       idempotency_key=f"first-{card.number}", actor=TILL),
        "stamps": lambda: booking_stamp(card_number=card.number, program=program, idempotency_key="first",
                                        actor=TILL),
        "prepaid": lambda: booking_top_up(card_number=card.number, program=program, amount_cents=5_000,
                                          idempotency_key="first", actor=TILL),
        "voucher": lambda: booking_voucher_issue(card_number=card.number, program=program,
                                                 idempotency_key="first", actor=TILL),
    }[program.kind]
    book()
    return Account.objects.get(card=card, program=program).balance


@pytest.mark.parametrize("template", STARTER_TEMPLATES, ids=lambda template: template.slug)
def test_a_starter_template_makes_a_program_the_till_books_on_at_once(owner_client, template):
    response = owner_client.post(f"/manage/programs/templates/{template.slug}/")

    assert response.status_code == 302 and response["Location"] == "/manage/programs/"
    with schema_context("alice"):
        program = Program.objects.get()
        assert (program.kind, program.name, program.is_active) == (template.kind, str(template.name), True)
        balance = _book_on(program, CardFactory())
    assert balance == {"points": 12, "stamps": 1, "prepaid": 5_000, "voucher": 2_500}[template.kind]
    assert [row["data"]["template"] for row in audit_rows("program.create")] == [template.slug]
    assert str(template.name) in owner_client.get("/manage/programs/").content.decode()


def test_the_points_template_comes_with_its_reward_and_reads_in_plain_words(owner_client):
    owner_client.post("/manage/programs/templates/points-coffee/")

    with schema_context("alice"):
        assert list(Reward.objects.values_list("name", "points")) == [("A coffee", 50)]
    body = owner_client.get("/manage/programs/").content.decode()
    assert "1 point per euro, rounded down" in body
    assert "50 points = A coffee" in body


def test_the_templates_speak_german_too(owner_client):
    owner_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    owner_client.post("/i18n/setlang/", {"language": "de", "next": "/manage/programs/"})

    owner_client.post("/manage/programs/templates/coffee-stamps/")

    with schema_context("alice"):
        program = Program.objects.get()
    # The name is given in the language of the person who picked the template.
    with translation.override("de"):
        assert program.name == str(STARTER_TEMPLATES[0].name)
        assert program.stamp_reward == translation.gettext("A free coffee")


def test_the_list_shows_each_kind_status_and_cards_with_a_balance(owner_client):
    with schema_context("alice"):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        ProgramFactory(kind="stamps", name="Kaffeekarte", stamps_per_reward=10, stamp_reward="Ein Kaffee gratis",
                       is_active=False)
        for card in (CardFactory(), CardFactory()):
            _book_on(points, card)

    body = owner_client.get("/manage/programs/").content.decode()

    assert "2 cards with a balance" in body
    assert "10 stamps = Ein Kaffee gratis" in body
    assert "paused" in body and "Bonus points" in body and "Stamp card" in body


def test_a_points_program_is_created_with_its_settings_and_audited(owner_client):
    response = owner_client.post("/manage/programs/new/points/", {
        "name": "Treuepunkte", "points_per_euro": "2", "rounding": "half_up", "expiry": "rolling_months",
        "expiry_months": "24", "expiry_years": "1", "reminder_days": "14", "points_on_top_ups": "on"})

    with schema_context("alice"):
        program = Program.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/manage/programs/{program.pk}/"
    assert (program.kind, program.points_per_euro, program.rounding, program.expiry, program.expiry_months,
            program.reminder_days, program.points_on_top_ups, program.points_on_voucher_sales) == (
        "points", 2, "half_up", "rolling_months", 24, 14, True, False)
    [row] = audit_rows("program.create")
    assert row["object_id"] == str(program.pk) and row["data"]["settings"]["points_per_euro"] == "2"


def test_a_prepaid_programs_caps_are_typed_in_euros_and_kept_in_cents(owner_client):
    owner_client.post("/manage/programs/new/prepaid/", {"name": "Guthaben", "max_top_up_cents": "150,50",
                                                         "max_balance_cents": "250"})

    with schema_context("alice"):
        assert list(Program.objects.values_list("max_top_up_cents", "max_balance_cents")) == [(15_050, 25_000)]


def test_a_refused_form_keeps_what_was_typed_and_says_what_to_fix(owner_client):
    response = owner_client.post("/manage/programs/new/prepaid/", {
        "name": "Guthaben", "max_top_up_cents": "300", "max_balance_cents": "twelve"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="300"' in body and 'value="twelve"' in body
    assert "Please enter an amount in euros, such as 12,50." in body
    with schema_context("alice"):
        assert not Program.objects.exists()
        assert not AuditLog.objects.filter(action__startswith="program.").exists()

    response = owner_client.post("/manage/programs/new/prepaid/", {
        "name": "Guthaben", "max_top_up_cents": "300", "max_balance_cents": "250"})
    assert "A top-up above the highest balance (250.00 €) could never be booked." in response.content.decode()


def test_a_form_shows_only_the_fields_of_its_kind(owner_client):
    fields = {kind: owner_client.get(f"/manage/programs/new/{kind}/").context["form"].fields
              for kind in ("points", "prepaid", "stamps", "voucher")}

    assert "points_per_euro" in fields["points"] and "max_top_up_cents" not in fields["points"]
    assert set(fields["prepaid"]) == {"name", "max_top_up_cents", "max_balance_cents"}
    assert set(fields["stamps"]) == {"name", "stamps_per_reward", "stamp_reward"}
    assert "voucher_purpose" in fields["voucher"] and "rounding" not in fields["voucher"]
    assert owner_client.get("/manage/programs/new/lottery/").status_code == 404


def test_a_voucher_program_is_multi_purpose_by_default_and_shows_its_valid_until_date(owner_client):
    form = owner_client.get("/manage/programs/new/voucher/").context["form"]
    assert form["voucher_purpose"].value() == "multi"

    owner_client.post("/manage/programs/new/voucher/", {
        "name": "Gutschein", "voucher_presets": "10, 25, 50", "voucher_value_cents": "25",
        "partial_redemption": "on", "voucher_validity_years": "", "voucher_purpose": "multi"})

    with schema_context("alice"):
        program = Program.objects.get()
    assert (program.voucher_presets, program.voucher_value_cents, program.voucher_validity_years) == (
        [1_000, 2_500, 5_000], 2_500, None)
    page = owner_client.get(f"/manage/programs/{program.pk}/").content.decode()
    # Germany: to the end of the third year after the sale.
    assert f"A voucher sold today is valid until 31/12/{timezone.localdate().year + 3}." in page
    assert "decides when VAT is due" in page


def test_a_voucher_validity_shorter_than_the_law_allows_is_refused(owner_client):
    response = owner_client.post("/manage/programs/new/voucher/", {
        "name": "Gutschein", "voucher_presets": "10,25,50", "voucher_validity_years": "1",
        "voucher_purpose": "single"})

    errors = response.context["form"].errors
    assert "Separate the values with a comma and a space" in errors["voucher_presets"][0]
    assert "at least 3 years" in errors["voucher_validity_years"][0]
    with schema_context("alice"):
        assert not Program.objects.exists()


def test_the_live_example_is_computed_by_the_booking_rule(owner_client):
    query = {"points_per_euro": "2", "rounding": "up", "expiry": "never", "expiry_months": "24",
             "expiry_years": "1", "reminder_days": "30"}

    answer = owner_client.get("/manage/programs/example/points/", query).json()

    assert answer == {"valid": True, "lines": ["3.49 € → 7 points", "12.50 € → 25 points", "100.00 € → 200 points"]}
    with schema_context("alice"):
        # The same numbers as a booking at the till under these settings.
        program = ProgramFactory(kind="points", points_per_euro=2, rounding="up")
        card = CardFactory()
        booking_earn(card_number=card.number, program=program, purchase_amount_cents=349,
                     idempotency_key="a", actor=TILL)
        assert LedgerEntry.objects.get().amount == 7
    bad = owner_client.get("/manage/programs/example/points/", {**query, "points_per_euro": "-1"}).json()
    assert bad == {"valid": False, "lines": []}


def test_the_edit_page_shows_the_example_for_the_saved_settings(owner_client):
    with schema_context("alice"):
        program = ProgramFactory(kind="points", points_per_euro="0.5", rounding="half_up")

    body = owner_client.get(f"/manage/programs/{program.pk}/").content.decode()

    assert "<li>12.50 € → 6 points</li>" in body
    assert 'data-example-url="/manage/programs/example/points/"' in body
    assert '<script src="/static/js/manage-programs.js"' in body


def test_a_rate_change_counts_for_future_bookings_only_and_is_audited(owner_client):
    with schema_context("alice"):
        program, card = ProgramFactory(kind="points", name="Punkte"), CardFactory()
        booking_earn(card_number=card.number, program=program, purchase_amount_cents=1_000,
                     idempotency_key="before", actor=TILL)
        old_entries = list(LedgerEntry.objects.values_list("pk", "amount", "balance_after"))

    response = owner_client.post(f"/manage/programs/{program.pk}/", {
        "name": "Punkte", "points_per_euro": "3", "rounding": "down", "expiry": "never", "expiry_months": "24",
        "expiry_years": "1", "reminder_days": "30"})

    assert response.status_code == 302
    with schema_context("alice"):
        assert list(LedgerEntry.objects.values_list("pk", "amount", "balance_after")) == old_entries == [
            (old_entries[0][0], 10, 10)]
        assert Account.objects.get().balance == 10
        booking_earn(card_number=card.number, program=program.pk, purchase_amount_cents=1_000,
                     idempotency_key="after", actor=TILL)
        assert list(LedgerEntry.objects.order_by("pk").values_list("amount", flat=True)) == [10, 30]
        assert Account.objects.get().balance == 40
    # Only what changed, before and after.
    [row] = audit_rows("program.update")
    assert row["data"] == {"before": {"points_per_euro": "1.000"}, "after": {"points_per_euro": "3"}}


def test_saving_unchanged_settings_writes_no_audit_row(owner_client):
    with schema_context("alice"):
        program = ProgramFactory(kind="stamps", name="Karte", stamps_per_reward=10, stamp_reward="Kaffee")

    owner_client.post(f"/manage/programs/{program.pk}/", {"name": "Karte", "stamps_per_reward": "10",
                                                          "stamp_reward": "Kaffee"})

    assert audit_rows("program.update") == []


def test_a_paused_program_books_nothing_and_resumes(owner_client):
    with schema_context("alice"):
        program, card = ProgramFactory(kind="points"), CardFactory()

    owner_client.post(f"/manage/programs/{program.pk}/pause/")

    with schema_context("alice"):
        assert Program.objects.get().is_active is False
        with pytest.raises(WrongProgram):
            booking_earn(card_number=card.number, program=program.pk, purchase_amount_cents=500,
                         idempotency_key="paused", actor=TILL)
        assert not Booking.objects.exists()
    owner_client.post(f"/manage/programs/{program.pk}/resume/")
    with schema_context("alice"):
        assert Program.objects.get().is_active is True
    assert [row["data"] for row in audit_rows("program.pause") + audit_rows("program.resume")] == [
        {"before": {"is_active": True}, "after": {"is_active": False}},
        {"before": {"is_active": False}, "after": {"is_active": True}}]


def test_a_program_with_balances_can_never_be_deleted(owner_client):
    with schema_context("alice"):
        program = ProgramFactory(kind="points", name="Punkte")
        RewardFactory(program=program)
        _book_on(program, CardFactory())
        audit_before = AuditLog.objects.count()

    listing = owner_client.get("/manage/programs/").content.decode()
    page = owner_client.get(f"/manage/programs/{program.pk}/delete/")
    answer = owner_client.post(f"/manage/programs/{program.pk}/delete/")

    assert f"/manage/programs/{program.pk}/delete/" not in listing
    assert page.status_code == answer.status_code == 409
    assert "cannot be deleted" in answer.content.decode()
    with schema_context("alice"):
        assert Program.objects.filter(pk=program.pk, is_active=True).exists()
        assert Reward.objects.filter(program=program).exists()
        assert AuditLog.objects.count() == audit_before
        assert Account.objects.get(program=program).balance == 12


def test_a_program_nothing_was_booked_on_is_deleted_after_a_confirmation(owner_client):
    with schema_context("alice"):
        program = ProgramFactory(kind="points", name="Versuch")
        RewardFactory(program=program)

    confirmation = owner_client.get(f"/manage/programs/{program.pk}/delete/")
    assert confirmation.status_code == 200 and "cannot be undone" in confirmation.content.decode()
    with schema_context("alice"):
        assert Program.objects.exists()  # showing the confirmation deletes nothing

    response = owner_client.post(f"/manage/programs/{program.pk}/delete/")

    assert response.status_code == 302
    with schema_context("alice"):
        assert not Program.objects.exists() and not Reward.objects.exists()
    assert [row["data"] for row in audit_rows("program.delete")] == [{"kind": "points", "name": "Versuch"}]


def test_a_year_end_expiry_reads_in_plain_words(owner_client):
    with schema_context("alice"):
        ProgramFactory(kind="points", expiry="year_end", expiry_years=1)

    assert "Points expire at the end of the year after the one they were earned in." in (
        owner_client.get("/manage/programs/").content.decode())


def test_the_example_of_a_voucher_follows_the_typed_validity(owner_client):
    answer = owner_client.get("/manage/programs/example/voucher/", {
        "voucher_presets": "10", "voucher_validity_years": "5", "voucher_purpose": "multi"}).json()

    year = datetime.date.today().year + 5
    assert answer["valid"] and answer["lines"][0] == f"A voucher sold today is valid until 31/12/{year}."


def test_the_service_refuses_what_the_form_refuses(in_alice, actor):
    with pytest.raises(ValidationError) as refused:
        program_create(kind="voucher", name="Kurz", voucher_validity_years=1, actor=actor)
    assert list(refused.value.message_dict) == ["voucher_validity_years"]

    prepaid = program_create(kind="prepaid", name="Guthaben", max_balance_cents=10_000, actor=actor)
    with pytest.raises(ValidationError) as refused:
        program_update(program=prepaid, max_top_up_cents=20_000, actor=actor)
    assert list(refused.value.message_dict) == ["max_top_up_cents"]

    assert list(Program.objects.values_list("name", "max_top_up_cents")) == [("Guthaben", None)]
    assert not AuditLog.objects.filter(action="program.update").exists()


def test_the_kind_of_voucher_cannot_change_once_vouchers_are_sold(in_alice, actor):
    voucher = program_create(kind="voucher", name="Gutschein", voucher_value_cents=2_500, actor=actor)
    unsold = program_create(kind="voucher", name="Neu", voucher_value_cents=1_000, actor=actor)
    booking_voucher_issue(card_number=CardFactory().number, program=voucher, idempotency_key="sold", actor=TILL)

    with pytest.raises(ValidationError) as refused:
        program_update(program=voucher, voucher_purpose=Program.VoucherPurpose.SINGLE, actor=actor)
    program_update(program=unsold, voucher_purpose=Program.VoucherPurpose.SINGLE, actor=actor)

    assert list(refused.value.message_dict) == ["voucher_purpose"]
    assert dict(Program.objects.values_list("name", "voucher_purpose")) == {"Gutschein": "multi", "Neu": "single"}
    assert AuditLog.objects.filter(action="program.update").count() == 1
