"""The signed-in cardholder's cards: balances, rewards within reach, points expiring soon, vouchers, the history, and blocking a lost card."""
from django.http import Http404
from django.urls import path


def not_built_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("card/", not_built_yet, name="card"),
    path("card/history/", not_built_yet, name="history"),
    path("card/<str:number>/block/", not_built_yet, name="card_block"),
]
