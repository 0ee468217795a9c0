"""The back office's journal of bookings: every booking, newest first, with filters."""
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views import View

from loyalty.catalog import catalog
from loyalty.models import Booking, Program, Terminal
from loyalty.pos.selectors import journal_bookings
from loyalty.pos.serializers import entry_text
from loyalty.services.lookup import card_number_clean
from loyalty.units import money_text

PER_PAGE = 50


class JournalFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("all kinds")), *Booking.Kind.choices])
    program = forms.ModelChoiceField(label=_("Program"), required=False, empty_label=_("all programs"),
                                     queryset=Program.objects.order_by("name", "pk"))
    terminal = forms.ModelChoiceField(label=_("Terminal"), required=False, empty_label=_("all terminals"),
                                      queryset=Terminal.objects.order_by("name", "pk"))
    staff = forms.ModelChoiceField(label=_("Staff member"), required=False, empty_label=_("everyone"),
                                   queryset=get_user_model().objects.order_by("full_name", "email"))
    card_number = forms.CharField(label=_("Card number"), required=False, max_length=32,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def clean_card_number(self):
        return card_number_clean(self.cleaned_data["card_number"])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end is before the start: please pick a later day."))
        return data


def _line(booking: Booking, programs) -> dict:
    """A booking as the journal shows it."""
    program = booking.program
    return {
        "booking": booking,
        "changes": [entry_text(programs[entry.account.program_id], entry) for entry in booking.entries.all()],
        "purchase": money_text(booking.purchase_amount_cents) if booking.purchase_amount_cents else "",
        "staff": (booking.staff_user.full_name or booking.staff_user.email) if booking.staff_user else
                 booking.actor_label,
        # Single- or multi-purpose decides when VAT is due on a voucher (§3 Abs. 14, 15 UStG).
        "purpose": program.get_voucher_purpose_display() if program and program.kind == "voucher" else "",
    }


class JournalView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "loyalty.view_booking"

    def get(self, request):
        form = JournalFilterForm(request.GET or None)
        if not form.is_bound:
            filters, bookings = {}, journal_bookings()
        elif form.is_valid():
            filters, bookings = form.cleaned_data, journal_bookings(**form.cleaned_data)
        else:  # the errors stand next to their fields; no list that pretends to be filtered
            filters, bookings = {}, Booking.objects.none()
        page = Paginator(bookings, PER_PAGE).get_page(request.GET.get("page"))
        programs = catalog().programs
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "loyalty/manage/journal/list.html", {
            "form": form, "page": page, "lines": [_line(booking, programs) for booking in page],
            "query": query.urlencode(), "filtered": any(filters.values()),
        })


urlpatterns = [
    path("journal/", JournalView.as_view(), name="journal"),
]
