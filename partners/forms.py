"""Form helpers shared by every app: Bootstrap classes, `is-invalid` and `aria-describedby` on widgets.

The ids `<id>_helptext` and `<id>_error` are rendered by templates/components/_field.html.
"""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms.boundfield import BoundField
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class BootstrapBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        if self.errors:
            css += " is-invalid"
        attrs["class"] = " ".join(c for c in (widget.attrs.get("class", ""), attrs.get("class", ""), css) if c)
        return attrs


class BootstrapForm(forms.Form):
    bound_field_class = BootstrapBoundField


class LoginForm(AuthenticationForm):
    """Login by e-mail address, with French labels and the browser's autocomplete hints."""

    bound_field_class = BootstrapBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Adresse e-mail"
        self.fields["username"].widget = forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
        self.fields["password"].label = "Mot de passe"
        self.error_messages["invalid_login"] = (
            "Adresse e-mail ou mot de passe incorrect. Après 5 essais, le compte est bloqué 30 minutes."
        )


class FastSelect(forms.Select):
    """A <select> written in Python instead of through the template engine (same markup, same attributes):
    for lists that repeat a form on every row, where rendering option templates dominates the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '<option value="{}"{}{}>{}</option>',
                        option["value"],
                        mark_safe(" selected") if option["selected"] else "",
                        flatatt({k: v for k, v in option["attrs"].items() if k != "selected"}),
                        option["label"],
                    )
                )
            if group_name:
                parts.append(mark_safe("</optgroup>"))
        parts.append(mark_safe("</select>"))
        return mark_safe("".join(parts))
