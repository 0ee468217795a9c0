"""Back-office pages for the merchant's settings (to be built)."""
from django.urls import path

from loyalty.views.manage import AreaPlaceholderView

urlpatterns = [
    path("settings/", AreaPlaceholderView.as_view(permission_required="loyalty.change_shopsettings"),
         name="settings"),
]
