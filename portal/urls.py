from django.urls import include, path

from portal.views import accounts, card, pages, privacy, wallet

app_name = "portal"
urlpatterns = [
    path("", pages.LandingView.as_view(), name="landing"),
    path("impressum/", pages.ImprintView.as_view(), name="imprint"),
    path("datenschutz/", pages.PrivacyView.as_view(), name="privacy"),
    path("logo/<str:version>.png", pages.LogoView.as_view(), name="logo"),
    *accounts.urlpatterns,
    *card.urlpatterns,
    *privacy.urlpatterns,
    *wallet.urlpatterns,
    # Apple's pass web service: the webServiceURL of every pass is <host>/wallet/.
    path("wallet/", include(wallet.service_urlpatterns)),
]
