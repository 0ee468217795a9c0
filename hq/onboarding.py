"""Onboarding in one step: the merchant's schema and domain, company data (also the start of the
portal's Impressum), contract, terminal licence, the first card print order, and an invitation
e-mail to the owner."""
import datetime

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django_tenants.utils import schema_context

from billing.tax import vat_id_normalized
from hq.audit import fields_of, operator_audit
from hq.models import CompanyProfile
from hq.services import contract_create, terminal_license_change
from loyalty.actors import Actor
from loyalty.services.shop import shop_settings_update
from tenants.accounts.invitations import invitation_link
from tenants.accounts.models import User
from tenants.models import Merchant
from tenants.services import merchant_provision


def owner_invitation_send(*, merchant: Merchant, owner_email: str) -> str:
    """E-mail the owner a link to choose a password on the merchant's own host; returns it."""
    with schema_context(merchant.schema_name):
        link = invitation_link(merchant=merchant, user=User.objects.get(email=owner_email.lower()))
    context = {"merchant": merchant, "link": link}
    send_mail(render_to_string("hq/email/invitation_subject.txt", context).strip(),
              render_to_string("hq/email/invitation.txt", context), None, [owner_email])
    return link


@transaction.atomic
def merchant_onboard(*, actor, name: str, subdomain: str, legal_name: str, street: str, postcode: str,
                     city: str, country: str, vat_id: str, billing_email: str, owner_email: str,
                     contract_start: datetime.date, terminals: int, card_quantity: int,
                     card_layout: str = "standard", card_design=None) -> Merchant:
    """Everything a new merchant needs, or nothing: one transaction, the e-mail after commit."""
    from hq.printing.services import print_order_create, print_order_submit

    merchant = merchant_provision(subdomain=subdomain, name=name, owner_email=owner_email, country=country)
    profile = CompanyProfile.objects.create(
        merchant=merchant, legal_name=legal_name, street=street, postcode=postcode, city=city,
        country=country, vat_id=vat_id_normalized(vat_id), billing_email=billing_email,
    )
    operator_audit(actor=actor, action="merchant.onboard", merchant=merchant, target=merchant,
                   after={"name": name, "subdomain": subdomain, "owner_email": owner_email,
                          **fields_of(profile, "legal_name", "street", "postcode", "city", "country",
                                      "vat_id", "billing_email")})
    with schema_context(merchant.schema_name):
        # The portal's Impressum starts from the company data; the owner completes it.
        shop_settings_update(actor=Actor(label="operator onboarding"), legal_name=legal_name,
                             street=street, postal_code=postcode, city=city,
                             vat_id=vat_id_normalized(vat_id), contact_email=billing_email)
    contract_create(merchant=merchant, starts_on=contract_start, actor=actor)
    terminal_license_change(merchant=merchant, count=terminals, effective_on=contract_start, actor=actor,
                            reason="onboarding")
    if card_quantity:
        order = print_order_create(merchant=merchant, quantity=card_quantity, layout=card_layout,
                                   design=card_design, actor=actor)
        print_order_submit(order=order, actor=actor)
    transaction.on_commit(lambda: owner_invitation_send(merchant=merchant, owner_email=owner_email))
    return merchant
