import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from accounts.language import remember_language


class UserTimezoneMiddleware:
    """Render times in the signed-in user's time zone; store and compute in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's and the cookie's, on every
    device: the choice is theirs, not the machine's. The cookie is brought in line so pages
    served before sign-in (and the sign-in page after logout) speak it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = user.language if user is not None and user.is_authenticated else ""
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        # A view that just changed the language set the cookie itself: leave it.
        if language and request.COOKIES.get(cookie) != language and cookie not in response.cookies:
            remember_language(response, language)
        return response
