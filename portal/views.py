"""The cardholder portal's pages."""
from django.views.generic import TemplateView


class LandingView(TemplateView):
    """The merchant-branded front page of the card portal."""

    template_name = "portal/landing.html"
