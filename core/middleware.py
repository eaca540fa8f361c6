"""Requests no view can store: refused at the door with a clear 400.

PostgreSQL text cannot hold a NUL character, so a `%00` in a query parameter (a search box, an
filter) would otherwise reach the database and fail there as a 500. Form fields are checked by
their validators (Django's CharField refuses NUL); the API validates its own parameters and
bodies the same way (DRF), answering in its error shape with its rate-limit headers.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _


class RejectNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and any(
            "\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values
        ):
            message = _("The address contains a NUL character, which is not allowed.")
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
