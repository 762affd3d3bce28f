"""French number formatting of the figures (1 783 ; 39,7 % ; masked values as « s »)."""

from django.utils.formats import number_format

MASKED = "s"
NARROW_NO_BREAK_SPACE = "\u202f"
NO_BREAK_SPACE = "\xa0"


def number(value, decimals=0):
    if value is None:
        return MASKED
    text = number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return text.replace("\xa0", NARROW_NO_BREAK_SPACE)


def percent(value):
    if value is None:
        return MASKED
    return f"{number(value * 100, 1)}{NARROW_NO_BREAK_SPACE}%"


def hours(value):
    """Hours as « 1 234,5 h » (« 585 h » when whole), « s » when masked."""
    if value is None:
        return MASKED
    return f"{number(value, 1).removesuffix(',0')}{NO_BREAK_SPACE}h"


def rate(rate_object):
    """A SPEC §7 rate object as « 39,7 % (708 / 1 783) », « s » when masked, « — » with no denominator."""
    if rate_object is None or rate_object.get("masked"):
        return MASKED
    if rate_object["value"] is None:
        return "—"
    return (
        f"{percent(rate_object['value'])} ({number(rate_object['numerator'])} / {number(rate_object['denominator'])})"
    )
