"""Back-office pages for programs, rewards, bonus actions and vouchers (to be built)."""
from django.urls import path

from loyalty.views.manage import AreaPlaceholderView

urlpatterns = [
    path("programs/", AreaPlaceholderView.as_view(permission_required="loyalty.change_program"),
         name="programs"),
]
