"""URLs of a merchant's host: the cardholder portal at /, the back office at /manage/."""
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("manage/", include("loyalty.urls_manage")),
    path("", include("portal.urls")),
]
