"""The review queue's forms: link a France Travail row to a file, or dismiss it."""

from django import forms

from partners.forms import BootstrapForm


class ReviewLinkForm(BootstrapForm):
    """Links a row to one of the files proposed, or to another file given by its number."""

    file = forms.TypedChoiceField(
        label="Dossier proposé",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    other_file = forms.IntegerField(
        label="ou numéro d'un autre dossier",
        required=False,
        min_value=1,
        help_text="Le numéro figure dans l'adresse de la page du dossier (…/dossiers/123/).",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8, "autocomplete": "off"}),
        error_messages={"invalid": "Indiquez un numéro de dossier (des chiffres).", "min_value": "Numéro invalide."},
    )
    comment = forms.CharField(label="Commentaire", required=False, max_length=300)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].choices = [(file.pk, file.pk) for file in candidates]
        if not candidates:
            self.fields["file"].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        chosen, other = cleaned.get("file"), cleaned.get("other_file")
        if chosen and other and chosen != other:
            raise forms.ValidationError("Choisissez un dossier proposé ou indiquez un numéro, pas les deux.")
        if not chosen and not other:
            raise forms.ValidationError("Choisissez un dossier proposé ou indiquez le numéro du dossier.")
        cleaned["file_pk"] = chosen or other
        return cleaned


class ReviewDismissForm(BootstrapForm):
    comment = forms.CharField(
        label="Motif",
        required=False,
        max_length=300,
        help_text="Par exemple : la personne ne relève pas du Département.",
    )
