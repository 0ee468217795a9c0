"""The answer for a host that belongs to no merchant."""
from django.shortcuts import render


def unknown_host(request):
    # A plain page that names no merchant and reveals nothing about which hosts exist.
    return render(request, "404.html", status=404)
