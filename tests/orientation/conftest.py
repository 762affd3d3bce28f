import datetime

import pytest
from django.utils import timezone

from accompaniment.permissions import share_file
from partners.enums import OrganisationType, Role
from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture
def officer(departement):
    """A Département orientation officer: sees every file of the Département's sectors."""
    return UserFactory(
        organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile", last_name="Orientation"
    )


@pytest.fixture
def ft_agency(db):
    return OrganisationFactory(
        code="FT-PRADO",
        type=OrganisationType.FRANCE_TRAVAIL,
        name="France Travail Marseille Prado",
        address="12 avenue du Prado, 13008 Marseille",
    )


@pytest.fixture
def social_worker(departement):
    return UserFactory(
        organisation=departement,
        roles=[Role.REFERENT],
        is_social_worker=True,
        first_name="Sophie",
        last_name="Sociale",
    )


@pytest.fixture
def ft_counsellor(ft_agency):
    """A France Travail counsellor, not a social worker."""
    return UserFactory(organisation=ft_agency, roles=[Role.REFERENT], first_name="Fabien", last_name="Conseiller")


def give_access(file, user, by):
    """An explicit share, so that `user` may see `file` without any other relation."""
    share_file(
        beneficiary=file,
        by=by,
        reason="Diagnostic partagé",
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
        user=user,
    )
