"""Read-side reports for the merchant's bookkeeping: the outstanding balances (liability) on a day."""
import datetime
from dataclasses import dataclass

from django.db import connection

from loyalty.catalog import catalog
from loyalty.models import Account, LedgerEntry, Program
from loyalty.selectors import start_of

# Money the merchant owes its cardholders: prepaid credit and vouchers sold.
MONEY_KINDS = (Program.Kind.PREPAID, Program.Kind.VOUCHER)
# Points are a promise of rewards, not money: shown apart, never added to the money.
POINTS_KINDS = (Program.Kind.POINTS,)


@dataclass(frozen=True)
class ProgramLiability:
    """One program's open balance at the end of the day, in its unit (cents for money, points
    for points), and how many cards held some of it."""

    program: Program
    balance: int
    cards: int

    @property
    def voucher_purpose(self) -> str:
        """`single` or `multi` for a voucher program, "" for the others."""
        return self.program.voucher_purpose if self.program.kind == Program.Kind.VOUCHER else ""


@dataclass(frozen=True)
class Liability:
    day: datetime.date
    prepaid: list[ProgramLiability]
    single_purpose: list[ProgramLiability]
    multi_purpose: list[ProgramLiability]
    points: list[ProgramLiability]

    @property
    def money(self) -> list[ProgramLiability]:
        return [*self.prepaid, *self.single_purpose, *self.multi_purpose]

    @staticmethod
    def total(lines: list[ProgramLiability]) -> int:
        return sum(line.balance for line in lines)

    @property
    def money_total(self) -> int:
        return self.total(self.money)

    @property
    def money_cards(self) -> int:
        """Cards holding money in one program or more: a card counts once per program it holds money in."""
        return sum(line.cards for line in self.money)


def _replayed_balances(day: datetime.date, kinds: tuple[str, ...]) -> dict[int, tuple[int, int]]:
    """Per program of these kinds: (sum of the accounts' balances, accounts with a balance) at the
    end of `day` in the merchant's time zone, summed up from the ledger's entries up to then in one
    statement. Each account's balance is the sum of its entries (LedgerEntry.balance_after is that
    running sum), so today's cached balances play no part.

    For a year's end most of the ledger lies before the day, so the plan is one sequential pass
    over the entries with a hash aggregate per account (about 0.45 s at a million entries,
    bench/liability.py); an index on the entries' time would serve only early days and cost every
    booking one more index to update, so there is none."""
    end = start_of(day + datetime.timedelta(days=1))
    entry, account, program = LedgerEntry._meta.db_table, Account._meta.db_table, Program._meta.db_table
    sql = f"""
        SELECT account.program_id, SUM(per_account.balance), COUNT(*) FILTER (WHERE per_account.balance > 0)
        FROM (
            SELECT entry.account_id, SUM(entry.amount) AS balance
            FROM {entry} AS entry
            WHERE entry.created_at < %s
            GROUP BY entry.account_id
        ) AS per_account
        JOIN {account} AS account ON account.id = per_account.account_id
        JOIN {program} AS program ON program.id = account.program_id AND program.kind = ANY(%s)
        GROUP BY account.program_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [end, list(kinds)])
        return {program_id: (int(balance), cards) for program_id, balance, cards in cursor.fetchall()}


def liability_on(*, day: datetime.date) -> Liability:
    """The outstanding balances at the end of `day`: per prepaid and voucher program the money
    still on the cards (vouchers split into single- and multi-purpose, which VAT treats apart), and
    the points programs' points apart. Replayed from the ledger, so a booking after the day does
    not change the figures. Every program of these kinds is listed, also with nothing open, in the
    order of the program list; a balance that had expired but was not yet booked away by the
    nightly expiry is still open on that day, as it was on the card."""
    balances = _replayed_balances(day, (*MONEY_KINDS, *POINTS_KINDS))
    lines = [ProgramLiability(program, *balances.get(program.pk, (0, 0)))
             for program in sorted(catalog().programs.values(), key=lambda program: (program.name, program.pk))
             if program.kind in (*MONEY_KINDS, *POINTS_KINDS)
             and (program.pk in balances or program.is_active)]
    return Liability(
        day=day,
        prepaid=[line for line in lines if line.program.kind == Program.Kind.PREPAID],
        single_purpose=[line for line in lines if line.voucher_purpose == Program.VoucherPurpose.SINGLE],
        multi_purpose=[line for line in lines if line.voucher_purpose == Program.VoucherPurpose.MULTI],
        points=[line for line in lines if line.program.kind == Program.Kind.POINTS],
    )
