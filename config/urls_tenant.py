"""URLs of a merchant's host: the cardholder portal at /, the back office at /manage/, the
REST API at /api/."""
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("manage/", include("loyalty.urls_manage")),
    path("api/", include("loyalty.api.urls")),
    path("pos/", include("loyalty.pos.urls")),
    path("", include("portal.urls")),
]
