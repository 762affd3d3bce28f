"""View helpers every app uses: refusing a user, telling an htmx partial request, showing a service's
refusal next to the form field it names."""

from django.core.exceptions import PermissionDenied


def require(allowed, message=""):
    """403 unless `allowed` (the object itself was fetched through `for_user()`: out of reach is a 404)."""
    if not allowed:
        raise PermissionDenied(message)


def is_partial(request):
    """An htmx request for a fragment (not a boosted page nor a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted and not htmx.history_restore_request)


def add_service_errors(form, error):
    """A service's ValidationError shown next to the field it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
