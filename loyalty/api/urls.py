from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from loyalty.api import views
from loyalty.operations import OPERATIONS

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file of its own, so the policy's script-src holds; Swagger
    # UI sets styles from its script, which this page alone allows (it shows no one's data).
    path("docs/", csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(
        SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("programs/", views.ProgramListView.as_view(), name="programs"),
    path("cards/<str:number>/", views.CardView.as_view(), name="card"),
    path("cards/<str:number>/bookings/", views.CardBookingsView.as_view(), name="card-bookings"),
    path("bookings/<int:pk>/", views.BookingDetailView.as_view(), name="booking"),
    *[path(f"bookings/{operation.slug}/", views.BookingView.as_view(operation=operation), name=operation.slug)
      for operation in OPERATIONS.values()],
]
