"""The answer for a host that belongs to no merchant."""
from django.shortcuts import render

from config.middleware import visitors_language


def unknown_host(request):
    # A plain page that names no merchant and reveals nothing about which hosts exist.
    with visitors_language(request):
        return render(request, "404.html", status=404)
