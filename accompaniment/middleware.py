"""Users who may read aggregates only (the COPIL's members) are told nothing about nominative pages: where
another user would get 403 ("you may not"), they get 404 ("there is nothing here"), like a file outside
anyone's reach."""

from django.core.exceptions import PermissionDenied
from django.views.defaults import page_not_found

from partners.enums import Role

from .permissions import may_read_nominative_data


def aggregates_only(user):
    return bool(user.is_authenticated and user.has_role(Role.COPIL) and not may_read_nominative_data(user))


class AggregatesOnlyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        user = getattr(request, "user", None)
        if isinstance(exception, PermissionDenied) and user is not None and aggregates_only(user):
            return page_not_found(request, exception)
        return None
