"""The consent wordings' tests use the cardholder pages' fixtures: alice's owner signed in, people
with fewer rights, cardholders made through the services."""
from loyalty.tests.cardholders.conftest import (  # noqa: F401  (fixtures)
    in_alice,
    mueller,
    owner,
    owner_client,
)
