"""Contract arithmetic: term ends, renewals and notice deadlines, as plain date calculations.

A contract started 2026-01-15 with 24 months' minimum term ends 2028-01-14; notice must be given
by 2027-10-14 (three months before), otherwise it renews by 12 months to 2029-01-14."""
import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class ContractTerms:
    starts_on: datetime.date
    minimum_term_months: int = 24
    renewal_months: int = 12
    notice_months: int = 3
    notice_given_on: datetime.date | None = None

    def term_ends(self):
        """Every possible end: after the minimum term, then after each renewal."""
        months = self.minimum_term_months
        while True:
            yield self.starts_on + relativedelta(months=months) - datetime.timedelta(days=1)
            months += self.renewal_months

    def deadline_for(self, term_end: datetime.date) -> datetime.date:
        return term_end - relativedelta(months=self.notice_months)

    def final_end(self) -> datetime.date | None:
        """The end the notice leads to: the first term end whose deadline it met."""
        if self.notice_given_on is None:
            return None
        for end in self.term_ends():
            if self.notice_given_on <= self.deadline_for(end):
                return end

    def current_end(self, today: datetime.date) -> datetime.date:
        """The end as things stand today: the noticed end, or else the earliest end that notice
        given today would still reach."""
        if (final := self.final_end()) is not None:
            return final
        for end in self.term_ends():
            if self.deadline_for(end) >= today:
                return end

    def notice_deadline(self, today: datetime.date) -> datetime.date | None:
        """The last day to give notice for the current end; None once notice was given."""
        if self.notice_given_on is not None:
            return None
        return self.deadline_for(self.current_end(today))

    def has_ended(self, today: datetime.date) -> bool:
        final = self.final_end()
        return final is not None and today > final
