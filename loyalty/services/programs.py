"""The merchant's own programs, rewards and bonus actions: starter templates, creating, changing,
pausing and deleting them, each write audited with what it changed; and how a program's settings
read in plain words, with examples computed by the rules the bookings use."""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from loyalty.actors import Actor
from loyalty.models import Account, BonusAction, Booking, Program, Reward
from loyalty.services.audit import audit_record
from loyalty.units import money_text, points_text, stamps_text
from tenants.selectors import merchant_current

# A reward costs at most this many points. Balances have no cap of their own, but a customer who
# earns a point per euro would have to spend a million euros for it: more is a typo.
REWARD_POINTS_MAX = 1_000_000
# The shortest voucher validity (years to the end of a year after the sale) that holds in court:
# Germany's regular limitation period (§§ 195, 199 BGB); in Austria clauses under about five years
# have been struck down.
VOUCHER_MIN_YEARS_BY_COUNTRY = {"DE": 3, "AT": 5}
VOUCHER_MAX_YEARS = 50
# The purchases the live example of a points program shows: a small one, a usual one, a large one.
EXAMPLE_PURCHASES_CENTS = (349, 1_250, 10_000)


# --- Starter templates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StarterTemplate:
    """A ready program for a new merchant: one click makes it, and the till can book on it."""

    slug: str
    name: str  # lazy: the program is named in the language of the person who picks it
    description: str
    kind: str
    settings: dict = field(default_factory=dict)
    # (name, points) of the rewards a points program starts with.
    rewards: tuple = ()
    # Settings whose value is a text, stored in the picker's language.
    texts: dict = field(default_factory=dict)


STARTER_TEMPLATES = (
    StarterTemplate(
        slug="coffee-stamps", kind=Program.Kind.STAMPS,
        name=gettext_lazy("Coffee stamp card"),
        description=gettext_lazy("10 stamps = 1 free coffee. One stamp per coffee bought."),
        settings={"stamps_per_reward": 10}, texts={"stamp_reward": gettext_lazy("A free coffee")},
    ),
    StarterTemplate(
        slug="points-coffee", kind=Program.Kind.POINTS,
        name=gettext_lazy("Bonus points"),
        description=gettext_lazy("1 point per euro, rounded down; 50 points = 1 coffee."),
        settings={"points_per_euro": Decimal(1), "rounding": Program.Rounding.DOWN},
        rewards=((gettext_lazy("A coffee"), 50),),
    ),
    StarterTemplate(
        slug="prepaid-card", kind=Program.Kind.PREPAID,
        name=gettext_lazy("Prepaid card"),
        description=gettext_lazy("Customers top up money and pay with it: at most 150 € per "
                                 "top-up and 250 € on the card."),
        settings={"max_top_up_cents": 15_000, "max_balance_cents": 25_000},
    ),
    StarterTemplate(
        slug="gift-voucher", kind=Program.Kind.VOUCHER,
        name=gettext_lazy("Gift voucher"),
        description=gettext_lazy("Vouchers of 10, 25 or 50 €, redeemable in parts, valid as the "
                                 "law requires; multi-purpose."),
        settings={"voucher_presets": [1_000, 2_500, 5_000], "voucher_value_cents": 2_500,
                  "partial_redemption": True, "voucher_purpose": Program.VoucherPurpose.MULTI},
    ),
)


def starter_template(slug: str) -> StarterTemplate | None:
    return next((template for template in STARTER_TEMPLATES if template.slug == slug), None)


@transaction.atomic
def program_from_template(*, template: StarterTemplate, actor: Actor) -> Program:
    settings = {**template.settings, **{name: str(text) for name, text in template.texts.items()}}
    program = program_create(kind=template.kind, name=str(template.name), actor=actor,
                             template=template.slug, **settings)
    for name, points in template.rewards:
        reward_create(program=program, name=str(name), points=points, actor=actor)
    return program


# --- Programs ------------------------------------------------------------------------------------


def _plain(value):
    """A value as the audit log's JSON keeps it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _changes(instance, values: dict) -> tuple[dict, dict]:
    """The fields that `values` changes on `instance`: (before, after), for the audit log."""
    before, after = {}, {}
    for name, value in values.items():
        if getattr(instance, name) != value:
            before[name], after[name] = _plain(getattr(instance, name)), _plain(value)
    return before, after


@transaction.atomic
def program_create(*, kind: str, name: str, actor: Actor, template: str = "", **settings) -> Program:
    program_check(**settings)
    program = Program(kind=kind, name=name, **settings)
    program.full_clean()
    program.save()
    audit_record(actor=actor, action="program.create", target=program, kind=kind, name=name,
                 template=template, settings={key: _plain(value) for key, value in settings.items()})
    return program


@transaction.atomic
def program_update(*, program: Program, actor: Actor, **values) -> Program:
    """Change a program's settings. A new rate counts from the next booking on: what was booked
    before stays as it was (the ledger keeps amounts, not rates)."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    before, after = _changes(program, values)
    if not after:
        return program
    if "voucher_purpose" in after and program_in_use(program):
        # The vouchers sold keep the kind they were sold as (it decided their VAT); the journal
        # and the export show the program's kind, so it cannot change under them.
        raise ValidationError({"voucher_purpose": _(
            "Vouchers of this program have been sold already, and their VAT follows the kind they "
            "were sold as. For vouchers of the other kind, create a new voucher program.")})
    for name in after:
        setattr(program, name, values[name])
    program_check(**{field.name: getattr(program, field.name) for field in Program._meta.concrete_fields})
    program.full_clean()
    program.save(update_fields=list(after))
    audit_record(actor=actor, action="program.update", target=program, before=before, after=after)
    return program


@transaction.atomic
def program_set_active(*, program: Program, active: bool, actor: Actor) -> Program:
    """Pause a program (the till no longer books on it; balances stay) or resume it."""
    return _active_set(Program, program, active, actor, "program.resume" if active else "program.pause")


def _in_use() -> ExpressionWrapper:
    """Whether anything was ever booked on a program: then it is kept for good (paused at most),
    because its accounts and ledger are the merchant's records."""
    return ExpressionWrapper(Q(Exists(Account.objects.filter(program=OuterRef("pk"))))
                             | Q(Exists(Booking.objects.filter(program=OuterRef("pk")))),
                             output_field=BooleanField())


def program_in_use(program: Program) -> bool:
    return Program.objects.filter(pk=program.pk).annotate(in_use=_in_use()).values_list("in_use", flat=True).get()


class ProgramInUse(Exception):
    pass


@transaction.atomic
def program_delete(*, program: Program, actor: Actor) -> None:
    """Delete a program nothing was booked on, with its rewards and bonus actions."""
    # The lock keeps a first booking from creating an account while the program goes.
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program_in_use(program):
        raise ProgramInUse()
    audit_record(actor=actor, action="program.delete", target=program, kind=program.kind, name=program.name)
    program.rewards.all().delete()
    program.bonus_actions.all().delete()
    program.delete()


def program_check(**values) -> None:
    """The rules of a program's settings beyond each field's own, as form errors by field."""
    errors = {}
    if problem := _prepaid_caps_problem(max_top_up_cents=values.get("max_top_up_cents"),
                                        max_balance_cents=values.get("max_balance_cents")):
        errors["max_top_up_cents"] = problem
    if problem := _voucher_validity_problem(values.get("voucher_validity_years"),
                                            country=merchant_current().country):
        errors["voucher_validity_years"] = problem
    if errors:
        raise ValidationError(errors)


def _voucher_validity_problem(years: int | None, *, country: str) -> str | None:
    """Why a voucher validity of `years` may not be set in that country, or None."""
    if years is None:
        return None
    minimum = VOUCHER_MIN_YEARS_BY_COUNTRY.get(country, 3)
    if years < minimum:
        return _("A voucher must stay valid for at least %(years)s years (to the end of a year): a "
                 "shorter period does not hold in court. Leave the field empty for the legal rule.") % {
            "years": minimum}
    if years > VOUCHER_MAX_YEARS:
        return _("At most %(years)s years.") % {"years": VOUCHER_MAX_YEARS}
    return None


def _prepaid_caps_problem(*, max_top_up_cents: int | None, max_balance_cents: int | None) -> str | None:
    if max_top_up_cents and max_balance_cents and max_top_up_cents > max_balance_cents:
        return _("A top-up above the highest balance (%(balance)s) could never be booked.") % {
            "balance": money_text(max_balance_cents)}
    return None


# --- Rewards -------------------------------------------------------------------------------------


def reward_check(*, program: Program, points: int | None) -> None:
    """The rules of a reward, as form errors by field."""
    errors = {}
    if program.kind != Program.Kind.POINTS:
        errors["program"] = _("Rewards belong to a points program.")
    if points is not None and points < 1:
        errors["points"] = _("A reward costs at least 1 point.")
    elif points is not None and points > REWARD_POINTS_MAX:
        message = _("A reward may cost at most %(max)s: no customer collects more.") % {
            "max": points_text(REWARD_POINTS_MAX)}
        if program.points_per_euro:
            euros = Decimal(REWARD_POINTS_MAX) / program.points_per_euro
            message += " " + _("At %(rate)s that is %(amount)s of purchases.") % {
                "rate": rate_text(program.points_per_euro), "amount": money_text(int(euros * 100))}
        errors["points"] = message
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def reward_create(*, program: Program, name: str, points: int, actor: Actor) -> Reward:
    reward_check(program=program, points=points)
    reward = Reward.objects.create(program=program, name=name, points=points)
    audit_record(actor=actor, action="reward.create", target=reward, program=program.pk, name=name, points=points)
    return reward


@transaction.atomic
def reward_update(*, reward: Reward, actor: Actor, **values) -> Reward:
    reward = Reward.objects.select_for_update().get(pk=reward.pk)
    reward_check(program=values.get("program", reward.program), points=values.get("points", reward.points))
    return _update(reward, values, actor, "reward.update")


@transaction.atomic
def reward_set_active(*, reward: Reward, active: bool, actor: Actor) -> Reward:
    return _active_set(Reward, reward, active, actor, "reward.activate" if active else "reward.deactivate")


# --- Bonus actions -------------------------------------------------------------------------------


def _overlap(first_start, first_end, second_start, second_end) -> bool:
    """Whether two periods overlap; an open end runs for ever."""
    return ((first_start is None or second_end is None or first_start <= second_end)
            and (second_start is None or first_end is None or second_start <= first_end))


def bonus_action_check(*, program: Program, kind: str, multiplier, points, starts_on, ends_on,
                       is_active: bool = True, action: BonusAction | None = None) -> None:
    """The rules of a bonus action, as form errors by field."""
    errors = {}
    if program.kind != Program.Kind.POINTS:
        errors["program"] = _("Bonus actions give points: they belong to a points program.")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The end is before the start: the action would never run.")
    if kind == BonusAction.Kind.MULTIPLIER:
        if multiplier is None or multiplier < 1:
            errors["multiplier"] = _("A multiplier of at least 1 (1.5 gives half as many points again, 2 twice as many).")
        if not starts_on:
            errors["starts_on"] = _("A multiplier runs for a period: when does it start?")
        if not ends_on:
            errors.setdefault("ends_on", _("A multiplier runs for a period: when does it end?"))
        if is_active and not errors and program.kind == Program.Kind.POINTS:
            others = BonusAction.objects.filter(program=program, kind=BonusAction.Kind.MULTIPLIER, is_active=True)
            if action is not None and action.pk:
                others = others.exclude(pk=action.pk)
            clash = next((other for other in others.order_by("starts_on", "pk")
                          if _overlap(starts_on, ends_on, other.starts_on, other.ends_on)), None)
            if clash is not None:
                errors["starts_on"] = _("This period overlaps “%(name)s” (%(period)s) of the same program: "
                                        "only one multiplier can run at a time. Change the dates or "
                                        "deactivate the other one.") % {
                    "name": clash.name, "period": period_text(clash.starts_on, clash.ends_on)}
    elif points is None or points < 1:
        errors["points"] = _("A bonus gives at least 1 point.")
    if errors:
        raise ValidationError(errors)


def _bonus_values(action: BonusAction, values: dict) -> dict:
    names = ("program", "kind", "multiplier", "points", "starts_on", "ends_on", "is_active")
    return {name: values.get(name, getattr(action, name)) for name in names}


@transaction.atomic
def bonus_action_create(*, program: Program, kind: str, name: str, actor: Actor, multiplier=None,
                        points: int | None = None, starts_on=None, ends_on=None) -> BonusAction:
    # Locked, so that two overlapping multipliers saved at once cannot both pass the check.
    Program.objects.select_for_update().get(pk=program.pk)
    if kind != BonusAction.Kind.MULTIPLIER:
        multiplier = None
    else:
        points = None
    bonus_action_check(program=program, kind=kind, multiplier=multiplier, points=points,
                       starts_on=starts_on, ends_on=ends_on)
    action = BonusAction.objects.create(program=program, kind=kind, name=name, multiplier=multiplier,
                                        points=points, starts_on=starts_on, ends_on=ends_on)
    audit_record(actor=actor, action="bonus_action.create", target=action, program=program.pk, kind=kind,
                 name=name, multiplier=_plain(multiplier), points=points, starts_on=_plain(starts_on),
                 ends_on=_plain(ends_on))
    return action


@transaction.atomic
def bonus_action_update(*, action: BonusAction, actor: Actor, **values) -> BonusAction:
    action = BonusAction.objects.select_for_update().get(pk=action.pk)
    Program.objects.select_for_update().get(pk=values.get("program", action.program).pk)
    kind = values.get("kind", action.kind)
    if kind != BonusAction.Kind.MULTIPLIER:
        values["multiplier"] = None
    else:
        values["points"] = None
    bonus_action_check(**_bonus_values(action, values), action=action)
    return _update(action, values, actor, "bonus_action.update")


@transaction.atomic
def bonus_action_set_active(*, action: BonusAction, active: bool, actor: Actor) -> BonusAction:
    if active:
        Program.objects.select_for_update().get(pk=action.program_id)
        bonus_action_check(**_bonus_values(action, {"is_active": True}), action=action)
    return _active_set(BonusAction, action, active, actor,
                       "bonus_action.activate" if active else "bonus_action.deactivate")


# --- Shared steps --------------------------------------------------------------------------------


def _update(instance, values: dict, actor: Actor, action: str):
    before, after = _changes(instance, values)
    if not after:
        return instance
    for name in after:
        setattr(instance, name, values[name])
    instance.save()
    # Related rows are written down by their id.
    before = {name: getattr(value, "pk", value) for name, value in before.items()}
    after = {name: getattr(value, "pk", value) for name, value in after.items()}
    audit_record(actor=actor, action=action, target=instance, before=before, after=after)
    return instance


def _active_set(model, instance, active: bool, actor: Actor, action: str):
    instance = model.objects.select_for_update().get(pk=instance.pk)
    if instance.is_active == active:
        return instance
    instance.is_active = active
    instance.save(update_fields=["is_active"])
    audit_record(actor=actor, action=action, target=instance, before={"is_active": not active},
                 after={"is_active": active})
    return instance


# --- How programs read ---------------------------------------------------------------------------


def rate_text(points_per_euro: Decimal) -> str:
    """`1 point per euro`, `2,5 points per euro`."""
    rate = points_per_euro.normalize()
    shown = formats.number_format(rate, max(0, -rate.as_tuple().exponent))
    return ngettext("%(rate)s point per euro", "%(rate)s points per euro", 1 if rate == 1 else 2) % {"rate": shown}


ROUNDING_TEXTS = {
    Program.Rounding.DOWN: gettext_lazy("rounded down"),
    Program.Rounding.HALF_UP: gettext_lazy("rounded half up"),
    Program.Rounding.UP: gettext_lazy("rounded up"),
}


def expiry_text(program: Program) -> str:
    if program.expiry == Program.Expiry.ROLLING_MONTHS:
        return ngettext("Points expire %(months)s month after they were earned.",
                        "Points expire %(months)s months after they were earned.",
                        program.expiry_months) % {"months": program.expiry_months}
    if program.expiry == Program.Expiry.YEAR_END:
        if program.expiry_years == 0:
            return _("Points expire at the end of the year they were earned.")
        return ngettext("Points expire at the end of the year after the one they were earned in.",
                        "Points expire at the end of a year, %(years)s years after the one they were "
                        "earned in.", program.expiry_years) % {"years": program.expiry_years}
    return _("Points never expire.")


def period_text(starts_on, ends_on) -> str:
    def day(value):
        return formats.date_format(value, "SHORT_DATE_FORMAT")

    if starts_on and ends_on:
        return _("%(start)s to %(end)s") % {"start": day(starts_on), "end": day(ends_on)}
    if starts_on:
        return _("from %(start)s") % {"start": day(starts_on)}
    if ends_on:
        return _("until %(end)s") % {"end": day(ends_on)}
    return _("always")


def program_summary(program: Program) -> list[str]:
    """The program's settings in plain words, one line each, as the programs list shows them."""
    if program.kind == Program.Kind.POINTS:
        lines = [f"{rate_text(program.points_per_euro)}, {ROUNDING_TEXTS[program.rounding]}", expiry_text(program)]
        if program.pk:
            lines += [f"{points_text(reward.points)} = {reward.name}"
                      for reward in program.rewards.all() if reward.is_active]
        return lines
    if program.kind == Program.Kind.STAMPS:
        return [_("%(stamps)s = %(reward)s") % {"stamps": stamps_text(program.stamps_per_reward),
                                                 "reward": program.stamp_reward or program.name}]
    if program.kind == Program.Kind.PREPAID:
        return [
            _("At most %(amount)s per top-up") % {"amount": money_text(program.max_top_up_cents)}
            if program.max_top_up_cents else _("Top-ups of any amount"),
            _("At most %(amount)s on a card") % {"amount": money_text(program.max_balance_cents)}
            if program.max_balance_cents else _("No limit on the balance"),
        ]
    if program.kind == Program.Kind.VOUCHER:
        presets = ", ".join(money_text(cents) for cents in program.voucher_presets)
        return [line for line in (
            _("Values offered: %(values)s") % {"values": presets} if presets else "",
            _("Redeemable in parts") if program.partial_redemption else _("Redeemable in full only"),
            str(Program.VoucherPurpose(program.voucher_purpose).label),
        ) if line]
    return []


def program_examples(program: Program, *, today: datetime.date) -> list[str]:
    """What the program does with a few real cases, computed by its behaviour exactly as a booking
    is: `12,50 € → 12 points`; `a voucher sold today is valid until 31.12.2029`."""
    behaviour = program.behaviour
    if program.kind == Program.Kind.POINTS:
        return [f"{money_text(cents)} → {points_text(points_for_purchase(program, cents, today=today))}"
                for cents in EXAMPLE_PURCHASES_CENTS]
    if program.kind == Program.Kind.VOUCHER:
        valid_until = behaviour.credit_expires_on(today)
        return [_("A voucher sold today is valid until %(date)s.") % {
            "date": formats.date_format(valid_until, "SHORT_DATE_FORMAT")}, *program_summary(program)]
    return program_summary(program)


def points_for_purchase(program: Program, purchase_amount_cents: int, *, today: datetime.date) -> int:
    """The points of a purchase under the program's own rate and rounding, without the bonus
    actions that may run on some days: asked of the behaviour that books them."""
    example = Program(**{field.attname: getattr(program, field.attname) for field in Program._meta.concrete_fields})
    # Never saved: a primary key only so that its (empty) bonus actions can be set without a query.
    example.pk = program.pk or 0
    example._prefetched_objects_cache = {"bonus_actions": BonusAction.objects.none()}
    return example.behaviour.points_for_purchase(purchase_amount_cents, on=today)


def programs_with_balances() -> list[tuple[Program, int, bool]]:
    """Every program with the number of its accounts holding a balance, and whether it is in use."""
    with_balance = (Account.objects.filter(program=OuterRef("pk")).exclude(balance=0)
                    .values("program").annotate(count=Count("pk")).values("count"))
    programs = Program.objects.annotate(
        with_balance=Coalesce(Subquery(with_balance), 0), in_use=_in_use(),
    ).prefetch_related("rewards").order_by("pk")
    return [(program, program.with_balance, program.in_use) for program in programs]
