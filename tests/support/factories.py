"""factory_boy factories. Rows of a merchant schema are made inside that merchant's context."""
import itertools

import factory

from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import Card, Program, Reward
from tenants.accounts.models import User
from tenants.services import merchant_provision

_serials = itertools.count(900_000_000)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name", locale="de_DE")
    password = factory.PostGenerationMethodCall("set_password", "a long test password")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    number = factory.LazyFunction(lambda: card_number_from_serial(next(_serials)))
    status = Card.Status.ACTIVE


class MerchantFactory(factory.Factory):
    """Provisions a real merchant (schema, domain, owner) through the service."""

    class Meta:
        model = dict  # replaced by _create: a merchant only comes to life through provisioning

    subdomain = factory.Sequence(lambda n: f"shop-{n}")
    name = factory.LazyAttribute(lambda o: f"Shop {o.subdomain}")
    owner_email = factory.LazyAttribute(lambda o: f"owner@{o.subdomain}.example")
    owner_password = "a long test password"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return merchant_provision(**kwargs)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    kind = Program.Kind.POINTS
    name = factory.LazyAttribute(lambda o: f"{o.kind.title()} program")


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    program = factory.SubFactory(ProgramFactory)
    name = "Coffee"
    points = 10
