"""Convention pages: visible to the staff of their parties, their owners and COPIL members, 404 for anyone else
(the page and its documents); edited by administrators and owners; PDF documents checked and kept in the
private storage; the list filtered by party, status and end within N days; the renewal action."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from freezegun import freeze_time

from partners.enums import ConventionStatus, OrganisationType, RenewalMode, Role
from partners.models import Convention, ConventionDocument
from tests.factories import OrganisationFactory, UserFactory

from .factories import ConventionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def frozen_today():
    with freeze_time("2026-12-02 10:00:00"):
        yield


@pytest.fixture
def caf():
    return OrganisationFactory(code="CAF83", name="CAF du Var", type=OrganisationType.CAF)


@pytest.fixture
def france_travail():
    return OrganisationFactory(code="FT83", name="France Travail Var", type=OrganisationType.FRANCE_TRAVAIL)


@pytest.fixture
def owner(caf):
    return UserFactory(organisation=caf, roles=[Role.MANAGER])


@pytest.fixture
def convention(caf, france_travail, owner):
    return ConventionFactory(
        title="Convention CAF - France Travail du Var",
        parties=[caf, france_travail],
        owners=[owner],
        valid_to=datetime.date(2027, 1, 31),
    )


@pytest.fixture
def document(convention, owner):
    return ConventionDocument.objects.create(
        convention=convention, title="Convention signée", file=SimpleUploadedFile("signee.pdf", PDF), size=len(PDF)
    )


def client_for(client, user):
    client.force_login(user)
    return client


def test_a_user_of_an_organisation_that_is_not_a_party_gets_404_on_the_convention_and_its_documents(
    client, convention, document
):
    outsider = UserFactory(organisation=OrganisationFactory(code="CCAS-TLN"), roles=[Role.MANAGER])
    client_for(client, outsider)
    assert client.get(reverse("partners:convention_detail", args=[convention.pk])).status_code == 404
    assert client.get(reverse("partners:convention_document", args=[convention.pk, document.pk])).status_code == 404
    assert client.get(reverse("partners:convention_edit", args=[convention.pk])).status_code == 404
    assert client.post(reverse("partners:convention_renewal", args=[convention.pk])).status_code == 404
    assert convention.title not in client.get(reverse("partners:convention_list")).content.decode()


def test_the_staff_of_a_party_and_copil_members_see_the_convention_and_download_its_documents(
    client, convention, document, france_travail
):
    for user in (
        UserFactory(organisation=france_travail, roles=[Role.REFERENT]),
        UserFactory(organisation=OrganisationFactory(code="PREF"), roles=[Role.COPIL]),
    ):
        client_for(client, user)
        page = client.get(reverse("partners:convention_detail", args=[convention.pk]))
        assert page.status_code == 200
        assert "Convention CAF - France Travail du Var" in page.content.decode()
        download = client.get(reverse("partners:convention_document", args=[convention.pk, document.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"


def test_a_party_staff_member_who_is_not_an_owner_may_not_edit(client, convention, france_travail):
    client_for(client, UserFactory(organisation=france_travail, roles=[Role.MANAGER]))
    assert client.get(reverse("partners:convention_edit", args=[convention.pk])).status_code == 403
    assert client.post(reverse("partners:convention_renewal", args=[convention.pk])).status_code == 403
    upload = {"title": "Avenant", "file": SimpleUploadedFile("avenant.pdf", PDF)}
    assert client.post(reverse("partners:convention_document_upload", args=[convention.pk]), upload).status_code == 403


def test_an_owner_edits_the_convention_and_the_history_lists_the_changed_fields(client, convention, owner):
    client_for(client, owner)
    url = reverse("partners:convention_edit", args=[convention.pk])
    form = client.get(url)
    assert form.status_code == 200
    parties = list(convention.parties.all())
    data = {
        "title": "Convention CAF - France Travail du Var (avenant)",
        "kind": "bilateral",
        "signed_on": "15/12/2024",
        "valid_from": "01/01/2025",
        "valid_to": "31/01/2027",
        "renewal": "explicit",
        "renews": "",
        "terminated_on": "",
        "termination_reason": "",
        "objectives": "Accès aux droits",
        "indicators": "",
        "owners": [owner.pk, UserFactory(organisation=owner.organisation, roles=[Role.MANAGER]).pk],
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "2",
        "parties-0-id": parties[0].pk,
        "parties-0-organisation": parties[0].organisation_id,
        "parties-0-signatory_name": "Mme Directrice",
        "parties-1-id": parties[1].pk,
        "parties-1-organisation": parties[1].organisation_id,
        "resources-TOTAL_FORMS": "1",
        "resources-INITIAL_FORMS": "0",
        "resources-0-role": "conseillers France Travail",
        "resources-0-count": "9",
        "resources-0-organisation": parties[1].organisation_id,
        "funding-TOTAL_FORMS": "1",
        "funding-INITIAL_FORMS": "0",
        "funding-0-funder": "Département",
        "funding-0-amount": "120000",
        "funding-0-esf_cofunded": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    convention.refresh_from_db()
    assert convention.title.endswith("(avenant)")
    assert convention.resources.get().count == 9
    assert convention.funding_lines.get().esf_cofunded
    page = client.get(reverse("partners:convention_detail", args=[convention.pk])).content.decode()
    assert "9 conseillers France Travail" in page
    assert "Cofinancé FSE+" in page
    assert "objectives, title" in page  # the history names the changed fields, never the values
    assert ": owners" in page
    assert convention.owners.count() == 2
    assert "Mme Directrice" in page


def test_a_convention_needs_two_parties_and_an_end_after_its_start(client, owner, caf):
    client_for(client, owner)
    data = {
        "title": "Une convention",
        "kind": "bilateral",
        "valid_from": "01/01/2026",
        "valid_to": "31/12/2025",
        "renewal": "explicit",
        "parties-TOTAL_FORMS": "1",
        "parties-INITIAL_FORMS": "0",
        "parties-0-organisation": caf.pk,
        "resources-TOTAL_FORMS": "0",
        "resources-INITIAL_FORMS": "0",
        "funding-TOTAL_FORMS": "0",
        "funding-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("partners:convention_create"), data)
    assert response.status_code == 200
    assert "La fin de validité ne peut pas précéder son début." in response.content.decode()
    assert "Une convention engage au moins deux parties." in response.content.decode()
    assert not Convention.objects.filter(title="Une convention").exists()


def test_a_manager_creates_a_convention_and_follows_it(client, owner, caf, france_travail):
    client_for(client, owner)
    data = {
        "title": "Convention territoriale",
        "kind": "territorial",
        "valid_from": "01/01/2027",
        "valid_to": "31/12/2027",
        "renewal": "tacit",
        "renewal_period_months": "6",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-0-organisation": caf.pk,
        "parties-1-organisation": france_travail.pk,
        "resources-TOTAL_FORMS": "0",
        "resources-INITIAL_FORMS": "0",
        "funding-TOTAL_FORMS": "0",
        "funding-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("partners:convention_create"), data)
    convention = Convention.objects.get(title="Convention territoriale")
    assert response.url == reverse("partners:convention_detail", args=[convention.pk])
    assert list(convention.owners.all()) == [owner]
    assert convention.status == ConventionStatus.DRAFT
    assert convention.renewal_period_months == 6


def test_a_referent_may_not_create_a_convention(client, caf):
    client_for(client, UserFactory(organisation=caf, roles=[Role.REFERENT]))
    assert client.get(reverse("partners:convention_create")).status_code == 403


def test_documents_must_be_pdf_files_under_the_size_limit(client, convention, owner, settings):
    client_for(client, owner)
    url = reverse("partners:convention_document_upload", args=[convention.pk])
    client.post(url, {"title": "Faux PDF", "file": SimpleUploadedFile("faux.pdf", b"MZ\x90\x00 not a pdf")})
    client.post(url, {"title": "Tableur", "file": SimpleUploadedFile("budget.xlsx", PDF)})
    from partners import forms_conventions

    big = PDF + b"0" * (forms_conventions.CONVENTION_DOCUMENT_MAX_BYTES + 1)
    client.post(url, {"title": "Trop gros", "file": SimpleUploadedFile("gros.pdf", big)})
    assert not convention.documents.exists()
    response = client.post(url, {"title": "Convention signée", "file": SimpleUploadedFile("signee.pdf", PDF)})
    assert response.status_code == 302
    document = convention.documents.get()
    assert document.size == len(PDF)
    assert document.file.storage is __import__("django.core.files.storage", fromlist=["storages"]).storages["private"]
    assert document.file.name.startswith(f"conventions/{convention.pk}/")


def test_the_list_filters_by_party_status_and_end_within_n_days(client, convention, caf, france_travail):
    other = ConventionFactory(
        title="Convention CAF - CCAS",
        parties=[caf, OrganisationFactory(code="CCAS83")],
        valid_to=datetime.date(2027, 12, 31),
    )
    draft = ConventionFactory(title="Projet de convention", parties=[caf, france_travail], signed_on=None)
    client_for(client, UserFactory(organisation=caf, roles=[Role.MANAGER]))
    url = reverse("partners:convention_list")

    def titles(**params):
        page = client.get(url, params)
        return {c.title for c in page.context["page_obj"]}

    assert titles() == {convention.title, other.title, draft.title}
    assert titles(party=france_travail.pk) == {convention.title, draft.title}
    assert titles(status="draft") == {draft.title}
    assert titles(expiring_within=90) == {convention.title}  # ends 31/01/2027
    assert titles(expiring_within=30) == set()
    assert "À renouveler" in client.get(url).content.decode()


def test_the_renewal_action_creates_the_next_convention_pre_filled(client, convention, owner, caf):
    convention.resources.create(organisation=caf, role="travailleurs sociaux", count=11)
    convention.funding_lines.create(funder="FSE+", amount=50000, esf_cofunded=True)
    client_for(client, owner)
    response = client.post(reverse("partners:convention_renewal", args=[convention.pk]))
    renewal = Convention.objects.get(renews=convention)
    assert response.url == reverse("partners:convention_edit", args=[renewal.pk])
    assert renewal.status == ConventionStatus.DRAFT
    assert (renewal.valid_from, renewal.valid_to) == (
        datetime.date(2027, 2, 1),
        datetime.date(2029, 2, 28),
    )  # 25 months again
    assert renewal.title == convention.title and renewal.objectives == convention.objectives
    assert {p.organisation_id for p in renewal.parties.all()} == {p.organisation_id for p in convention.parties.all()}
    assert renewal.parties.get(organisation=caf).signatory_name == "M. Signataire"
    assert [(r.role, r.count) for r in renewal.resources.all()] == [("travailleurs sociaux", 11)]
    assert renewal.funding_lines.get().esf_cofunded
    assert list(renewal.owners.all()) == [owner]
    assert client.get(response.url).status_code == 200


def test_the_list_runs_the_same_queries_for_3_and_for_12_conventions(client, caf, france_travail):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client_for(client, UserFactory(organisation=caf, roles=[Role.MANAGER]))
    counts = []
    for total in (3, 12):
        while Convention.objects.count() < total:
            ConventionFactory(parties=[caf, france_travail])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("partners:convention_list")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_end_date_of_a_signed_convention_is_not_moved_by_an_edit(convention, owner):
    from partners.forms_conventions import ConventionForm

    data = {
        "title": convention.title,
        "kind": convention.kind,
        "signed_on": "15/12/2024",
        "valid_from": "01/01/2025",
        "valid_to": "31/12/2027",
        "renewal": convention.renewal,
        "owners": [owner.pk],
    }
    form = ConventionForm(data, instance=convention, user=owner)
    assert not form.is_valid()
    assert "renouvelez-la" in form.errors["valid_to"][0]
    draft = ConventionFactory(signed_on=None)
    assert ConventionForm({**data, "signed_on": ""}, instance=draft, user=owner).is_valid()


def test_a_tacitly_renewed_convention_is_shown_in_force_with_its_current_period(client, caf, france_travail, owner):
    tacit = ConventionFactory(
        title="Convention tacite",
        parties=[caf, france_travail],
        owners=[owner],
        renewal=RenewalMode.TACIT,
        valid_to=datetime.date(2025, 12, 31),
    )
    client_for(client, owner)
    listing = client.get(reverse("partners:convention_list"))
    assert [c.title for c in listing.context["page_obj"]] == ["Convention tacite"]
    content = listing.content.decode()
    assert 'text-bg-secondary">Échue' not in content and 'text-bg-success">En vigueur' in content
    assert "reconduite jusqu'au 31/12/2026" in content
    assert "Tacite reconduction" in content and "(12 mois)" in content
    assert "Reconduction tacite à venir" in content and "À renouveler" not in content
    assert {
        c.title for c in client.get(reverse("partners:convention_list"), {"status": "active"}).context["page_obj"]
    } == {"Convention tacite"}

    page = client.get(reverse("partners:convention_detail", args=[tacit.pk]))
    assert page.context["status"] == ConventionStatus.ACTIVE
    content = " ".join(page.content.decode().split())
    assert "Période de reconduction en cours" in content and "du 01/01/2026 au 31/12/2026" in content
    assert "puis reconduite tacitement par périodes de 12 mois, sauf dénonciation" in content
    assert "La période en cours de cette convention prend fin le 31/12/2026 (dans 29 jours)" in content
    assert "sauf dénonciation d'ici là, elle sera reconduite tacitement pour 12 mois" in content

    member = UserFactory(organisation=caf, roles=[Role.COPIL])
    client.force_login(member)
    home = " ".join(client.get(reverse("home")).content.decode().split())
    assert "fin de la période en cours le 31/12/2026, reconduite tacitement sauf dénonciation" in home


def test_a_convention_without_renewal_tells_its_owners_it_ends(client, caf, france_travail, owner):
    ending = ConventionFactory(parties=[caf, france_travail], owners=[owner], renewal=RenewalMode.NONE)
    client_for(client, owner)
    content = " ".join(client.get(reverse("partners:convention_detail", args=[ending.pk])).content.decode().split())
    assert "Fin prochaine, sans renouvellement" in content
    assert "prend fin le 31/12/2026 (dans 29 jours) et n'est pas renouvelable" in content


def test_the_list_runs_the_same_queries_for_3_and_for_12_tacitly_renewed_conventions(client, caf, france_travail):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client_for(client, UserFactory(organisation=caf, roles=[Role.MANAGER]))
    counts = []
    for total in (3, 12):
        while Convention.objects.count() < total:
            ConventionFactory(
                parties=[caf, france_travail], renewal=RenewalMode.TACIT, valid_to=datetime.date(2025, 12, 31)
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("partners:convention_list"))
        assert {c.status for c in response.context["page_obj"]} == {ConventionStatus.ACTIVE}
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_tacit_renewal_without_an_end_date_is_refused_and_its_period_defaults_to_12_months(owner):
    from partners.forms_conventions import ConventionForm

    data = {"title": "Convention tacite", "kind": "bilateral", "valid_from": "01/01/2027", "renewal": "tacit"}
    form = ConventionForm(data, instance=Convention(), user=owner)
    assert not form.is_valid()
    assert form.errors["valid_to"] == [
        "Une convention reconduite tacitement a une date de fin : celle de sa première période."
    ]
    form = ConventionForm({**data, "valid_to": "31/12/2027"}, instance=Convention(), user=owner)
    assert form.is_valid(), form.errors
    assert form.save().renewal_period_months == 12
