"""`make dev`'s demo owner signs in to the back office with the password alone (the README says
so): the demo keeps two-factor sign-in optional, which a merchant onboarded now would require."""
import pytest
from django.core.management import call_command

from tenants.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tenants.models import Merchant
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db


def test_the_demo_owner_signs_in_with_the_password():
    call_command("seed_demo_operator")
    call_command("seed_demo")
    demo = Merchant.objects.get(schema_name="demo")
    client = HostClient(demo.primary_host)

    response = client.post("/manage/login/", {"username": DEMO_OWNER_EMAIL, "password": DEMO_OWNER_PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/manage/"
    assert client.get("/manage/staff/").status_code == 200
