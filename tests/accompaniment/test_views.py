import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accompaniment import nir as nir_lib
from accompaniment.enums import FileOrigin, RightsState
from accompaniment.models import Beneficiary, FileShare, RightsStateChange
from accompaniment.permissions import share_file
from audit.models import Action, AuditLog
from partners.enums import OrganisationType, Role
from partners.models import Commune
from tests.factories import BeneficiaryFactory, HouseholdFactory, OrganisationFactory, UserFactory

STEM = "2870613208042"
VALID_NIR = f"{STEM}{nir_lib.key_of(STEM):02d}"
LIST = reverse("accompaniment:list")
QUEUE = reverse("accompaniment:unassigned")


def detail_url(file):
    return reverse("accompaniment:detail", kwargs={"pk": file.pk})


def edit_url(file):
    return reverse("accompaniment:edit", kwargs={"pk": file.pk})


def queries_of(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def officer(departement):
    """An orientation officer of the Département: sees every file of its sectors and the unassigned queue."""
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile")


@pytest.fixture
def unassigned_file(db):
    return BeneficiaryFactory(
        commune=None, postal_code="75019", city="Paris", first_name="Lina", last_name="Venue", flux_date=None
    )


def names_in(response):
    return [file.full_name for file in response.context["page_obj"].object_list]


# List -----------------------------------------------------------------------------------------------------
def test_referent_lists_the_files_they_may_see_and_nothing_else(client, referent, followed_file):
    BeneficiaryFactory(first_name="Hors", last_name="Périmètre")  # created by nobody the referent knows
    client.force_login(referent)
    response = client.get(LIST)
    assert response.status_code == 200
    assert names_in(response) == ["Awa DIALLO"]
    assert "Hors PÉRIMÈTRE" not in response.content.decode()  # the status filter offers « Hors champ »


def test_a_user_with_no_nominative_role_gets_403_on_the_list_and_the_copil_404(client, stranger, departement):
    client.force_login(stranger)
    assert client.get(LIST).status_code == 403
    client.force_login(UserFactory(organisation=departement, roles=[Role.COPIL]))
    assert client.get(LIST).status_code == 404  # aggregates only


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_birth_date_caf_number_commune_sector_and_status_but_never_the_nir(client, referent, marseille_sud):
    BeneficiaryFactory(
        created_by=referent,
        first_name="Awa",
        last_name="Diallo",
        birth_date=datetime.date(1987, 6, 15),
        caf_number="1234567",
        nir=VALID_NIR,
    )
    client.force_login(referent)
    html = client.get(LIST).content.decode()
    for text in ("15/06/1987", "1234567", "Marseille 8e", marseille_sud.name, "Droit ouvert et versable", "À orienter"):
        assert text in html
    assert STEM not in html


def test_an_unassigned_file_shows_a_non_affecte_badge(client, officer, unassigned_file):
    client.force_login(officer)
    assert "Non affecté" in client.get(LIST).content.decode()


def test_list_filters_by_text_sector_commune_rights_state_and_assignment(client, officer, marseille_sud, aix):
    diallo = BeneficiaryFactory(first_name="Awa", last_name="Diallo", caf_number="1111111")
    in_aix = BeneficiaryFactory(
        first_name="Jean", last_name="Martin", commune=Commune.objects.get(insee_code="13001"), postal_code="13100"
    )
    closed = BeneficiaryFactory(first_name="Paul", last_name="Clos", rights_state=RightsState.CLOSED)
    unassigned = BeneficiaryFactory(first_name="Lina", last_name="Venue", commune=None)
    client.force_login(officer)

    def found(query):
        return set(client.get(LIST, query).context["page_obj"].object_list)

    assert found({"q": "diallo"}) == {diallo}
    assert found({"q": "1111"}) == {diallo}
    assert found({"sector": aix.pk}) == {in_aix}
    assert found({"commune": "13208"}) == {diallo, closed}
    assert found({"rights_state": RightsState.CLOSED}) == {closed}
    assert found({"unassigned": "oui"}) == {unassigned}
    assert found({"unassigned": "non"}) == {diallo, in_aix, closed}
    assert found({"sector": marseille_sud.pk, "rights_state": RightsState.OPEN_PAYABLE}) == {diallo}


def test_invalid_filter_values_are_ignored_not_a_server_error(client, officer, followed_file):
    client.force_login(officer)
    response = client.get(LIST, {"sector": "abc", "commune": "99999", "tri": "drop table", "page": "x"})
    assert response.status_code == 200
    assert followed_file in response.context["page_obj"].object_list


def test_list_sorts_by_whitelisted_columns_in_both_directions(client, officer):
    old = BeneficiaryFactory(
        last_name="Bernard", birth_date=datetime.date(1960, 1, 1), flux_date=datetime.date(2026, 1, 1)
    )
    young = BeneficiaryFactory(
        last_name="Abbas", birth_date=datetime.date(2000, 1, 1), flux_date=datetime.date(2026, 3, 1)
    )
    aix = BeneficiaryFactory(
        last_name="Caron",
        birth_date=datetime.date(1980, 1, 1),
        commune=Commune.objects.get(insee_code="13001"),
        rights_opened_on=datetime.date(2020, 1, 1),
        flux_date=None,
    )
    client.force_login(officer)

    def order(tri):
        return list(client.get(LIST, {"tri": tri}).context["page_obj"].object_list)

    assert order("nom") == [young, old, aix]
    assert order("-nom") == [aix, old, young]
    assert order("naissance") == [old, aix, young]
    assert order("-naissance") == [young, aix, old]
    assert order("commune")[0] == aix  # Aix-en-Provence before Marseille
    assert order("ouverture")[0] == aix
    assert order("-flux") == [young, old, aix]  # a file with no flux date comes last either way
    assert order("flux") == [old, young, aix]


def test_sorted_column_header_says_its_direction_to_assistive_technologies(client, officer, followed_file):
    client.force_login(officer)
    html = client.get(LIST, {"tri": "-naissance"}).content.decode()
    assert 'aria-sort="descending"' in html
    assert "?tri=naissance" in html  # the header link reverses the direction


def test_list_is_paginated_by_the_page_size_setting(client, officer, settings):
    settings.PARCOURS_PAGE_SIZE = 2
    for name in ("Abel", "Bruno", "Chloé", "Denis", "Emma"):
        BeneficiaryFactory(last_name=name)
    client.force_login(officer)
    first = client.get(LIST)
    assert first.context["page_obj"].paginator.num_pages == 3
    assert [f.last_name for f in first.context["page_obj"]] == ["Abel", "Bruno"]
    third = client.get(LIST, {"page": 3})
    assert [f.last_name for f in third.context["page_obj"]] == ["Emma"]
    assert "5 dossiers trouvés" in first.content.decode()


def test_list_page_writes_the_ids_of_the_page_to_the_audit_log(client, referent, followed_file):
    client.force_login(referent)
    client.get(LIST)
    entry = AuditLog.objects.filter(action=Action.LIST, user=referent).latest("id")
    assert entry.object_type == "accompaniment.beneficiary"
    assert entry.object_ids == [followed_file.pk]
    assert entry.count == 1


def test_an_htmx_request_gets_the_results_table_and_the_count_for_the_live_region(client, referent, followed_file):
    client.force_login(referent)
    response = client.get(LIST, {"q": "Diallo"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert "1 dossier trouvé." in html
    assert "Awa DIALLO" in html
    assert "HX-Request" in response["Vary"]


def test_the_full_list_page_has_a_filter_form_that_works_without_javascript(client, referent, followed_file):
    client.force_login(referent)
    html = client.get(LIST).content.decode()
    assert 'method="get"' in html
    assert 'hx-get="/dossiers/"' in html and 'hx-target="#resultats"' in html and 'hx-push-url="true"' in html
    assert 'role="status"' in html and 'aria-live="polite"' in html
    assert "<caption>" in html and 'scope="col"' in html
    assert '<label class="form-label" for="id_q">' in html


def test_list_runs_the_same_number_of_queries_with_3_and_with_30_files(client, officer):
    for _ in range(3):
        BeneficiaryFactory()
    client.get(LIST)  # warm caches
    client.force_login(officer)
    few = queries_of(client, LIST + "?q=a&tri=-naissance")
    for _ in range(27):
        BeneficiaryFactory(household=HouseholdFactory())
    assert queries_of(client, LIST + "?q=a&tri=-naissance") == few


# Unassigned queue ----------------------------------------------------------------------------------------
def test_the_departements_officer_sees_the_unassigned_queue_oldest_flux_first(client, officer, followed_file):
    recent = BeneficiaryFactory(commune=None, last_name="Récent", flux_date=datetime.date(2026, 10, 1))
    old = BeneficiaryFactory(commune=None, last_name="Ancien", flux_date=datetime.date(2025, 1, 1))
    client.force_login(officer)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert [file for file, _form in response.context["rows"]] == [old, recent]
    entry = AuditLog.objects.filter(action=Action.LIST, path=QUEUE).latest("id")
    assert entry.object_ids == [old.pk, recent.pk]


def test_the_queue_is_refused_to_referents_and_to_other_organisations_officers(client, referent, aix):
    client.force_login(referent)
    assert client.get(QUEUE).status_code == 403
    agency = OrganisationFactory(code="FT-AIX", type=OrganisationType.FRANCE_TRAVAIL, sectors=[aix])
    client.force_login(UserFactory(organisation=agency, roles=[Role.ORIENTATION_OFFICER]))
    assert client.get(QUEUE).status_code == 403


def test_setting_the_commune_assigns_the_sector_that_follows(client, officer, unassigned_file, marseille_sud):
    client.force_login(officer)
    prefix = f"d{unassigned_file.pk}"
    response = client.post(QUEUE, {"dossier": unassigned_file.pk, f"{prefix}-commune": "13209"})
    assert response.status_code == 302
    unassigned_file.refresh_from_db()
    assert unassigned_file.commune_id == "13209"
    assert unassigned_file.sector == marseille_sud
    assert not unassigned_file.sector_set_by_hand


def test_setting_the_sector_by_hand_keeps_it(client, officer, unassigned_file, aix):
    client.force_login(officer)
    prefix = f"d{unassigned_file.pk}"
    client.post(QUEUE, {"dossier": unassigned_file.pk, f"{prefix}-sector": aix.pk})
    unassigned_file.refresh_from_db()
    assert unassigned_file.sector == aix
    assert unassigned_file.sector_set_by_hand


def test_an_unknown_commune_code_is_shown_on_the_files_row(client, officer, unassigned_file):
    client.force_login(officer)
    prefix = f"d{unassigned_file.pk}"
    response = client.post(QUEUE, {"dossier": unassigned_file.pk, f"{prefix}-commune": "75019"})
    assert response.status_code == 200
    assert "n&#x27;est pas une commune du Département" in response.content.decode()
    unassigned_file.refresh_from_db()
    assert unassigned_file.sector is None


def test_an_assigned_file_cannot_be_posted_to_the_queue(client, officer, followed_file, aix):
    client.force_login(officer)
    response = client.post(QUEUE, {"dossier": followed_file.pk, f"d{followed_file.pk}-sector": aix.pk})
    assert response.status_code == 404


# File page -----------------------------------------------------------------------------------------------
def test_referent_reads_the_file_and_the_read_is_audited(client, referent, followed_file):
    client.force_login(referent)
    response = client.get(detail_url(followed_file))
    assert response.status_code == 200
    assert "<h1" in response.content.decode() and "Awa DIALLO" in response.content.decode()
    entry = AuditLog.objects.filter(action=Action.READ).latest("id")
    assert (entry.user, entry.object_type, entry.object_id) == (
        referent,
        "accompaniment.beneficiary",
        str(followed_file.pk),
    )


def test_a_file_out_of_reach_answers_404(client, followed_file, other_organisation_user, stranger):
    for user in (other_organisation_user, stranger):
        client.force_login(user)
        assert client.get(detail_url(followed_file)).status_code == 404
        assert client.get(edit_url(followed_file)).status_code == 404


def test_file_page_says_whether_a_nir_is_recorded_but_never_shows_it(client, referent):
    file = BeneficiaryFactory(created_by=referent, nir=VALID_NIR)
    client.force_login(referent)
    html = client.get(detail_url(file)).content.decode()
    assert "NIR enregistré" in html
    assert STEM not in html and VALID_NIR not in html


def test_file_page_shows_the_household_members_sectors_and_rights_dates(client, referent, marseille_sud):
    household = HouseholdFactory()
    file = BeneficiaryFactory(created_by=referent, household=household, rights_opened_on=datetime.date(2026, 9, 1))
    household.members.create(role="ENF", first_name="Petit", last_name="Enfant", birth_date=datetime.date(2020, 5, 4))
    client.force_login(referent)
    html = client.get(detail_url(file)).content.decode()
    assert "Petit ENFANT" in html and "04/05/2020" in html
    assert marseille_sud.name in html
    assert "01/09/2026" in html and "05/09/2026" in html  # rights-opening date, flux date


def test_the_timeline_tells_creation_rights_changes_field_changes_and_shares(client, referent, followed_file):
    followed_file.phone = "0611223344"
    followed_file.set_nir(VALID_NIR)
    followed_file.save()
    RightsStateChange.objects.create(
        beneficiary=followed_file, state=RightsState.OPEN_SUSPENDED, effective_on=datetime.date(2026, 10, 1)
    )
    colleague = UserFactory(organisation=referent.organisation, roles=[Role.REFERENT], first_name="Carla")
    share_file(
        beneficiary=followed_file,
        by=referent,
        reason="Relais",
        ends_on=timezone.localdate() + datetime.timedelta(days=9),
        user=colleague,
    )
    client.force_login(referent)
    html = client.get(detail_url(followed_file)).content.decode()
    assert "Dossier créé" in html and "Saisie manuelle" in html
    assert "État du droit : Droit ouvert et suspendu" in html and "01/10/2026" in html
    assert "Champs modifiés : NIR, Téléphone" in html
    assert f"Dossier partagé avec {colleague.get_full_name()}" in html and "Motif : Relais" in html


def test_the_file_page_runs_the_same_number_of_queries_with_5_and_with_50_events(client, referent):
    household = HouseholdFactory()

    def file_with_events(count):
        file = BeneficiaryFactory(created_by=referent, household=household)
        household.members.create(role="DEM", first_name="A", last_name="B", birth_date=datetime.date(1980, 1, 1))
        for index in range(count):
            kind = index % 3
            if kind == 0:
                file.phone = f"06{index:08d}"
                file.save()
            elif kind == 1:
                RightsStateChange.objects.create(beneficiary=file, state="2", effective_on=datetime.date(2026, 1, 1))
            else:
                share_file(
                    beneficiary=file,
                    by=referent,
                    reason="test",
                    ends_on=timezone.localdate() + datetime.timedelta(days=10),
                    user=UserFactory(organisation=referent.organisation, roles=[Role.REFERENT]),
                )
        return file

    few, many = file_with_events(5), file_with_events(50)
    client.force_login(referent)
    client.get(detail_url(few))  # warm caches
    assert queries_of(client, detail_url(few)) == queries_of(client, detail_url(many))


# Create and edit ------------------------------------------------------------------------------------------
def creation_data(**overrides):
    data = {
        "last_name": "Témoin",
        "first_name": "Sara",
        "birth_date": "15/06/1987",
        "sex": "F",
        "caf_number": "7654321",
        "postal_code": "13009",
        "city": "Marseille",
        "commune": "13209",
        "rights_state": "2",
        "rights_opened_on": "01/10/2026",
        "rights_and_duties": "on",
    }
    data.update(overrides)
    return data


def test_a_referent_creates_a_file_by_hand(client, referent, marseille_sud):
    client.force_login(referent)
    response = client.post(reverse("accompaniment:create"), creation_data(nir=VALID_NIR))
    file = Beneficiary.objects.get(last_name="Témoin")
    assert response.status_code == 302 and response["Location"] == detail_url(file)
    assert file.created_by == referent
    assert file.origin == FileOrigin.MANUAL
    assert file.flux_date == timezone.localdate()
    assert file.sector == marseille_sud
    assert file.has_nir and file.nir_hash == nir_lib.stem_hash(STEM)
    assert file.rights_changes.get().state == RightsState.OPEN_PAYABLE
    assert AuditLog.objects.filter(action=Action.CREATE, object_id=str(file.pk)).exists()


def test_roles_that_do_not_create_files_get_403_on_the_create_page(client, stranger, departement):
    for user in (stranger, UserFactory(organisation=departement, roles=[Role.CAF_AGENT])):
        client.force_login(user)
        assert client.get(reverse("accompaniment:create")).status_code == 403
        assert client.post(reverse("accompaniment:create"), creation_data()).status_code == 403
    assert not Beneficiary.objects.exists()


def test_errors_are_shown_next_to_their_field_and_the_other_values_are_kept(client, referent):
    client.force_login(referent)
    future = (timezone.localdate() + datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    response = client.post(reverse("accompaniment:create"), creation_data(birth_date=future))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_birth_date_error"' in html and "La date de naissance doit être dans le passé." in html
    assert 'value="Témoin"' in html
    assert not Beneficiary.objects.exists()


def test_a_possible_duplicate_needs_the_confirmation_box_then_is_created(client, referent, followed_file):
    client.force_login(referent)
    data = creation_data(last_name="DIALLO", first_name="awa", birth_date=followed_file.birth_date.strftime("%d/%m/%Y"))
    refused = client.post(reverse("accompaniment:create"), data)
    assert refused.status_code == 200
    assert "Je confirme qu&#x27;il s&#x27;agit d&#x27;une autre personne" in refused.content.decode()
    assert Beneficiary.objects.count() == 1
    client.post(reverse("accompaniment:create"), {**data, "confirm_other_person": "on"})
    assert Beneficiary.objects.count() == 2


def test_editing_with_a_blank_nir_keeps_the_recorded_one(client, referent):
    file = BeneficiaryFactory(created_by=referent, nir=VALID_NIR, first_name="Awa", last_name="Diallo")
    stored = file.nir_hash, file.nir_encrypted
    client.force_login(referent)
    data = creation_data(last_name="Diallo", first_name="Awa", birth_date=file.birth_date.strftime("%d/%m/%Y"))
    response = client.post(edit_url(file), {**data, "nir": "", "phone": "0611223344"})
    assert response.status_code == 302
    file.refresh_from_db()
    assert (file.nir_hash, file.nir_encrypted) == stored
    assert file.phone == "0611223344"
    update = AuditLog.objects.filter(action=Action.UPDATE, object_id=str(file.pk)).latest("id")
    assert "phone" in update.fields and "nir_hash" not in update.fields


def test_editing_the_commune_moves_the_file_to_the_sector_of_its_new_commune(client, referent, followed_file, aix):
    client.force_login(referent)
    data = creation_data(
        last_name="Diallo",
        first_name="Awa",
        birth_date=followed_file.birth_date.strftime("%d/%m/%Y"),
        commune="13001",
        postal_code="13100",
        rights_state="3",
    )
    assert client.post(edit_url(followed_file), data).status_code == 302
    followed_file.refresh_from_db()
    assert followed_file.sector == aix
    assert followed_file.rights_changes.get().state == RightsState.OPEN_SUSPENDED


def test_the_edit_page_read_is_audited_and_a_caf_agent_who_sees_the_file_may_not_edit_it(client, referent, departement):
    caf_agent = UserFactory(organisation=departement, roles=[Role.CAF_AGENT])
    file = BeneficiaryFactory(created_by=caf_agent)
    client.force_login(caf_agent)
    assert client.get(detail_url(file)).status_code == 200
    assert client.get(edit_url(file)).status_code == 403
    client.force_login(referent)
    mine = BeneficiaryFactory(created_by=referent)
    assert client.get(edit_url(mine)).status_code == 200
    assert AuditLog.objects.filter(action=Action.READ, path=edit_url(mine)).exists()


# Shares -------------------------------------------------------------------------------------------------
def share_url(file):
    return reverse("accompaniment:share", kwargs={"pk": file.pk})


def test_sharing_with_a_named_user_lets_them_see_the_file_until_revoked(client, referent, followed_file, aix):
    agency = OrganisationFactory(code="FT-AIX", type=OrganisationType.FRANCE_TRAVAIL, sectors=[aix])
    counsellor = UserFactory(organisation=agency, roles=[Role.REFERENT], email="conseiller@ft.test")
    client.force_login(referent)
    ends_on = timezone.localdate() + datetime.timedelta(days=60)
    response = client.post(
        share_url(followed_file),
        {"user_email": "conseiller@ft.test", "reason": "Suivi conjoint", "ends_on": ends_on.strftime("%d/%m/%Y")},
    )
    assert response.status_code == 302
    share = FileShare.objects.get()
    assert (share.user, share.created_by, share.ends_on) == (counsellor, referent, ends_on)
    assert followed_file in Beneficiary.objects.for_user(counsellor)
    assert AuditLog.objects.filter(action=Action.SHARE, object_id=str(followed_file.pk), user=referent).exists()
    page = client.get(detail_url(followed_file)).content.decode()
    assert "Partages en cours" in page and counsellor.get_full_name() in page

    revoke = reverse("accompaniment:revoke_share", kwargs={"pk": followed_file.pk, "share_pk": share.pk})
    assert client.post(revoke).status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert followed_file not in Beneficiary.objects.for_user(counsellor)
    assert AuditLog.objects.filter(action=Action.UPDATE, object_type="accompaniment.fileshare").exists()


def test_sharing_with_an_organisation(client, referent, followed_file, aix):
    agency = OrganisationFactory(code="FT-AIX", type=OrganisationType.FRANCE_TRAVAIL, sectors=[aix])
    member = UserFactory(organisation=agency, roles=[Role.REFERENT])
    client.force_login(referent)
    ends_on = (timezone.localdate() + datetime.timedelta(days=10)).strftime("%d/%m/%Y")
    client.post(share_url(followed_file), {"organisation": agency.pk, "reason": "Relais", "ends_on": ends_on})
    assert followed_file in Beneficiary.objects.for_user(member)


def test_an_invalid_share_is_shown_on_the_file_page_and_nothing_is_shared(client, referent, followed_file):
    client.force_login(referent)
    response = client.post(share_url(followed_file), {"reason": "", "ends_on": "01/01/2020"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "La fin du partage doit être dans le futur." in html
    assert '<details class="share-details" open>' in html
    assert not FileShare.objects.exists()


def test_only_those_who_see_the_file_and_may_write_can_share_or_revoke(client, referent, followed_file, departement):
    share = share_file(
        beneficiary=followed_file,
        by=referent,
        reason="x",
        ends_on=timezone.localdate() + datetime.timedelta(days=5),
        organisation=departement,
    )
    revoke = reverse("accompaniment:revoke_share", kwargs={"pk": followed_file.pk, "share_pk": share.pk})
    data = {"organisation": departement.pk, "reason": "x", "ends_on": "01/01/2099"}
    outsider = UserFactory(roles=[Role.REFERENT])
    client.force_login(outsider)
    assert client.post(share_url(followed_file), data).status_code == 404
    assert client.post(revoke).status_code == 404
    caf_agent = UserFactory(organisation=departement, roles=[Role.CAF_AGENT])  # sees it through the share
    client.force_login(caf_agent)
    assert client.get(detail_url(followed_file)).status_code == 200
    assert client.post(share_url(followed_file), data).status_code == 403
    assert client.post(revoke).status_code == 403
    share.refresh_from_db()
    assert share.revoked_at is None


def test_share_and_revoke_accept_only_post(client, referent, followed_file):
    client.force_login(referent)
    assert client.get(share_url(followed_file)).status_code == 405
