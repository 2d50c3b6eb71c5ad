"""The one role check of the HTML pages (the API's is ``portal.permissions``).

``@role_required(Role.CLINICIAN)`` on a view: a visitor who is not signed in goes to
the sign-in page, a user of another role gets 403, or 404 with ``refuse=Http404``
where a page must not tell another role that it exists. ``check_role`` is the same
check for the rare page that needs it part-way (a form only clinicians may post).

Under a method decorator (``@login_required @require_POST @role_required(...)``) it
keeps the order the pages always had: sign-in, then the method, then the role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def check_role(user: Any, *roles: str, refuse: type[Exception] = PermissionDenied) -> None:
    if getattr(user, "role", None) not in roles:
        raise refuse


def role_required(*roles: str, refuse: type[Exception] = PermissionDenied) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            check_role(request.user, *roles, refuse=refuse)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
