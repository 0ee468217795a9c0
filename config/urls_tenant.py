"""URLs of a merchant's host: the cardholder portal at /, the back office at /manage/, the
REST API at /api/."""
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("manage/cards/", include("hq.printing.urls_manage")),
    path("manage/billing/", include("billing.urls_manage")),
    path("manage/", include("loyalty.urls_manage")),
    path("api/", include("loyalty.api.urls")),
    path("pos/", include("loyalty.pos.urls")),
    path("", include("portal.urls")),
]

handler400 = "config.errors.bad_request"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
