import datetime

from accompaniment.models import Beneficiary
from accompaniment.permissions import revoke_expired_shares, share_file
from partners.enums import OrganisationType, Role
from partners.models import Commune
from tests.factories import BeneficiaryFactory, OrganisationFactory, TeamFactory, UserFactory


def test_referent_sees_the_files_they_created_and_a_stranger_sees_none(followed_file, referent, stranger):
    assert list(Beneficiary.objects.for_user(referent)) == [followed_file]
    assert not Beneficiary.objects.for_user(stranger).exists()


def test_colleague_of_another_organisation_does_not_see_the_file(followed_file, other_organisation_user):
    assert not Beneficiary.objects.for_user(other_organisation_user).exists()


def test_teammate_sees_the_files_of_their_team(followed_file, referent, departement):
    teammate = UserFactory(organisation=departement, roles=[Role.REFERENT])
    referent.teams.first().members.add(teammate)
    assert list(Beneficiary.objects.for_user(teammate)) == [followed_file]


def test_manager_sees_the_files_followed_by_the_teams_they_manage(followed_file, referent, departement):
    manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
    team = referent.teams.first()
    team.manager = manager
    team.save()
    other_team_manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
    TeamFactory(organisation=departement, manager=other_team_manager)
    assert list(Beneficiary.objects.for_user(manager)) == [followed_file]
    assert not Beneficiary.objects.for_user(other_team_manager).exists()


def test_orientation_officer_sees_the_files_of_their_organisations_sectors(departement, marseille_sud, aix):
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    ft_agency = OrganisationFactory(code="FT-AIX", type=OrganisationType.FRANCE_TRAVAIL, sectors=[aix])
    ft_officer = UserFactory(organisation=ft_agency, roles=[Role.ORIENTATION_OFFICER])
    in_marseille = BeneficiaryFactory()
    in_aix = BeneficiaryFactory(commune=Commune.objects.get(insee_code="13001"), postal_code="13100")
    assert set(Beneficiary.objects.for_user(officer)) == {in_marseille, in_aix}
    assert list(Beneficiary.objects.for_user(ft_officer)) == [in_aix]


def test_unassigned_files_are_seen_by_the_departements_officers_only(departement, aix):
    unassigned = BeneficiaryFactory(commune=None, postal_code="92300", city="Levallois-Perret")
    assert unassigned.sector is None
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    ft_agency = OrganisationFactory(code="FT-AIX", type=OrganisationType.FRANCE_TRAVAIL, sectors=[aix])
    ft_officer = UserFactory(organisation=ft_agency, roles=[Role.ORIENTATION_OFFICER])
    assert unassigned in Beneficiary.objects.for_user(officer)
    assert unassigned not in Beneficiary.objects.for_user(ft_officer)


def test_copil_dpo_and_admin_never_see_a_file_even_shared(followed_file, referent, departement):
    for role in (Role.COPIL, Role.DPO, Role.ADMIN):
        user = UserFactory(organisation=departement, roles=[role])
        share_file(beneficiary=followed_file, by=referent, reason="test", ends_on=datetime.date(2099, 1, 1), user=user)
        assert not Beneficiary.objects.for_user(user).exists()


def test_a_file_shared_with_a_user_is_visible_until_the_share_expires(followed_file, referent, other_organisation_user):
    share_file(
        beneficiary=followed_file,
        by=referent,
        reason="Suivi conjoint avec France Travail",
        ends_on=datetime.date(2026, 12, 31),
        user=other_organisation_user,
    )
    assert list(Beneficiary.objects.for_user(other_organisation_user)) == [followed_file]
    assert revoke_expired_shares(today=datetime.date(2027, 1, 1)) == 1
    assert not Beneficiary.objects.for_user(other_organisation_user).exists()


def test_a_file_shared_with_an_organisation_is_visible_to_its_members(followed_file, referent, other_organisation_user):
    share_file(
        beneficiary=followed_file,
        by=referent,
        reason="Orientation en cours",
        ends_on=datetime.date(2099, 1, 1),
        organisation=other_organisation_user.organisation,
    )
    assert list(Beneficiary.objects.for_user(other_organisation_user)) == [followed_file]


def test_visible_files_come_without_duplicates_when_several_relations_hold(followed_file, referent, departement):
    referent.set_roles([Role.REFERENT, Role.ORIENTATION_OFFICER, Role.MANAGER])
    share_file(beneficiary=followed_file, by=referent, reason="x", ends_on=datetime.date(2099, 1, 1), user=referent)
    assert Beneficiary.objects.for_user(referent).count() == 1
