"""Back-office pages for programs, rewards, bonus actions and voucher sales. Each page reads what
loyalty.services.programs says and writes through it (or through the booking services)."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from loyalty.actors import Actor
from loyalty.errors import CardNotFound, LoyaltyError
from loyalty.models import BonusAction, Program, Reward
from loyalty.programs import BEHAVIOURS
from loyalty.services.bookings import booking_voucher_issue
from loyalty.services.lookup import card_find
from loyalty.services.programs import (
    STARTER_TEMPLATES,
    ProgramInUse,
    bonus_action_create,
    bonus_action_set_active,
    bonus_action_update,
    program_create,
    program_delete,
    program_examples,
    program_from_template,
    program_in_use,
    program_set_active,
    program_summary,
    program_update,
    programs_with_balances,
    reward_create,
    reward_set_active,
    reward_update,
    starter_template,
)
from loyalty.units import money_text
from loyalty.views import request_actor
from loyalty.views.program_forms import (
    PROGRAM_FORMS,
    BonusActionForm,
    RewardForm,
    VoucherSaleForm,
    euros_text,
)

TEMPLATES = "loyalty/manage/programs/"


class BackOfficeMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Owners and managers, by the permission each page names; a cashier gets 403."""

    def actor(self) -> Actor:
        return request_actor(self.request)


def _kind_form(kind: str):
    if kind not in PROGRAM_FORMS:
        raise Http404
    return PROGRAM_FORMS[kind]


def _fields(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}


def _written(form, write):
    """What a write of the form's values returns; None when a rule refuses it, which then is an
    error next to its field."""
    try:
        return write()
    except ValidationError as error:
        form.add_error(None, error)
        return None


# --- Programs ------------------------------------------------------------------------------------


class ProgramListView(BackOfficeMixin, View):
    permission_required = "loyalty.change_program"

    def get(self, request):
        programs = [{"program": program, "summary": program_summary(program), "with_balance": with_balance,
                     "in_use": in_use} for program, with_balance, in_use in programs_with_balances()]
        return render(request, TEMPLATES + "list.html", {
            "programs": programs, "starter_templates": STARTER_TEMPLATES,
            "kinds": [(kind, behaviour.label) for kind, behaviour in BEHAVIOURS.items() if kind in PROGRAM_FORMS],
        })


class ProgramFromTemplateView(BackOfficeMixin, View):
    permission_required = "loyalty.add_program"

    def post(self, request, slug):
        template = starter_template(slug)
        if template is None:
            raise Http404
        program = program_from_template(template=template, actor=self.actor())
        messages.success(request, _("“%(name)s” is ready: the till can book on it now.") % {"name": program.name})
        return redirect("programs")


class ProgramCreateView(BackOfficeMixin, View):
    permission_required = "loyalty.add_program"

    def get(self, request, kind):
        form = _kind_form(kind)(instance=Program(kind=kind))
        return self.page(request, kind, form)

    def post(self, request, kind):
        form = _kind_form(kind)(request.POST, instance=Program(kind=kind))
        values = _fields(form) if form.is_valid() else None
        if values and (program := _written(form, lambda: program_create(
                kind=kind, name=values.pop("name"), actor=self.actor(), **values))):
            messages.success(request, _("“%(name)s” is saved.") % {"name": program.name})
            return redirect("program-edit", pk=program.pk)
        return self.page(request, kind, form)

    def page(self, request, kind, form):
        return render(request, TEMPLATES + "form.html", {
            "form": form, "kind": kind, "kind_label": BEHAVIOURS[kind].label,
            "examples": program_examples(Program(kind=kind), today=timezone.localdate()),
        })


class ProgramEditView(BackOfficeMixin, View):
    permission_required = "loyalty.change_program"

    def get(self, request, pk):
        program = get_object_or_404(Program, pk=pk)
        form = _kind_form(program.kind)(instance=program)
        return self.page(request, program, form)

    def post(self, request, pk):
        program = get_object_or_404(Program, pk=pk)
        form = _kind_form(program.kind)(request.POST, instance=get_object_or_404(Program, pk=pk))
        if form.is_valid() and (saved := _written(form, lambda: program_update(
                program=program, actor=self.actor(), **_fields(form)))):
            messages.success(request, _("“%(name)s” is saved. A changed rate counts from the next "
                                        "booking on; earlier bookings stay as they were.") % {"name": saved.name})
            return redirect("program-edit", pk=saved.pk)
        return self.page(request, program, form)

    def page(self, request, program, form):
        return render(request, TEMPLATES + "form.html", {
            "form": form, "program": program, "kind": program.kind,
            "kind_label": program.behaviour.label, "in_use": program_in_use(program),
            # For the saved values; the browser asks again as the owner types.
            "examples": program_examples(program, today=timezone.localdate()),
        })


class ProgramExampleView(BackOfficeMixin, View):
    """The live example beside a program's form: what the typed settings do, as the behaviour
    that books them computes it (JSON, for static/js/manage-programs.js)."""

    permission_required = "loyalty.change_program"

    def get(self, request, kind):
        data = request.GET.copy()
        if not data.get("name"):
            data["name"] = "–"  # a new program's name may not be typed yet; the example needs none
        form = _kind_form(kind)(data, instance=Program(kind=kind))
        if not form.is_valid():
            return JsonResponse({"lines": [], "valid": False})
        return JsonResponse({"lines": program_examples(form.save(commit=False), today=timezone.localdate()),
                             "valid": True})


class ProgramActiveView(BackOfficeMixin, View):
    """Pause a program (balances stay, the till no longer books on it) or resume it."""

    permission_required = "loyalty.change_program"
    active = True

    def post(self, request, pk):
        program = program_set_active(program=get_object_or_404(Program, pk=pk), active=self.active,
                                     actor=self.actor())
        text = _("“%(name)s” is active again.") if self.active else _(
            "“%(name)s” is paused: the till no longer books on it; balances stay.")
        messages.success(request, text % {"name": program.name})
        return redirect("programs")


class ProgramDeleteView(BackOfficeMixin, View):
    """Only a program nothing was booked on: the confirmation page, then the deletion."""

    permission_required = "loyalty.delete_program"

    def get(self, request, pk):
        program = get_object_or_404(Program, pk=pk)
        in_use = program_in_use(program)
        return render(request, TEMPLATES + "delete.html", {"program": program, "in_use": in_use},
                      status=409 if in_use else 200)

    def post(self, request, pk):
        program = get_object_or_404(Program, pk=pk)
        try:
            program_delete(program=program, actor=self.actor())
        except ProgramInUse:
            return render(request, TEMPLATES + "delete.html", {"program": program, "in_use": True}, status=409)
        messages.success(request, _("“%(name)s” is deleted.") % {"name": program.name})
        return redirect("programs")


# --- Rewards -------------------------------------------------------------------------------------


class RewardListView(BackOfficeMixin, View):
    permission_required = "loyalty.change_reward"

    def get(self, request):
        rewards = Reward.objects.select_related("program").order_by("program_id", "points", "pk")
        return render(request, TEMPLATES + "rewards.html", {
            "rewards": rewards, "has_points_program": Program.objects.filter(kind=Program.Kind.POINTS).exists()})


class RewardFormView(BackOfficeMixin, View):
    permission_required = "loyalty.change_reward"

    def reward(self, pk):
        return get_object_or_404(Reward, pk=pk) if pk else Reward()

    def get(self, request, pk=None):
        return self.page(request, RewardForm(instance=self.reward(pk)))

    def post(self, request, pk=None):
        reward = self.reward(pk)
        form = RewardForm(request.POST, instance=self.reward(pk))
        if form.is_valid():
            values = _fields(form)
            if pk:
                write = lambda: reward_update(reward=reward, actor=self.actor(), **values)  # noqa: E731
            else:
                write = lambda: reward_create(actor=self.actor(), **values)  # noqa: E731
            if _written(form, write):
                messages.success(request, _("The reward “%(name)s” is saved.") % {"name": values["name"]})
                return redirect("rewards")
        return self.page(request, form)

    def page(self, request, form):
        return render(request, TEMPLATES + "reward_form.html", {"form": form})


class RewardCreateView(RewardFormView):
    permission_required = "loyalty.add_reward"


class RewardDeactivateView(BackOfficeMixin, View):
    permission_required = "loyalty.change_reward"

    def post(self, request, pk):
        reward = reward_set_active(reward=get_object_or_404(Reward, pk=pk), active=False, actor=self.actor())
        messages.success(request, _("The reward “%(name)s” is deactivated: the till no longer offers it.")
                         % {"name": reward.name})
        return redirect("rewards")


# --- Bonus actions -------------------------------------------------------------------------------


class BonusActionListView(BackOfficeMixin, View):
    permission_required = "loyalty.change_bonusaction"

    def get(self, request):
        actions = BonusAction.objects.select_related("program").order_by("program_id", "starts_on", "pk")
        return render(request, TEMPLATES + "bonus_actions.html", {
            "actions": actions, "has_points_program": Program.objects.filter(kind=Program.Kind.POINTS).exists()})


class BonusActionFormView(BackOfficeMixin, View):
    permission_required = "loyalty.change_bonusaction"

    def action(self, pk):
        return get_object_or_404(BonusAction, pk=pk) if pk else BonusAction()

    def get(self, request, pk=None):
        return self.page(request, BonusActionForm(instance=self.action(pk)))

    def post(self, request, pk=None):
        action = self.action(pk)
        form = BonusActionForm(request.POST, instance=self.action(pk))
        if form.is_valid():
            values = _fields(form)
            if pk:
                write = lambda: bonus_action_update(action=action, actor=self.actor(), **values)  # noqa: E731
            else:
                write = lambda: bonus_action_create(actor=self.actor(), **values)  # noqa: E731
            if _written(form, write):
                messages.success(request, _("The bonus action “%(name)s” is saved.") % {"name": values["name"]})
                return redirect("bonus-actions")
        return self.page(request, form)

    def page(self, request, form):
        return render(request, TEMPLATES + "bonus_action_form.html", {"form": form})


class BonusActionCreateView(BonusActionFormView):
    permission_required = "loyalty.add_bonusaction"


class BonusActionDeactivateView(BackOfficeMixin, View):
    permission_required = "loyalty.change_bonusaction"

    def post(self, request, pk):
        action = bonus_action_set_active(action=get_object_or_404(BonusAction, pk=pk), active=False,
                                         actor=self.actor())
        messages.success(request, _("The bonus action “%(name)s” is deactivated.") % {"name": action.name})
        return redirect("bonus-actions")


# --- Voucher sales -------------------------------------------------------------------------------


def _voucher_programs():
    return Program.objects.filter(kind=Program.Kind.VOUCHER, is_active=True).order_by("pk")


class VoucherSellView(BackOfficeMixin, View):
    """Sell or give away a voucher: the form, a confirmation with its value and validity, then the
    booking through the same service as at the till."""

    # Back-office people who may book; a cashier books at the till.
    permission_required = ("loyalty.use_back_office", "loyalty.add_booking")

    def get(self, request):
        programs = list(_voucher_programs())
        if not programs:
            return render(request, TEMPLATES + "voucher_sell.html", {"programs": []})
        program = next((p for p in programs if str(p.pk) == request.GET.get("program")), programs[0])
        return self.form_page(request, VoucherSaleForm(program=program), program, programs)

    def post(self, request):
        programs = list(_voucher_programs())
        program = next((p for p in programs if str(p.pk) == request.POST.get("program")), None)
        if program is None:
            raise Http404
        form = VoucherSaleForm(request.POST, program=program)
        if "change" in request.POST or not form.is_valid():
            return self.form_page(request, form, program, programs)
        values = form.cleaned_data
        try:
            card = card_find(values["card_number"], actor=self.actor())
            if "confirm" not in request.POST:
                return render(request, TEMPLATES + "voucher_confirm.html", {
                    "form": form, "program": program, "card": card, "amount_text": money_text(values["amount"]),
                    "amount_euros": euros_text(values["amount"]),
                    "valid_until": program.behaviour.credit_expires_on(timezone.localdate())})
            booking = booking_voucher_issue(card_number=card.number, program=program,
                                            amount_cents=values["amount"],
                                            idempotency_key=values["idempotency_key"], actor=self.actor())
        except CardNotFound as error:
            form.add_error("card_number", str(error))
            return self.form_page(request, form, program, programs)
        except LoyaltyError as error:
            form.add_error(None, str(error))
            return self.form_page(request, form, program, programs)
        return render(request, TEMPLATES + "voucher_done.html", {
            "booking": booking, "program": program, "card": card, "amount_text": money_text(values["amount"]),
            "valid_until": program.behaviour.credit_expires_on(timezone.localtime(booking.created_at).date())})

    def form_page(self, request, form, program, programs):
        return render(request, TEMPLATES + "voucher_sell.html", {"form": form, "program": program,
                                                                  "programs": programs})


urlpatterns = [
    path("programs/", ProgramListView.as_view(), name="programs"),
    path("programs/templates/<slug:slug>/", ProgramFromTemplateView.as_view(), name="program-template"),
    path("programs/new/<slug:kind>/", ProgramCreateView.as_view(), name="program-create"),
    path("programs/example/<slug:kind>/", ProgramExampleView.as_view(), name="program-example"),
    path("programs/<int:pk>/", ProgramEditView.as_view(), name="program-edit"),
    path("programs/<int:pk>/pause/", ProgramActiveView.as_view(active=False), name="program-pause"),
    path("programs/<int:pk>/resume/", ProgramActiveView.as_view(active=True), name="program-resume"),
    path("programs/<int:pk>/delete/", ProgramDeleteView.as_view(), name="program-delete"),
    path("programs/rewards/", RewardListView.as_view(), name="rewards"),
    path("programs/rewards/new/", RewardCreateView.as_view(), name="reward-create"),
    path("programs/rewards/<int:pk>/", RewardFormView.as_view(), name="reward-edit"),
    path("programs/rewards/<int:pk>/deactivate/", RewardDeactivateView.as_view(), name="reward-deactivate"),
    path("programs/bonus-actions/", BonusActionListView.as_view(), name="bonus-actions"),
    path("programs/bonus-actions/new/", BonusActionCreateView.as_view(), name="bonus-action-create"),
    path("programs/bonus-actions/<int:pk>/", BonusActionFormView.as_view(), name="bonus-action-edit"),
    path("programs/bonus-actions/<int:pk>/deactivate/", BonusActionDeactivateView.as_view(),
         name="bonus-action-deactivate"),
    path("programs/vouchers/sell/", VoucherSellView.as_view(), name="voucher-sell"),
]
