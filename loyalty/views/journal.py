"""The back office's journal of bookings: every booking, newest first, with filters, the totals
of the filter, the filtered bookings as CSV or XLSX, and a manager's reversal of a booking."""
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_tenants.utils import tenant_context

from loyalty.actors import actor_label_text
from loyalty.catalog import catalog
from loyalty.errors import LoyaltyError
from loyalty.models import Booking, Program
from loyalty.pos.serializers import entry_text
from loyalty.selectors import (
    bookings_reversal_refusals,
    journal_bookings,
    journal_filtered,
    journal_rows,
    journal_totals,
)
from loyalty.services.audit import audit_record
from loyalty.services.bookings import REVERSE_ANY_PERMISSION, booking_effects, booking_reverse
from loyalty.services.lookup import card_number_clean
from loyalty.spreadsheets import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    XLSX_MAX_ROWS,
    Euros,
    csv_stream,
    local_time_text,
    xlsx_file,
)
from loyalty.units import money_text
from loyalty.views import request_actor
from loyalty.views.filters import (
    PeriodFilterForm,
    filter_values,
    program_filter_field,
    staff_filter_field,
    terminal_filter_field,
)

PER_PAGE = 50
DOWNLOAD_ACTION = "journal.download"


class JournalFilterForm(PeriodFilterForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("all kinds")), *Booking.Kind.choices])
    program = program_filter_field()
    terminal = terminal_filter_field()
    staff = staff_filter_field()
    card_number = forms.CharField(label=gettext_lazy("Card number"), required=False, max_length=32,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def clean_card_number(self):
        return card_number_clean(self.cleaned_data["card_number"])


def _filters(query: QueryDict) -> tuple[JournalFilterForm, dict | None]:
    form = JournalFilterForm(query or None)
    return form, filter_values(form)


def _filter_query(query: QueryDict) -> str:
    """The filter's part of a query string, without the page: for the links that keep it."""
    query = query.copy()
    for name in list(query):
        if name not in JournalFilterForm.base_fields:
            query.pop(name)
    return query.urlencode()


def _staff_text(booking: Booking) -> str:
    if booking.staff_user is not None:
        return booking.staff_user.full_name or booking.staff_user.email
    return actor_label_text(booking.actor_label)


def _purpose_of(program: Program | None) -> str:
    # Single- or multi-purpose decides when VAT is due on a voucher (§3 Abs. 14, 15 UStG).
    return program.get_voucher_purpose_display() if program and program.kind == "voucher" else ""


def _line(booking: Booking, programs, *, reversible: bool) -> dict:
    """A booking as the journal shows it."""
    return {
        "booking": booking,
        "changes": [entry_text(programs[entry.account.program_id], entry) for entry in booking.entries.all()],
        "purchase": money_text(booking.purchase_amount_cents) if booking.purchase_amount_cents else "",
        "staff": _staff_text(booking),
        "purpose": _purpose_of(booking.program),
        "reversible": reversible,
    }


def _amount_or_dash(program: Program, amount: int) -> str:
    return program.behaviour.amount_text(amount, signed=True) if amount else "–"


def _totals(totals) -> dict:
    return {
        "bookings": totals.bookings,
        "purchases": money_text(totals.purchases_cents),
        "returns": money_text(totals.returns_cents) if totals.returns_cents else "",
        "programs": [{"name": total.program.name, "credited": _amount_or_dash(total.program, total.credited),
                      "debited": _amount_or_dash(total.program, total.debited)} for total in totals.programs],
    }


class JournalView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "loyalty.view_booking"

    def get(self, request):
        form, filters = _filters(request.GET)
        bookings = journal_bookings(**filters) if filters is not None else Booking.objects.none()
        page = Paginator(bookings, PER_PAGE).get_page(request.GET.get("page"))
        # The button where the reversal rule lets this person reverse the booking now; only for
        # those who may reverse from here at all.
        refusals = (bookings_reversal_refusals(page, actor=request_actor(request))
                    if request.user.has_perm(REVERSE_ANY_PERMISSION) else {})
        reversible = {pk for pk, refusal in refusals.items() if refusal is None}
        programs = catalog().programs
        query = _filter_query(request.GET)
        return render(request, "loyalty/manage/journal/list.html", {
            "form": form, "page": page,
            "lines": [_line(booking, programs, reversible=booking.pk in reversible) for booking in page],
            "totals": _totals(journal_totals(**filters)) if filters is not None else None,
            "query": query, "filtered": bool(filters and any(filters.values())),
        })


# --- Downloads -------------------------------------------------------------------------------------


def _download_header() -> list[str]:
    return [_("Booking"), _("Time"), _("Kind"), capfirst(_("kind of voucher for VAT")), _("Card"), _("Program"),
            _("Amount"), _("Purchase amount (€)"), _("Purchase amount (cents)"), _("Terminal"),
            _("Staff member"), _("Receipt"), _("Reversed")]


class _DownloadRow:
    """Writes the download's rows: the page's columns, amounts as numbers; the words every row
    repeats (kinds, programs, yes) looked up once, as a download may have a million rows."""

    def __init__(self):
        self.programs = catalog().programs
        self.kinds = {value: str(label) for value, label in Booking.Kind.choices}
        self.purposes = {program.pk: _purpose_of(program) for program in self.programs.values()}
        self.yes = _("yes")

    def __call__(self, booking: dict, entries) -> list:
        changes = []
        for entry in entries:
            program = self.programs[entry.program_id]
            changes.append(f"{program.name}: {entry_text(program, entry)}")
        program = self.programs.get(booking["program_id"])
        cents = booking["purchase_amount_cents"]
        staff = booking["staff_user__full_name"] or booking["staff_user__email"]
        return [
            booking["pk"], local_time_text(booking["created_at"]), self.kinds[booking["kind"]],
            self.purposes.get(booking["program_id"], ""), booking["card__number"],
            program.name if program else "", "; ".join(changes), Euros(cents) if cents else None, cents,
            booking["terminal__name"] or "", staff or actor_label_text(booking["actor_label"]),
            booking["receipt_number"], self.yes if booking["reversed_"] else "",
        ]


def _download_rows(request, filters: dict):
    """The rows, read in chunks while the response is sent: in the request's merchant schema and
    language, which are no longer the view's to hold by then."""
    language = translation.get_language()
    with tenant_context(request.tenant), translation.override(language):
        row = _DownloadRow()
        for booking, entries in journal_rows(**filters):
            yield row(booking, entries)


def _filters_audited(filters: dict) -> dict:
    """The filter as the audit row keeps it: dates as ISO dates, rows as their ids."""
    return {name: value.isoformat() if hasattr(value, "isoformat") else getattr(value, "pk", value)
            for name, value in filters.items() if value}


class JournalDownloadView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The filtered bookings, with the page's columns: CSV for German Excel (streamed) or XLSX."""

    permission_required = "loyalty.view_booking"

    def get(self, request, file_format):
        form, filters = _filters(request.GET)
        # Asked for by the page's links, with the filter only: anything else is not a download.
        if filters is None or set(request.GET) - set(JournalFilterForm.base_fields):
            return redirect(f"{reverse('journal')}?{_filter_query(request.GET)}")
        count = journal_filtered(**filters).count()
        if file_format == "xlsx" and count > XLSX_MAX_ROWS:
            messages.error(request, _("These are more bookings than Excel can show on one sheet: please "
                                      "pick a shorter period or download them as CSV."))
            return redirect(f"{reverse('journal')}?{_filter_query(request.GET)}")
        audit_record(actor=request_actor(request), action=DOWNLOAD_ACTION, format=file_format,
                     rows=count, filters=_filters_audited(filters))
        file_stem = slugify(_("journal"))
        name = f"{file_stem}-{timezone.localdate().isoformat()}.{file_format}"
        rows = _download_rows(request, filters)
        if file_format == "csv":
            response = StreamingHttpResponse(csv_stream(_download_header(), rows), content_type=CSV_CONTENT_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return FileResponse(xlsx_file(_("Journal"), _download_header(), rows), as_attachment=True,
                            filename=name, content_type=XLSX_CONTENT_TYPE)


# --- Reversal --------------------------------------------------------------------------------------


class ReversalForm(forms.Form):
    # Made when the confirmation is shown: sent twice (a double click, a reload), it reverses once.
    key = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Reason (optional)"), required=False, max_length=300)
    # The journal's filter to go back to.
    back = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)


class JournalReversalView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """What a reversal will undo, and on confirmation the reversal itself. Whether this booking can
    be reversed by this person now is the reversal rule's answer (booking_reversal_refusal)."""

    permission_required = ("loyalty.view_booking", REVERSE_ANY_PERMISSION)

    def booking(self, pk: int) -> Booking:
        booking = journal_bookings().filter(pk=pk).first()
        if booking is None:
            raise Http404
        return booking

    def get(self, request, pk):
        form = ReversalForm(initial={"key": uuid.uuid4(), "back": _filter_query(request.GET)})
        return self.page(request, self.booking(pk), form)

    def post(self, request, pk):
        booking = self.booking(pk)
        form = ReversalForm(request.POST)
        if not form.is_valid():
            form = ReversalForm(initial={"key": uuid.uuid4(), "back": request.POST.get("back", "")[:2000]})
            return self.page(request, booking, form, status=400,
                             expired=_("This confirmation has expired: please confirm the reversal again."))
        try:
            key = f"journal:{form.cleaned_data['key']}"
            reversal = booking_reverse(booking_id=booking.pk, idempotency_key=key, actor=request_actor(request),
                                       reason=form.cleaned_data["reason"].strip())
        except LoyaltyError as refusal:
            return self.page(request, self.booking(pk), form, status=refusal.status, refusal=refusal)
        messages.success(request, _("Booking %(booking)s is reversed: booking %(reversal)s books it back.")
                         % {"booking": booking.pk, "reversal": reversal.pk})
        back = QueryDict(form.cleaned_data["back"])
        return redirect(f"{reverse('journal')}?{_filter_query(back)}#booking-{reversal.pk}")

    def page(self, request, booking: Booking, form, *, status: int = 200, refusal: LoyaltyError | None = None,
             expired: str = ""):
        """The confirmation, or why the booking cannot be reversed (the rule's answer now, or the
        service's when it refused)."""
        refusal = refusal or bookings_reversal_refusals([booking], actor=request_actor(request))[booking.pk]
        programs = catalog().programs
        effects = booking_effects(booking.entries.all())
        return render(request, "loyalty/manage/journal/reverse.html", {
            "line": _line(booking, programs, reversible=refusal is None), "form": form,
            "undone": [{"program": programs[program_id].name,
                        "amount": programs[program_id].behaviour.amount_text(-effect, signed=True)}
                       for program_id, effect in effects.items() if effect],
            # Points already spent stay owed (an open claim); other kinds refuse instead.
            "claim_possible": any(effect > 0 and programs[program_id].behaviour.takes_back_as_claim
                                  for program_id, effect in effects.items()),
            "refusal": str(refusal) if refusal is not None else "", "expired": expired,
            "back": f"{reverse('journal')}?{_filter_query(QueryDict(form['back'].value() or ''))}",
        }, status=status)


urlpatterns = [
    path("journal/", JournalView.as_view(), name="journal"),
    path("journal/download.csv", JournalDownloadView.as_view(), {"file_format": "csv"}, name="journal-csv"),
    path("journal/download.xlsx", JournalDownloadView.as_view(), {"file_format": "xlsx"}, name="journal-xlsx"),
    path("journal/<int:pk>/reverse/", JournalReversalView.as_view(), name="journal-reverse"),
]
