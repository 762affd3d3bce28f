"""Forms of the data exchange pages: upload a file to import; link a France Travail row to a file, or dismiss it."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from partners.forms import BootstrapForm

from ..enums import ImportKind
from .registry import HEAD_SIZE, detect_kind

AUTO = "auto"
UPLOAD_KINDS = {
    ImportKind.CAF: "un flux CAF ou MSA (XML)",
    ImportKind.FRANCE_TRAVAIL: "un extrait France Travail (CSV)",
}


class ImportUploadForm(BootstrapForm):
    """A file to import: a CAF/MSA flux or a France Travail extract, recognised from its first bytes or as
    chosen. `cleaned_data["import_kind"]` is the kind to register (a flux's fund, CAF or MSA, is read later)."""

    file = forms.FileField(
        label="Fichier à importer",
        error_messages={
            "required": "Choisissez le fichier à importer.",
            "empty": "Ce fichier est vide : il n'y a rien à importer.",
        },
    )
    kind = forms.ChoiceField(
        label="Nature du fichier",
        choices=[
            (AUTO, "Reconnaître d'après son contenu"),
            (ImportKind.CAF, "Flux CAF ou MSA (XML VRSB0801)"),
            (ImportKind.FRANCE_TRAVAIL, "Extrait France Travail (CSV)"),
        ],
        initial=AUTO,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "Flux CAF ou MSA (XML VRSB0801) ou extrait France Travail (CSV séparé par des « ; »), "
            f"{filesizeformat(settings.PARCOURS_IMPORT_MAX_BYTES)} au plus."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PARCOURS_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"Ce fichier fait {filesizeformat(upload.size)} : la limite est de {filesizeformat(limit)}. "
                "Pour un fichier plus gros, utilisez la commande d'import sur le serveur."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        upload, chosen = cleaned.get("file"), cleaned.get("kind")
        if not upload or not chosen:
            return cleaned
        upload.seek(0)
        detected = detect_kind(upload.read(HEAD_SIZE))
        upload.seek(0)
        if chosen == AUTO:
            if detected is None:
                self.add_error(
                    "file",
                    "Ce fichier n'est ni un flux XML CAF ou MSA ni un extrait CSV France Travail. Vérifiez que "
                    "c'est le bon fichier ; s'il l'est, choisissez sa nature ci-dessous.",
                )
            cleaned["import_kind"] = detected
        elif detected is not None and detected != chosen:
            self.add_error(
                "kind",
                f"Ce fichier ressemble à {UPLOAD_KINDS[detected]}, pas à {UPLOAD_KINDS[ImportKind(chosen)]} : "
                "vérifiez le fichier ou sa nature.",
            )
        else:
            cleaned["import_kind"] = chosen
        return cleaned


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
