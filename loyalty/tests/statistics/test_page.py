"""The statistics page shows the rollups' figures as the SQL over the ledger has them (the oracle of
test_figures), rendered in German and English with German formats; owners and managers see it,
cashiers get 403; one merchant's page shows nothing of another's; bad input is a 400 with a message;
and the page reads no ledger table, in a bounded number of queries."""
import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, StatisticsDay, StatisticsState
from loyalty.services.bookings import booking_earn
from loyalty.statistics import selectors as stats
from loyalty.statistics.rollups import statistics_refresh
from loyalty.tests.staff.conftest import cashier, manager, sign_in  # noqa: F401 (fixtures)
from loyalty.tests.statistics.conftest import FIRST_DAY
from loyalty.tests.statistics.test_figures import expected, oracle
from loyalty.units import money_text
from loyalty.views.statistics import number_text
from tests.support.baseline import owner_email
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db

LAST_DAY = FIRST_DAY + datetime.timedelta(days=20)
PERIOD = f"?period=custom&date_from={FIRST_DAY}&date_to={LAST_DAY}"
MONEY = ("revenue_cents", "prepaid_topped_up_cents", "prepaid_spent_cents", "vouchers_sold_cents",
         "vouchers_redeemed_cents")


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def totals_shown(page: str) -> dict:
    """figure: (value, previous, change) as the totals' table shows them."""
    rows = re.findall(r'<tr data-figure="(\w+)"><th scope="row">.*?</th><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>',
                      page)
    return {key: tuple(text_of(cell) for cell in cells) for key, *cells in rows}


def table_rows(page: str, section_id: str) -> list[list[str]]:
    section = re.search(rf'id="{section_id}".*?</section>', page, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", section, re.S)
    if body is None:
        return []
    return [[text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)]


def shown(key: str, value: int) -> str:
    return money_text(value) if key in MONEY else number_text(value)


@pytest.fixture
def owner_page(alice, world):
    return sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")


def test_the_totals_equal_the_ledger_for_a_period_and_a_terminal(owner_page, world):
    for query, filters in ((PERIOD, stats.Filters(FIRST_DAY, LAST_DAY)),
                           (f"{PERIOD}&terminal={world.terminals[1].pk}",
                            stats.Filters(FIRST_DAY, LAST_DAY, terminal_id=world.terminals[1].pk))):
        response = owner_page.get(f"/manage/statistics/{query}")
        assert response.status_code == 200
        want = expected(filters)
        if filters.terminal_id:
            want.pop("registrations")  # not split by terminal: the page says so
        with translation.override("en"):
            assert {key: values[0] for key, values in totals_shown(response.content.decode()).items() if key in want} \
                == {key: shown(key, value) for key, value in want.items()}
        assert want["revenue_cents"] > 0 and want["bookings"] > 0


def test_the_previous_period_and_its_change_are_the_ledgers(owner_page, world):
    start = FIRST_DAY + datetime.timedelta(days=11)
    response = owner_page.get(f"/manage/statistics/?period=custom&date_from={start}&date_to={LAST_DAY}")
    now, before = expected(stats.Filters(start, LAST_DAY)), expected(stats.Filters(FIRST_DAY + datetime.timedelta(days=1),
                                                                                    start - datetime.timedelta(days=1)))
    revenue = totals_shown(response.content.decode())["revenue_cents"]
    change = round((now["revenue_cents"] - before["revenue_cents"]) * 100 / before["revenue_cents"], 1)
    with translation.override("en"):
        sign = "+" if change > 0 else "−"
        assert revenue == (money_text(now["revenue_cents"]), money_text(before["revenue_cents"]),
                           f"{sign}{abs(change):.1f} %")


@pytest.mark.parametrize("query, before", [
    ("?period=month&date=2026-03-10", (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))),
    ("?period=year&date=2026-03-10", (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))),
])
def test_a_month_is_compared_with_the_month_before_and_a_year_with_the_year_before(owner_page, world, query, before):
    page = owner_page.get(f"/manage/statistics/{query}").content.decode()
    want = expected(stats.Filters(*before))
    assert want["revenue_cents"] > 0  # the earlier visits of February and 2025
    with translation.override("en"):
        shown_before = {key: values[1] for key, values in totals_shown(page).items()}
        assert shown_before == {key: shown(key, value) for key, value in want.items()}
        assert f"Compared with the period before: {before[0]:%d/%m/%Y} – {before[1]:%d/%m/%Y}." in text_of(page)


def test_the_split_by_terminal_equals_the_ledger(owner_page, world):
    page = owner_page.get(f"/manage/statistics/{PERIOD}").content.decode()
    rows = {row[0]: row for row in table_rows(page, "split-terminal_id")}
    with translation.override("en"):
        for terminal in world.terminals:
            want = expected(stats.Filters(FIRST_DAY, LAST_DAY, terminal_id=terminal.pk))
            assert rows[terminal.name][1:3] == [number_text(want["bookings"]), money_text(want["revenue_cents"])]
    assert "no terminal" in rows  # the system's bookings


def test_the_segments_show_unknown_with_the_note(owner_page, world):
    page = owner_page.get(f"/manage/statistics/{PERIOD}").content.decode()
    genders = {row[0]: row for row in table_rows(page, "split-gender")}
    assert {"female", "male", "diverse", "unknown"} <= set(genders)
    assert "did not agree to the analysis" in page


def test_the_top_customers_equal_the_ledger(owner_page, world):
    page = owner_page.get(f"/manage/statistics/{PERIOD}").content.decode()
    rows = oracle("""SELECT c.number, b.card_id, SUM(CASE b.kind WHEN 'return' THEN -b.purchase_amount_cents
                            WHEN 'reversal' THEN CASE r.kind WHEN 'return' THEN r.purchase_amount_cents
                                                 ELSE -COALESCE(r.purchase_amount_cents, 0) END
                            ELSE COALESCE(b.purchase_amount_cents, 0) END) AS revenue
                     FROM loyalty_booking b LEFT JOIN loyalty_booking r ON r.id = b.reverses_id
                     JOIN loyalty_card c ON c.id = b.card_id
                     WHERE (b.created_at AT TIME ZONE 'Europe/Berlin')::date BETWEEN %(start)s AND %(end)s
                     GROUP BY c.number, b.card_id ORDER BY revenue DESC, b.card_id LIMIT 10""",
                  {"start": FIRST_DAY, "end": LAST_DAY})
    names = {card.pk: f"Vorname{index} Nachname{index}" for index, card in enumerate(world.cards[:-1])}
    with translation.override("en"):
        want = [[str(rank), number, names.get(card_id, "–"), money_text(revenue)]
                for rank, (number, card_id, revenue) in enumerate(rows, start=1)]
    assert [row[:4] for row in table_rows(page, "statistics-top")] == want
    holder = world.cards[0].cardholder_id
    assert f'href="/manage/cardholders/{holder}/"' in page


def test_the_page_in_german_has_german_formats(alice, world):
    german = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="de")
    page = german.get(f"/manage/statistics/{PERIOD}").content.decode()
    want = expected(stats.Filters(FIRST_DAY, LAST_DAY))
    with translation.override("de"):
        assert totals_shown(page)["revenue_cents"][0] == money_text(want["revenue_cents"])
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*,\d\d €", totals_shown(page)["revenue_cents"][0])
    assert "02.03.2026 – 22.03.2026" in page and "Statistik" in page and "Umsatz" in page
    assert re.search(r"<td>\d+,\d %</td>", page)  # a share in per cent
    later = german.get(f"/manage/statistics/?period=custom&date_from={FIRST_DAY + datetime.timedelta(days=11)}"
                       f"&date_to={LAST_DAY}").content.decode()
    assert re.fullmatch(r"[+−]\d+,\d %", totals_shown(later)["revenue_cents"][2])  # a change in per cent
    english = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en").get(f"/manage/statistics/{PERIOD}")
    assert "02/03/2026 – 22/03/2026" in english.content.decode()
    assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d\d €", totals_shown(english.content.decode())["revenue_cents"][0])


def test_a_year_is_shown_per_month_and_a_month_per_day(owner_page, world):
    year = owner_page.get("/manage/statistics/?period=year&date=2026-03-10").content.decode()
    assert year.count(" 2026</th><td>") == 12 and "March 2026" in year
    month = owner_page.get("/manage/statistics/?period=month&date=2026-03-10&step=week").content.decode()
    assert "week of 02/03/2026" in month and "week of 30/03/2026" in month
    default = owner_page.get("/manage/statistics/?period=month&date=2026-03-10").content.decode()
    assert "31/03/2026</th>" in default and "Per day" in default
    assert "period=month&amp;date=2026-02-01" in default and "period=month&amp;date=2026-04-01" in default


def test_a_bonus_action_is_compared_with_the_same_length_before(owner_page, world):
    from loyalty.models import BonusAction
    action = BonusAction.objects.create(program=world.programs["points"], kind="multiplier", name="Doppelte Punkte",
                                        multiplier=2, starts_on=FIRST_DAY + datetime.timedelta(days=14),
                                        ends_on=LAST_DAY)
    page = owner_page.get(f"/manage/statistics/?campaign={action.pk}&segment=age_band").content.decode()
    rows = table_rows(page, "campaign")
    during = expected(stats.Filters(action.starts_on, action.ends_on))
    before = expected(stats.Filters(FIRST_DAY + datetime.timedelta(days=7), FIRST_DAY + datetime.timedelta(days=13)))
    with translation.override("en"):
        assert rows[0][:3] == ["All customers", money_text(during["revenue_cents"]), money_text(before["revenue_cents"])]
        assert rows[0][4:6] == [number_text(during["bookings"]), number_text(before["bookings"])]
    assert "Doppelte Punkte" in page and "under 25" in page


def test_a_cashier_gets_403_and_a_manager_sees_the_page(alice, cashier, manager):  # noqa: F811
    assert sign_in(alice, cashier.email).get("/manage/statistics/").status_code == 403
    managers = sign_in(alice, manager.email, HTTP_ACCEPT_LANGUAGE="en")
    response = managers.get("/manage/statistics/")
    assert response.status_code == 200
    assert 'href="/manage/statistics/"' in managers.get("/manage/").content.decode()
    assert 'href="/manage/statistics/"' not in sign_in(alice, cashier.email).get("/pos/").content.decode()


def test_bobs_page_shows_nothing_of_alices(alice, bob, charlie, world):
    alice_page = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en").get(f"/manage/statistics/{PERIOD}")
    alices = totals_shown(alice_page.content.decode())["revenue_cents"][0]
    with schema_context(bob.schema_name):
        points = ProgramFactory(kind="points", name="Bobs Punkte")
        card = CardFactory()
        sale = booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_234,
                            idempotency_key="bob-1", actor=Actor(label="system:test"))
        statistics_refresh(today=sale.created_at.date())
        day = sale.created_at.date()
    for merchant, revenue in ((bob, "12.34 €"), (charlie, "0.00 €")):
        client = sign_in(merchant, owner_email(merchant.schema_name), HTTP_ACCEPT_LANGUAGE="en")
        for query in (PERIOD, f"?period=month&date={day}"):
            page = client.get(f"/manage/statistics/{query}").content.decode()
            assert alices not in page
            assert not any(card.number in page for card in world.cards)
            assert "Vorname" not in page and "Nachname" not in page and "Filiale" not in page
        if merchant is bob:
            assert totals_shown(page)["revenue_cents"][0] == revenue and card.number in page
    # alice's terminal as bob's filter is no choice of bob's
    bobs = sign_in(bob, owner_email("bob"), HTTP_ACCEPT_LANGUAGE="en")
    assert bobs.get(f"/manage/statistics/{PERIOD}&terminal={world.terminals[0].pk}").status_code == 400


@pytest.mark.parametrize("query, message", [
    (f"?period=custom&date_from={LAST_DAY}&date_to={FIRST_DAY}", "The end is before the start"),
    ("?period=custom&date_from=2020-01-01&date_to=2026-01-01", "at most three years"),
    ("?period=month&date=2026-13-45", "Enter a valid date."),
    ("?period=custom&date_from=2026-03-01", "Please pick the first and the last day of the period."),
    ("?period=fortnight", "Select a valid choice."),
    ("?program=abc", "Select a valid choice."),
    ("?campaign_from=2026-03-10&campaign_to=2026-03-01", "The end is before the start"),
])
def test_bad_input_is_a_400_with_a_message_and_writes_nothing(owner_page, world, query, message):
    counts = (StatisticsDay.objects.count(), AuditLog.objects.count(), list(StatisticsState.objects.values()))
    response = owner_page.get(f"/manage/statistics/{query}")
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert 'data-figure="revenue_cents"' not in response.content.decode()
    assert (StatisticsDay.objects.count(), AuditLog.objects.count(), list(StatisticsState.objects.values())) == counts


def test_bad_input_in_german_is_told_in_german(alice, world):
    german = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="de")
    response = german.get(f"/manage/statistics/?period=custom&date_from={LAST_DAY}&date_to={FIRST_DAY}")
    assert response.status_code == 400
    assert "Das Ende liegt vor dem Anfang" in html.unescape(response.content.decode())


def test_the_page_reads_no_ledger_table_in_a_bounded_number_of_queries(owner_page, world):
    from loyalty.models import BonusAction
    action = BonusAction.objects.create(program=world.programs["points"], kind="multiplier", name="Aktion",
                                        multiplier=2, starts_on=FIRST_DAY, ends_on=LAST_DAY)
    for query in (PERIOD, f"{PERIOD}&program={world.programs['points'].pk}&campaign={action.pk}",
                  "?period=year&date=2026-03-01"):
        with CaptureQueriesContext(connection) as queries:
            assert owner_page.get(f"/manage/statistics/{query}").status_code == 200
        assert not [query["sql"] for query in queries
                    if "loyalty_ledgerentry" in query["sql"] or "loyalty_booking" in query["sql"]]
        assert len(queries) <= 40, len(queries)
