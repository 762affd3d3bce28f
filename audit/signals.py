from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import Action
from .services import record


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    record(Action.LOGIN, user=user)


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    if user is not None:
        record(Action.LOGOUT, user=user)


@receiver(user_login_failed)
def log_login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is not stored: it may be a mistyped personal address.
    record(Action.LOGIN_FAILED)
