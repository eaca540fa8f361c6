from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def admin_required(view):
    """Settings pages: admins only; anyone else gets the same 404 as for a missing page."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
