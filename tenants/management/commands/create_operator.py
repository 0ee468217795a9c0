"""An operator login for the console on the apex host, and the operator's row it needs."""
import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from tenants.services import operator_staff_ensure


class Command(BaseCommand):
    help = ("Create an operator login (or make an existing account one) together with the operator's "
            "public row, host and key ring; the authenticator app is set up at the first sign-in.")

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--password", help="asked for when not given")

    def handle(self, *args, email, full_name, password, **options):
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(_("“%(email)s” is not an e-mail address.") % {"email": email}) from error
        if not password and sys.stdin.isatty():
            password = getpass.getpass(_("Password: "))
        if not password:
            raise CommandError(_("An operator needs a password: --password, or type it when asked."))
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user = operator_staff_ensure(email=email, password=password, full_name=full_name)
        self.stdout.write(self.style.SUCCESS(
            _("%(email)s can sign in to the console now.") % {"email": user.email}))
