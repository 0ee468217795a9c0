"""The customer portal's public pages: the merchant-branded front page, the Impressum and the privacy
notice (both from the merchant's company data), and the merchant's logo."""
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from loyalty.selectors_portal import portal_programs_described
from loyalty.services.shop import shop_branding, shop_legal_details
from portal.rendering import portal_context

# The logo's address carries its version: a browser may keep it for a year.
LOGO_CACHE_SECONDS = 365 * 24 * 3600


class PortalPage(TemplateView):
    """A portal page in the merchant's branding, knowing who is signed in."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**portal_context(self.request), **kwargs)


class LandingView(PortalPage):
    """The merchant-branded front page of the card portal: its programs in plain words, and the
    way to register a card or sign in."""

    template_name = "portal/landing.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(programs=portal_programs_described(), **kwargs)


class ImprintView(PortalPage):
    """The Impressum (§ 5 DDG) from the company data the merchant keeps in its settings."""

    template_name = "portal/imprint.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(legal=shop_legal_details(), **kwargs)


class PrivacyView(ImprintView):
    """Who is responsible for the card programme's data, what it stores and why, and the
    cardholder's rights (Art. 13 GDPR)."""

    template_name = "portal/privacy.html"


class LogoView(View):
    """The merchant's logo as stored (a PNG re-encoded on upload, never the uploaded file)."""

    def get(self, request, version):
        branding = shop_branding()
        if branding.logo_png is None:
            raise Http404
        if version != branding.logo_version:
            return redirect(branding.logo_url)
        response = HttpResponse(branding.logo_png, content_type="image/png")
        response["Cache-Control"] = f"public, max-age={LOGO_CACHE_SECONDS}, immutable"
        response["X-Content-Type-Options"] = "nosniff"
        return response
