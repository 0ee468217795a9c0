"""URLs of the apex host (public schema): the operator's console."""
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("billing/", include("billing.urls")),
    path("", include("hq.urls")),
]
