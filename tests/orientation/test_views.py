import datetime
import subprocess

import pytest
from django.urls import reverse
from freezegun import freeze_time

from accompaniment.enums import Status
from accompaniment.models import Beneficiary
from audit.models import Action, AuditLog
from orientation.enums import OrientationEndReason
from orientation.models import Orientation
from partners.enums import OrganisationType, Role
from tests.factories import BeneficiaryFactory, OrganisationFactory, UserFactory

NIR_STEM = "2840213055123"


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])


@pytest.fixture
def ft_agency(db):
    return OrganisationFactory(
        code="FT-PRADO",
        type=OrganisationType.FRANCE_TRAVAIL,
        name="France Travail Marseille Prado",
        address="1 av. du Prado",
    )


def _decide(client, file, organisation, **extra):
    return client.post(
        reverse("orientation:decide", kwargs={"pk": file.pk}),
        {"pathway": "emploi", "organisation": organisation.pk, "decided_on": "02/11/2026", "reasoning": "", **extra},
    )


@freeze_time("2026-11-20 10:00")
def test_an_officer_orients_a_file_and_its_status_moves_to_oriented(client, officer, ft_agency):
    file = BeneficiaryFactory(created_by=officer)
    client.force_login(officer)
    response = _decide(client, file, ft_agency)
    assert response.status_code == 302
    assert Beneficiary.objects.with_status().get(pk=file.pk).status_code == Status.ORIENTED
    page = client.get(reverse("accompaniment:detail", kwargs={"pk": file.pk})).content.decode()
    assert "France Travail Marseille Prado" in page and "Non notifiée" in page


@freeze_time("2026-11-20 10:00")
def test_a_second_decision_is_a_reorientation_that_needs_a_reason_and_keeps_the_history(
    client, officer, ft_agency, departement
):
    file = BeneficiaryFactory(created_by=officer)
    client.force_login(officer)
    _decide(client, file, departement)
    form = client.get(reverse("orientation:decide", kwargs={"pk": file.pk})).content.decode()
    assert "Motif de la réorientation" in form
    refused = _decide(client, file, ft_agency, decided_on="10/11/2026")
    assert refused.status_code == 200 and "obligatoire" in refused.content.decode()
    _decide(client, file, ft_agency, decided_on="10/11/2026", reason="Projet emploi confirmé")
    previous, current = Orientation.objects.filter(beneficiary=file).order_by("decided_on")
    assert previous.end_reason == OrientationEndReason.REORIENTATION
    assert previous.end_comment == "Projet emploi confirmé"
    assert current.is_current and current.organisation == ft_agency
    page = client.get(reverse("accompaniment:detail", kwargs={"pk": file.pk})).content.decode()
    assert "Réorientation" in page and "Projet emploi confirmé" in page


@freeze_time("2026-11-20 10:00")
def test_a_decision_in_the_future_is_refused_on_its_field(client, officer, departement):
    file = BeneficiaryFactory(created_by=officer)
    client.force_login(officer)
    response = _decide(client, file, departement, decided_on="01/12/2026")
    assert response.status_code == 200
    assert "ne peut pas être dans le futur" in response.content.decode()
    assert not Orientation.objects.exists()


def test_a_referent_may_not_decide_and_a_file_out_of_reach_answers_404(client, referent, followed_file, officer):
    client.force_login(referent)
    assert client.get(reverse("orientation:decide", kwargs={"pk": followed_file.pk})).status_code == 403
    outsider = UserFactory(organisation=OrganisationFactory(code="FT-AUTRE"), roles=[Role.ORIENTATION_OFFICER])
    client.force_login(outsider)
    assert client.get(reverse("orientation:decide", kwargs={"pk": followed_file.pk})).status_code == 404


@freeze_time("2026-11-20 10:00")
def test_recording_the_letter_as_sent_sets_the_notification_date(client, officer, departement):
    file = BeneficiaryFactory(created_by=officer)
    client.force_login(officer)
    _decide(client, file, departement)
    orientation = Orientation.objects.get()
    client.post(reverse("orientation:notify", kwargs={"orientation_pk": orientation.pk}), {"notified_on": "03/11/2026"})
    orientation.refresh_from_db()
    assert orientation.notified_on == datetime.date(2026, 11, 3)
    client.post(reverse("orientation:notify", kwargs={"orientation_pk": orientation.pk}), {"notified_on": "01/11/2026"})
    orientation.refresh_from_db()
    assert orientation.notified_on == datetime.date(2026, 11, 3)  # before the decision: refused


@freeze_time("2026-11-20 10:00")
def test_the_letter_is_a_pdf_with_the_decision_and_never_the_nir(client, officer, ft_agency, tmp_path):
    file = BeneficiaryFactory(created_by=officer, nir=NIR_STEM, first_name="Inès", last_name="Benali")
    client.force_login(officer)
    _decide(client, file, ft_agency)
    orientation = Orientation.objects.get()
    response = client.get(reverse("orientation:letter", kwargs={"orientation_pk": orientation.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    path = tmp_path / "lettre.pdf"
    path.write_bytes(response.content)
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    assert "Emploi" in text
    assert "France Travail Marseille Prado" in text
    assert "BENALI" in text and "tribunal administratif" in text
    assert NIR_STEM not in text.replace(" ", "")
    assert AuditLog.objects.filter(action=Action.DOWNLOAD, object_type="orientation.orientation").exists()
