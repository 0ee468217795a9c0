"""Back-office pages for API keys (to be built)."""
from django.urls import path

from loyalty.views.manage import AreaPlaceholderView

urlpatterns = [
    path("api-keys/", AreaPlaceholderView.as_view(permission_required="loyalty.add_apikey"),
         name="api-keys"),
]
