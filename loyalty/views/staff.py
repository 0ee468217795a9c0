"""Back-office pages for the merchant's staff (to be built)."""
from django.urls import path

from loyalty.views.manage import AreaPlaceholderView

urlpatterns = [
    path("staff/", AreaPlaceholderView.as_view(permission_required="accounts.change_user"),
         name="staff"),
]
