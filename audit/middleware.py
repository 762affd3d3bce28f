from .context import acting_as
from .models import Channel


class AuditContextMiddleware:
    """Makes the requesting user the actor of every audit entry written while the request runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        channel = Channel.API if request.path.startswith("/api/") else Channel.WEB
        with acting_as(user, channel=channel, path=request.path, ip_address=request.META.get("REMOTE_ADDR")):
            return self.get_response(request)
