"""The file page's France Travail card: what the latest extract says of the person (registered in apps.py)."""

from .. import sections
from ..models import FranceTravailRegistration


def france_travail_context(request, beneficiary):
    """One query whatever the file's history: the registration, if an extract carried the person."""
    registration = (
        FranceTravailRegistration.objects.filter(beneficiary=beneficiary).select_related("source_import").first()
    )
    return {"france_travail_registration": registration}


def register():
    sections.register(france_travail_context, side=["accompaniment/_file_france_travail.html"], order=50)
