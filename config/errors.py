"""The answers for a missing page, a malformed request and a server error: JSON `{code, message}` on
the APIs (as their clients expect), a short page in the visitor's language everywhere else."""
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from config.middleware import too_large, wants_json


def bad_request(request, exception=None):
    if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
        if wants_json(request):
            return too_large(request)
        message = _("What was sent is too large. Please send less at once.")
        return render(request, "400.html", {"message": message}, status=413)
    message = _("The request could not be understood. Please check what was sent.")
    if wants_json(request):
        return JsonResponse({"code": "malformed_request", "message": message}, status=400)
    return render(request, "400.html", {"message": message}, status=400)


def not_found(request, exception=None):
    if wants_json(request):
        return JsonResponse({"code": "not_found", "message": _("There is nothing at this address.")},
                            status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if wants_json(request):
        return JsonResponse({"code": "server_error",
                             "message": _("Something went wrong on our side. Please try again.")},
                            status=500)
    # Rendered without context processors: whatever failed may fail again while rendering.
    return HttpResponseServerError(loader.get_template("500.html").render())
