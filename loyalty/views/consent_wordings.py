"""The wordings of the consents in versions: the list, a new version, and the exact text of one
version (what a person agreed to)."""
from django.http import Http404
from django.urls import path


def not_built_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("consents/", not_built_yet, name="consent_wordings"),
    path("consents/<slug:purpose>/new/", not_built_yet, name="consent_wording_new"),
    path("consents/<slug:purpose>/<int:version>/", not_built_yet, name="consent_wording"),
]
