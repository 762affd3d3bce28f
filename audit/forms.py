"""The form behind the journal's filters: a period must not end before it starts."""

from django import forms

from partners.forms import BootstrapForm


class AuditLogFilterForm(BootstrapForm):
    def clean(self):
        cleaned_data = super().clean()
        since, until = cleaned_data.get("since"), cleaned_data.get("until")
        if since and until and since > until:
            self.add_error("until", forms.ValidationError("La fin de la période précède son début.", code="period"))
        return cleaned_data
