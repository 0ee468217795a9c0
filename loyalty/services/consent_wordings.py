"""The wordings of the consents a person is asked for, in versions: what the portal and the till
show, and what every Consent row points to (its `wording_version`).

A version, once written, never changes (the table is append-only in the database): a new wording
is a new version, and every consent keeps the version the person was shown."""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from loyalty.actors import Actor
from loyalty.errors import NotPermitted, WordingChanged
from loyalty.models import Consent, ConsentWording
from loyalty.services.audit import audit_record

# A wording is a legal text the merchant answers for, like the company data of the Impressum and the
# privacy notice: who may change the settings writes it (the owner; a custom role with "Change
# settings"). Everyone who sees the cardholders sees the wordings, to show what a person agreed to.
WRITE_PERMISSION = "loyalty.change_shopsettings"
READ_PERMISSION = "loyalty.view_cardholder"
MAX_TEXT = 3000


def consent_wordings_current() -> dict[str, ConsentWording]:
    """The newest wording of every purpose."""
    current = {}
    for wording in ConsentWording.objects.order_by("purpose", "-version"):
        current.setdefault(wording.purpose, wording)
    return current


def consent_wording_current(purpose: str) -> ConsentWording | None:
    return ConsentWording.objects.filter(purpose=purpose).order_by("-version").first()


def consent_wordings_as_shown(*, purposes, shown: dict) -> dict[str, ConsentWording]:
    """The current wordings of these purposes, if they are the versions the person was shown
    (`shown`: purpose → version, as a page posts it back); WordingChanged naming the others."""
    current = consent_wordings_current()
    changed = [purpose for purpose in purposes
               if purpose not in current or str(shown.get(purpose, "")) != str(current[purpose].version)]
    if changed:
        raise WordingChanged(purposes=changed)
    return current


def consent_wording_of(purpose: str, version) -> ConsentWording | None:
    """The wording a Consent row names (`wording_version` is the version as text), or None where
    the row names none or something else (a paper form written down before versions existed)."""
    text = str(version or "").strip()
    if not text.isdigit() or len(text) > 9:
        return None
    return ConsentWording.objects.filter(purpose=purpose, version=int(text)).first()


def consent_wordings_for(consents) -> dict[tuple[str, str], ConsentWording]:
    """The wordings of these Consent rows in one query, by (purpose, wording_version)."""
    wanted = {(consent.purpose, consent.wording_version) for consent in consents
              if str(consent.wording_version).isdigit() and len(consent.wording_version) <= 9}
    if not wanted:
        return {}
    versions = {int(version) for _purpose, version in wanted}
    return {(wording.purpose, str(wording.version)): wording
            for wording in ConsentWording.objects.filter(version__in=versions,
                                                         purpose__in={purpose for purpose, _v in wanted})}


@dataclass(frozen=True)
class WordingVersion:
    wording: ConsentWording
    current: bool
    given: int  # consents given under this version


@dataclass(frozen=True)
class PurposeWordings:
    purpose: str
    label: str
    versions: list[WordingVersion]  # newest first

    @property
    def current(self) -> WordingVersion | None:
        return self.versions[0] if self.versions else None

    @property
    def earlier(self) -> list[WordingVersion]:
        return self.versions[1:]


def consent_wordings_by_purpose() -> list[PurposeWordings]:
    """Every purpose with all its versions, newest first, each with who wrote it and how many
    consents were given under it."""
    given = {(row["purpose"], row["wording_version"]): row["count"]
             for row in Consent.objects.filter(granted=True).values("purpose", "wording_version")
             .annotate(count=Count("pk"))}
    wordings = {}
    for wording in ConsentWording.objects.select_related("created_by").order_by("purpose", "-version"):
        wordings.setdefault(wording.purpose, []).append(wording)
    return [PurposeWordings(purpose, str(label), [
        WordingVersion(wording, index == 0, given.get((purpose, str(wording.version)), 0))
        for index, wording in enumerate(wordings.get(purpose, []))]) for purpose, label in Consent.Purpose.choices]


def _text_clean(text: str, field: str) -> str:
    text = "\n".join(line.rstrip() for line in str(text or "").strip().splitlines())
    if not text:
        raise ValidationError({field: _("Please write the wording: people are asked with these words.")})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("A wording may have at most %(max)d characters.") % {"max": MAX_TEXT}})
    return text


def consent_wording_check(*, purpose: str, text_de: str, text_en: str) -> dict[str, str]:
    """The texts of a new version as they would be saved, or ValidationError in plain words, per
    field, for an empty or over-long text, or for texts that say word for word what the current
    version says: the one rule of the form's preview and of consent_wording_create."""
    if purpose not in Consent.Purpose.values:
        raise ValueError(f"Unknown purpose {purpose!r}")
    errors, texts = {}, {}
    for field, text in (("text_de", text_de), ("text_en", text_en)):
        try:
            texts[field] = _text_clean(text, field)
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    current = consent_wording_current(purpose)
    if current is not None and (current.text_de, current.text_en) == (texts["text_de"], texts["text_en"]):
        raise ValidationError(_("This is word for word the current version %(version)d: there is nothing "
                                "new to save.") % {"version": current.version})
    return texts


@transaction.atomic
def consent_wording_create(*, purpose: str, text_de: str, text_en: str, actor: Actor) -> ConsentWording:
    """A new version of a purpose's wording: from now on people are asked with it; consents given
    before keep the version they were given under (consent_wording_check says what is refused)."""
    NotPermitted.unless(actor, WRITE_PERMISSION)
    # The purpose's versions are locked first: two people saving at once get one version after the other.
    versions = list(ConsentWording.objects.select_for_update().filter(purpose=purpose).order_by("-version")
                    .values_list("version", flat=True))
    texts = consent_wording_check(purpose=purpose, text_de=text_de, text_en=text_en)
    wording = ConsentWording.objects.create(purpose=purpose, version=(versions[0] + 1) if versions else 1,
                                            created_by=actor.user, **texts)
    audit_record(actor=actor, action="consent_wording.create", target=wording, purpose=purpose,
                 version=wording.version)
    return wording
