"""The back office's journal of bookings (to be built)."""
from django.urls import path

from loyalty.views.manage import AreaPlaceholderView

urlpatterns = [
    path("journal/", AreaPlaceholderView.as_view(permission_required="loyalty.view_booking"),
         name="journal"),
]
