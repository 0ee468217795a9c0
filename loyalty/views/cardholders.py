"""The back office's cardholder pages: the list with its search and filters; a person's page with
their data, own fields, cards, balances, open lots and claims, history and consents; the actions
on it (edit, block or replace a card, correct a balance, issue a voucher, write down a consent);
and the merchant's own fields. Pages read through loyalty.selectors_cardholders and write through
the services, which check each write's permission: a refusal is a 403 that says why."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views import View

from loyalty.catalog import catalog
from loyalty.errors import CardholderAnonymised, ConfirmationRequired, LoyaltyError, NotPermitted
from loyalty.models import Account, Card, Cardholder, Consent, CustomField, Program
from loyalty.pos.serializers import entry_text
from loyalty.selectors_cardholders import (
    cardholder_accounts,
    cardholder_bookings,
    cardholder_cards,
    cardholder_consents,
    cardholder_open_lots,
    cardholders_all,
    cardholders_filter,
    cardholders_for_list,
    custom_fields_for,
)
from loyalty.services.bookings import booking_adjust, booking_voucher_issue
from loyalty.services.cardholders import (
    ADD_CUSTOM_FIELD_PERMISSION,
    CHANGE_CUSTOM_FIELD_PERMISSION,
    SEARCH_CANDIDATES,
    cardholder_actions,
    cardholder_update,
    cardholders_find,
    consent_record_in_back_office,
    consents_current,
    custom_data_merged,
    custom_field_create,
    custom_field_set_active,
    custom_field_update,
)
from loyalty.services.cards import (
    CARD_CHANGE_PERMISSION,
    card_block,
    card_block_refusal,
    card_replace,
    card_replace_refusal,
)
from loyalty.services.consent_wordings import consent_wordings_by_purpose, consent_wordings_for
from loyalty.services.lookup import card_find
from loyalty.services.privacy import cardholder_anonymise
from loyalty.units import money_text
from loyalty.views import request_actor
from loyalty.views.cardholder_forms import (
    AdjustForm,
    AnonymiseForm,
    CardBlockForm,
    CardholderFilterForm,
    CardholderForm,
    CardReplaceForm,
    ConsentForm,
    CustomFieldForm,
    VoucherForm,
)

TEMPLATES = "loyalty/manage/cardholders/"
PER_PAGE = 50
HISTORY_PER_PAGE = 25


class CardholderPageMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Who may see cardholders (owners, managers, custom roles with "See and edit cardholders");
    what they may change each service says."""

    permission_required = "loyalty.view_cardholder"

    def person(self, pk: int) -> Cardholder:
        return get_object_or_404(Cardholder, pk=pk)


def name_of(cardholder: Cardholder) -> str:
    return " ".join(filter(None, (cardholder.first_name, cardholder.last_name))) or _("(no name)")


def _refused(request, refusal: LoyaltyError, *, cardholder: Cardholder | None = None):
    """The page of a write that was refused: 403 for a missing permission, 409 for the state of things."""
    return render(request, TEMPLATES + "refused.html", {"refusal": refusal, "cardholder": cardholder},
                  status=refusal.status if isinstance(refusal, NotPermitted) else 409)


def _form_errors(form, error: ValidationError) -> None:
    """A service's ValidationError next to the fields it names (on top where the form has no such field)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


# --- The list ------------------------------------------------------------------------------------


class CardholderListView(CardholderPageMixin, View):
    def get(self, request):
        form = CardholderFilterForm(request.GET or None)
        cardholders, filtered, incomplete = cardholders_all(), False, False
        if form.is_bound:
            if form.is_valid():
                found = cardholders_find(form.cleaned_data["q"], cardholders_filter(cardholders, **form.filters()))
                cardholders, incomplete, filtered = found.cardholders, found.incomplete, form.is_filtered()
            else:  # the errors stand next to their fields; no list that pretends to be filtered
                cardholders = cardholders.none()
        page = Paginator(cardholders_for_list(cardholders), PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, TEMPLATES + "list.html", {
            "form": form, "page": page, "filtered": filtered, "query": query.urlencode(),
            "incomplete": incomplete, "checked": number_format(SEARCH_CANDIDATES, force_grouping=True),
            "rows": [{"cardholder": cardholder, "name": name_of(cardholder), "cards": list(cardholder.cards.all())}
                     for cardholder in page],
        })


# --- One person ----------------------------------------------------------------------------------


def _booking_line(booking, programs) -> dict:
    return {
        "booking": booking,
        "changes": [entry_text(programs[entry.account.program_id], entry) for entry in booking.entries.all()],
        "purchase": money_text(booking.purchase_amount_cents) if booking.purchase_amount_cents else "",
        "by": (booking.staff_user.full_name or booking.staff_user.email) if booking.staff_user else "",
    }


class CardholderDetailView(CardholderPageMixin, View):
    def get(self, request, pk):
        cardholder = self.person(pk)
        cards = cardholder_cards(cardholder)
        programs = catalog().programs
        accounts = cardholder_accounts(cardholder)
        values = cardholder.custom_data or {}
        history = Paginator(cardholder_bookings(cardholder), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
        current = consents_current(cardholder)
        consents = cardholder_consents(cardholder)
        # Each consent with the exact wording of its version (what the person agreed to).
        wordings = consent_wordings_for(consents)
        consent_lines = [(consent, wordings.get((consent.purpose, consent.wording_version))) for consent in consents]
        with_account = {account.program_id for account in accounts}
        balances = [{
            "account": account, "balance": account.program.behaviour.balance_text(account.balance),
            "expired": account.program.behaviour.amount_text(account.expired) if account.expired else "",
            "claim": account.program.behaviour.amount_text(account.claim) if account.claim else "",
        } for account in accounts]
        return render(request, TEMPLATES + "detail.html", {
            "cardholder": cardholder, "name": name_of(cardholder), "cards": cards,
            "own_fields": [(field, field.value_text(values.get(field.key))) for field in custom_fields_for(cardholder)],
            "balances": balances, "claims": [row for row in balances if row["claim"]],
            "lots": [{"lot": lot, "program": lot.account.program,
                      "remaining": lot.account.program.behaviour.amount_text(lot.remaining),
                      "amount": lot.account.program.behaviour.amount_text(lot.amount),
                      "expired": lot.has_expired(on=timezone.localdate())}
                     for lot in cardholder_open_lots(cardholder)],
            "several_cards": len(cards) > 1,
            "history": history, "lines": [_booking_line(booking, programs) for booking in history],
            "consents_now": [(purpose, label, current.get(purpose),
                              wordings.get((purpose, current[purpose].wording_version)) if purpose in current else None)
                             for purpose, label in Consent.Purpose.choices],
            "consents": consent_lines,
            "actions": cardholder_actions(cardholder=cardholder, cards=cards, actor=request_actor(request)),
            "adjust_programs": [program for program in programs.values()
                                if program.is_active or program.pk in with_account],
            "voucher_programs": [program for program in catalog().active_programs()
                                 if program.behaviour.allows("voucher_issue")],
        })


class CardholderEditView(CardholderPageMixin, View):
    """Edit a person's data; with `anonymise` (the button "Delete personal data…" of their page),
    delete it on their request instead: the question first, then the deletion."""

    def get(self, request, pk):
        cardholder = self.person(pk)
        if "anonymise" in request.GET:
            return self.anonymise_page(request, cardholder, AnonymiseForm())
        if refusal := self.refusal(request, cardholder):
            return _refused(request, refusal, cardholder=cardholder)
        fields = custom_fields_for()
        return self.page(request, cardholder, CardholderForm(instance=cardholder, own_fields=fields))

    def post(self, request, pk):
        cardholder = self.person(pk)
        if "anonymise" in request.POST:
            return self.anonymise(request, cardholder)
        fields = custom_fields_for()
        form = CardholderForm(request.POST, instance=cardholder, own_fields=fields)
        if form.is_valid():
            try:
                cardholder_update(cardholder=cardholder, actor=request_actor(request), **form.personal_data(),
                                  custom_data=custom_data_merged(cardholder.custom_data,
                                                                 form.cleaned_data["custom_data"], fields=fields))
            except LoyaltyError as refusal:
                return _refused(request, refusal, cardholder=cardholder)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The changes are saved."))
                return redirect("cardholder", pk=cardholder.pk)
        return self.page(request, cardholder, form)

    def refusal(self, request, cardholder):
        actions = cardholder_actions(cardholder=cardholder, cards=[], actor=request_actor(request))
        return None if actions.edit else NotPermitted()

    def page(self, request, cardholder, form):
        return render(request, TEMPLATES + "edit.html", {"cardholder": cardholder, "name": name_of(cardholder),
                                                         "form": form})

    def anonymise(self, request, cardholder):
        form = AnonymiseForm(request.POST)
        if not form.is_valid():
            return self.anonymise_page(request, cardholder, form, status=400)
        try:
            cardholder_anonymise(cardholder=cardholder, keep_card_usable=form.cleaned_data["cards"] == "keep",
                                 actor=request_actor(request))
        except LoyaltyError as refusal:
            return _refused(request, refusal, cardholder=cardholder)
        # Without the name: nothing of the person is kept anywhere, not even in a message.
        messages.success(request, _("The personal data are deleted. The bookings stay, without a name."))
        return redirect("cardholder", pk=cardholder.pk)

    def anonymise_page(self, request, cardholder, form, *, status=200):
        cards = cardholder_cards(cardholder)
        if not cardholder_actions(cardholder=cardholder, cards=cards, actor=request_actor(request)).anonymise:
            return _refused(request, NotPermitted() if cardholder.anonymised_at is None else CardholderAnonymised(),
                            cardholder=cardholder)
        return render(request, TEMPLATES + "anonymise.html", {
            "cardholder": cardholder, "name": name_of(cardholder), "form": form, "cards": cards}, status=status)


class ConsentView(CardholderPageMixin, View):
    """Write down a consent given or withdrawn outside the till and the portal (on paper, by phone)."""

    def get(self, request, pk):
        cardholder = self.person(pk)
        if not cardholder_actions(cardholder=cardholder, cards=[], actor=request_actor(request)).consent:
            return _refused(request, NotPermitted(), cardholder=cardholder)
        return self.page(request, cardholder, ConsentForm(initial={"purpose": request.GET.get("purpose")}))

    def post(self, request, pk):
        cardholder = self.person(pk)
        form = ConsentForm(request.POST)
        if not form.is_valid():
            return self.page(request, cardholder, form)
        try:
            consent_record_in_back_office(cardholder=cardholder, actor=request_actor(request), **form.service_data())
        except ValidationError as error:
            _form_errors(form, error)
            return self.page(request, cardholder, form)
        except LoyaltyError as refusal:
            return _refused(request, refusal, cardholder=cardholder)
        messages.success(request, _("The consent is recorded."))
        return redirect("cardholder", pk=cardholder.pk)

    def page(self, request, cardholder, form):
        return render(request, TEMPLATES + "consent.html", {"cardholder": cardholder, "name": name_of(cardholder),
                                                            "form": form, "wordings": consent_wordings_by_purpose()})


# --- Cards ---------------------------------------------------------------------------------------


class CardActionView(CardholderPageMixin, View):
    """An action on one of the person's cards: its form, unless the domain refuses it already
    (`refusal_of`: the permission and the card's state)."""

    form_class = None

    @staticmethod
    def refusal_of(card, *, actor):
        raise NotImplementedError

    def card(self, cardholder, number) -> Card:
        return get_object_or_404(Card, cardholder=cardholder, number=number)

    def get(self, request, pk, number):
        cardholder = self.person(pk)
        card = self.card(cardholder, number)
        if refusal := self.refusal_of(card, actor=request_actor(request)):
            return _refused(request, refusal, cardholder=cardholder)
        return self.page(request, cardholder, card, self.form_class())


class CardBlockView(CardActionView):
    """Block a card: the question first (a block cannot be lifted), then the block."""

    form_class = CardBlockForm
    refusal_of = staticmethod(card_block_refusal)

    def post(self, request, pk, number):
        cardholder = self.person(pk)
        card = self.card(cardholder, number)
        form = CardBlockForm(request.POST)
        if not form.is_valid():
            return self.page(request, cardholder, card, form)
        try:
            card_block(card_number=card.number, actor=request_actor(request), reason=form.cleaned_data["reason"])
        except LoyaltyError as refusal:
            return _refused(request, refusal, cardholder=cardholder)
        messages.success(request, _("Card %(number)s is blocked. Its balances stay and can move to a "
                                    "replacement card.") % {"number": card.number})
        return redirect("cardholder", pk=cardholder.pk)

    def page(self, request, cardholder, card, form):
        return render(request, TEMPLATES + "card_block.html", {"cardholder": cardholder, "name": name_of(cardholder),
                                                               "card": card, "form": form})


class CardReplaceView(CardActionView):
    """Replace a card by a blank one: the new number, then the question with what moves over
    (a replacement cannot be undone), then the replacement."""

    form_class = CardReplaceForm
    refusal_of = staticmethod(card_replace_refusal)

    def post(self, request, pk, number):
        cardholder = self.person(pk)
        card = self.card(cardholder, number)
        form = CardReplaceForm(request.POST)
        if "change" in request.POST or not form.is_valid():
            return self.page(request, cardholder, card, form)
        actor = request_actor(request)
        number = form.cleaned_data["new_card_number"]
        try:
            NotPermitted.unless(actor, CARD_CHANGE_PERMISSION)
            if "confirm" in request.POST:
                # The service answers a repeat (the same form sent twice) with its first replacement.
                new = card_replace(old_card_number=card.number, new_card_number=number, actor=actor,
                                   idempotency_key=form.cleaned_data["idempotency_key"]).card.replaced_by
            else:
                new = card_find(number, actor=actor)
                if refusal := card_replace_refusal(card, new):
                    raise refusal
                return self.page(request, cardholder, card, form, new=new, moving=self.moving(card))
        except NotPermitted as refusal:
            return _refused(request, refusal, cardholder=cardholder)
        except LoyaltyError as error:
            form.add_error("new_card_number", str(error))
            return self.page(request, cardholder, card, form)
        messages.success(request, _("Card %(old)s is replaced by card %(new)s; the balances are on the new "
                                    "card now.") % {"old": card.number, "new": new.number})
        return redirect("cardholder", pk=cardholder.pk)

    @staticmethod
    def moving(card) -> list[str]:
        """What moves to the new card, in each program's unit."""
        lines = []
        for account in Account.objects.filter(card=card).filter(Q(balance__gt=0) | Q(claim__gt=0)).select_related(
                "program").order_by("program_id"):
            behaviour = account.program.behaviour
            line = f"{account.program.name}: {behaviour.balance_text(account.balance)}"
            if account.claim:
                line += " · " + _("open claim %(amount)s") % {"amount": behaviour.amount_text(account.claim)}
            lines.append(line)
        return lines

    def page(self, request, cardholder, card, form, **confirmation):
        return render(request, TEMPLATES + "card_replace.html", {
            "cardholder": cardholder, "name": name_of(cardholder), "card": card, "form": form, **confirmation})


# --- Balances ------------------------------------------------------------------------------------


class BookingActionView(CardholderPageMixin, View):
    """A booking on one of the person's cards in one program: the form, then the booking through
    the service the till and the REST API use; its key is made when the form is shown."""

    form_class = None
    template = ""

    def program(self, program_id) -> Program:
        raise NotImplementedError

    def available(self, actions) -> bool:
        raise NotImplementedError

    def book(self, form, *, actor, confirmed: bool):
        raise NotImplementedError

    def done(self, form) -> str:
        raise NotImplementedError

    def setup_page(self, request, pk, program):
        """The person, the program, the cards to book on, and a refusal if there is nothing to offer."""
        cardholder = self.person(pk)
        program = self.program(program)
        actions = cardholder_actions(cardholder=cardholder, cards=cardholder_cards(cardholder),
                                     actor=request_actor(request))
        cards = list(actions.bookable_cards)
        refusal = None
        if not self.available(actions):
            refusal = NotPermitted() if cards else LoyaltyError(_("The person has no active card to book on."))
        return cardholder, program, cards, refusal

    def get(self, request, pk, program):
        cardholder, program, cards, refusal = self.setup_page(request, pk, program)
        if refusal:
            return _refused(request, refusal, cardholder=cardholder)
        return self.page(request, cardholder, program, self.form_class(program=program, cards=cards))

    def post(self, request, pk, program):
        cardholder, program, cards, refusal = self.setup_page(request, pk, program)
        if not cards:
            return _refused(request, refusal, cardholder=cardholder)
        form = self.form_class(request.POST, program=program, cards=cards)
        if not form.is_valid():
            return self.page(request, cardholder, program, form)
        try:
            self.book(form, actor=request_actor(request), confirmed="confirmed" in request.POST)
        except NotPermitted as refusal:
            return _refused(request, refusal, cardholder=cardholder)
        except ConfirmationRequired as question:
            return self.page(request, cardholder, program, form, question=str(question))
        except LoyaltyError as error:
            form.add_error(None, str(error))
            return self.page(request, cardholder, program, form)
        messages.success(request, self.done(form))
        return redirect("cardholder", pk=cardholder.pk)

    def page(self, request, cardholder, program, form, question=""):
        return render(request, TEMPLATES + self.template, {
            "cardholder": cardholder, "name": name_of(cardholder), "program": program, "form": form,
            "question": question,
            "valid_until": program.behaviour.credit_expires_on(timezone.localdate())})


class AdjustView(BookingActionView):
    """Correct a balance by hand, up or down, with a reason (in the journal and the audit log)."""

    form_class = AdjustForm
    template = "adjust.html"

    def program(self, program_id):
        return get_object_or_404(Program, pk=program_id)

    def available(self, actions):
        return actions.adjust

    def book(self, form, *, actor, confirmed):
        data = form.cleaned_data
        booking_adjust(card_number=data["card"], program=form.program, amount=form.signed_amount(),
                       reason=data["reason"], idempotency_key=data["idempotency_key"], actor=actor)

    def done(self, form):
        return _("%(amount)s booked on %(program)s.") % {
            "amount": form.program.behaviour.amount_text(form.signed_amount(), signed=True),
            "program": form.program.name}


class VoucherIssueView(BookingActionView):
    """Issue a voucher onto one of the person's cards, as if sold at the till."""

    form_class = VoucherForm
    template = "voucher.html"

    def program(self, program_id):
        program = get_object_or_404(Program, pk=program_id, is_active=True)
        if not program.behaviour.allows("voucher_issue"):
            raise Http404
        return program

    def available(self, actions):
        return actions.voucher

    def book(self, form, *, actor, confirmed):
        data = form.cleaned_data
        booking_voucher_issue(card_number=data["card"], program=form.program, amount_cents=data["amount"],
                              idempotency_key=data["idempotency_key"], actor=actor, confirmed=confirmed)

    def done(self, form):
        return _("A voucher of %(amount)s is on card %(number)s.") % {
            "amount": money_text(form.cleaned_data["amount"]), "number": form.cleaned_data["card"]}


# --- Own fields ----------------------------------------------------------------------------------


class CustomFieldPageMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "loyalty.view_customfield"


class CustomFieldListView(CustomFieldPageMixin, View):
    def get(self, request):
        may_add = request_actor(request).may(ADD_CUSTOM_FIELD_PERMISSION)
        return self.page(request, CustomFieldForm() if may_add else None)

    def post(self, request):
        form = CustomFieldForm(request.POST)
        if form.is_valid():
            try:
                field = custom_field_create(actor=request_actor(request), **form.values())
            except NotPermitted as refusal:
                return _refused(request, refusal)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The field “%(label)s” is saved (key: %(key)s).")
                                 % {"label": field.label, "key": field.key})
                return redirect("custom-fields")
        return self.page(request, form)

    def page(self, request, form):
        return render(request, TEMPLATES + "fields.html", {
            "fields": CustomField.objects.order_by("-is_active", "position", "pk"), "form": form,
            "may_change": request_actor(request).may(CHANGE_CUSTOM_FIELD_PERMISSION)})


class CustomFieldEditView(CustomFieldPageMixin, View):
    def get(self, request, pk):
        field = get_object_or_404(CustomField, pk=pk)
        if not request_actor(request).may(CHANGE_CUSTOM_FIELD_PERMISSION):
            return _refused(request, NotPermitted())
        return self.page(request, field, CustomFieldForm(field=field))

    def post(self, request, pk):
        field = get_object_or_404(CustomField, pk=pk)
        form = CustomFieldForm(request.POST, field=field)
        if form.is_valid():
            try:
                custom_field_update(field=field, actor=request_actor(request), **form.values())
            except NotPermitted as refusal:
                return _refused(request, refusal)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The field “%(label)s” is saved.") % {"label": form.cleaned_data["label"]})
                return redirect("custom-fields")
        return self.page(request, field, form)

    def page(self, request, field, form):
        return render(request, TEMPLATES + "field_edit.html", {"field": field, "form": form})


class CustomFieldActiveView(CustomFieldPageMixin, View):
    """Deactivate a field (its values stay) or bring it back."""

    active = True

    def post(self, request, pk):
        field = get_object_or_404(CustomField, pk=pk)
        try:
            field = custom_field_set_active(field=field, active=self.active, actor=request_actor(request))
        except NotPermitted as refusal:
            return _refused(request, refusal)
        text = _("The field “%(label)s” is active again.") if self.active else _(
            "The field “%(label)s” is deactivated: it is no longer asked or offered as a filter; the values "
            "people have stay stored.")
        messages.success(request, text % {"label": field.label})
        return redirect("custom-fields")


urlpatterns = [
    path("cardholders/", CardholderListView.as_view(), name="cardholders"),
    path("cardholders/fields/", CustomFieldListView.as_view(), name="custom-fields"),
    path("cardholders/fields/<int:pk>/", CustomFieldEditView.as_view(), name="custom-field"),
    path("cardholders/fields/<int:pk>/deactivate/", CustomFieldActiveView.as_view(active=False),
         name="custom-field-deactivate"),
    path("cardholders/fields/<int:pk>/reactivate/", CustomFieldActiveView.as_view(active=True),
         name="custom-field-reactivate"),
    path("cardholders/<int:pk>/", CardholderDetailView.as_view(), name="cardholder"),
    path("cardholders/<int:pk>/edit/", CardholderEditView.as_view(), name="cardholder-edit"),
    path("cardholders/<int:pk>/consents/", ConsentView.as_view(), name="cardholder-consent"),
    path("cardholders/<int:pk>/cards/<str:number>/block/", CardBlockView.as_view(), name="cardholder-card-block"),
    path("cardholders/<int:pk>/cards/<str:number>/replace/", CardReplaceView.as_view(),
         name="cardholder-card-replace"),
    path("cardholders/<int:pk>/programs/<int:program>/adjust/", AdjustView.as_view(), name="cardholder-adjust"),
    path("cardholders/<int:pk>/programs/<int:program>/voucher/", VoucherIssueView.as_view(),
         name="cardholder-voucher"),
]
