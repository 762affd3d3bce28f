import datetime
import subprocess

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accompaniment.enums import Status
from accompaniment.models import Beneficiary
from audit.models import Action, AuditLog
from orientation.enums import OrientationEndReason
from orientation.models import Orientation
from orientation.views import file_sections_context
from partners.enums import OrganisationType, Role
from tests.factories import BeneficiaryFactory, OrganisationFactory, UserFactory

from .factories import DiagnosticFactory

NIR = "284021305512394"


@pytest.fixture
def file(referent):
    return BeneficiaryFactory(
        created_by=referent,
        first_name="Awa",
        last_name="Diallo",
        address="4 rue Paradis",
        postal_code="13008",
        city="Marseille",
        nir=NIR,
    )


def _decide(client, file, organisation, **extra):
    return client.post(
        reverse("orientation:decide", kwargs={"pk": file.pk}),
        {"pathway": "emploi", "organisation": organisation.pk, "decided_on": "02/11/2026", **extra},
    )


def _sections_html(user, file):
    request = RequestFactory().get("/")
    request.user = user
    context = file_sections_context(request, file)
    return render_to_string("orientation/_file_orientation.html", context, request=request)


@freeze_time("2026-11-20 10:00")
def test_an_officer_orients_a_file_and_its_status_moves_from_to_orient_to_oriented(client, officer, file, ft_agency):
    assert Beneficiary.objects.get(pk=file.pk).status_code == Status.TO_ORIENT
    client.force_login(officer)
    assert client.get(reverse("orientation:decide", kwargs={"pk": file.pk})).status_code == 200
    response = _decide(client, file, ft_agency, reasoning="Projet professionnel clair")
    assert response.status_code == 302
    assert Beneficiary.objects.get(pk=file.pk).status_code == Status.ORIENTED
    orientation = Orientation.objects.get(beneficiary=file)
    assert (orientation.pathway, orientation.organisation, orientation.decided_by) == ("emploi", ft_agency, officer)
    html = _sections_html(officer, file)
    assert "France Travail Marseille Prado" in html and "Non notifiée" in html


@freeze_time("2026-11-20 10:00")
def test_the_decision_form_preselects_the_pathway_suggested_by_the_latest_diagnostic(client, officer, file, referent):
    DiagnosticFactory(
        beneficiary=file, created_by=referent, held_on=datetime.date(2026, 9, 1), suggested_pathway="emploi"
    )
    latest = DiagnosticFactory(
        beneficiary=file, created_by=referent, held_on=datetime.date(2026, 10, 1), suggested_pathway="remobilisation"
    )
    client.force_login(officer)
    form = client.get(reverse("orientation:decide", kwargs={"pk": file.pk})).context["form"]
    assert form["pathway"].value() == "remobilisation"
    assert form["diagnostic"].value() == latest.pk


@freeze_time("2026-11-20 10:00")
def test_a_decision_cannot_be_dated_in_the_future_nor_lead_by_a_caf(client, officer, file):
    caf = OrganisationFactory(type=OrganisationType.CAF, name="CAF 13")
    client.force_login(officer)
    response = _decide(client, file, caf, decided_on="21/11/2026")
    form = response.context["form"]
    assert "decided_on" in form.errors and "organisation" in form.errors
    assert 'id="id_decided_on_error"' in response.content.decode()
    assert not Orientation.objects.exists()


@freeze_time("2026-11-20 10:00")
def test_a_reorientation_keeps_the_previous_orientation_with_its_closing_reason(
    client, officer, file, ft_agency, departement
):
    client.force_login(officer)
    _decide(client, file, ft_agency, decided_on="01/10/2026")
    # `decide` on an oriented file sends to the reorientation.
    assert "Réorienter le dossier" in client.get(reverse("orientation:decide", kwargs={"pk": file.pk})).content.decode()

    url = reverse("orientation:reorient", kwargs={"pk": file.pk})
    missing_reason = client.post(
        url, {"pathway": "remobilisation", "organisation": departement.pk, "decided_on": "10/11/2026"}
    )
    assert missing_reason.context["form"].errors["reason"] == ["Indiquez le motif de la réorientation."]

    response = client.post(
        url,
        {
            "pathway": "remobilisation",
            "organisation": departement.pk,
            "decided_on": "10/11/2026",
            "reason": "Problèmes de santé apparus",
        },
    )
    assert response.status_code == 302
    previous, current = Orientation.objects.filter(beneficiary=file).order_by("decided_on")
    assert previous.ended_on == datetime.date(2026, 11, 10)
    assert previous.end_reason == OrientationEndReason.REORIENTATION
    assert previous.end_comment == "Problèmes de santé apparus"
    assert current.previous == previous and current.is_current

    html = _sections_html(officer, file)
    assert "Orientations précédentes" in html
    assert "du 01/10/2026 au 10/11/2026" in html
    assert "Close : Réorientation — Problèmes de santé apparus" in html


def test_a_referent_who_sees_the_file_gets_403_on_decisions(client, referent, file):
    client.force_login(referent)
    for name in ("decide", "reorient"):
        assert client.get(reverse(f"orientation:{name}", kwargs={"pk": file.pk})).status_code == 403
        assert client.post(reverse(f"orientation:{name}", kwargs={"pk": file.pk}), {}).status_code == 403
    assert not Orientation.objects.exists()


def test_an_officer_of_another_territory_gets_404(client, file, ft_agency):
    outsider = UserFactory(organisation=ft_agency, roles=[Role.ORIENTATION_OFFICER])
    client.force_login(outsider)
    assert _decide(client, file, ft_agency).status_code == 404
    assert client.get(reverse("orientation:reorient", kwargs={"pk": file.pk})).status_code == 404
    assert not Orientation.objects.exists()


@freeze_time("2026-11-20 10:00")
def test_recording_the_letter_sent_sets_the_notification_date(client, officer, file, ft_agency):
    client.force_login(officer)
    _decide(client, file, ft_agency)
    orientation = Orientation.objects.get()
    url = reverse("orientation:notify", kwargs={"orientation_pk": orientation.pk})
    too_early = client.post(url, {"notification-notified_on": "01/11/2026"})
    assert "La notification ne peut pas précéder la décision." in too_early.content.decode()
    response = client.post(url, {"notification-notified_on": "05/11/2026"})
    assert response.status_code == 302
    orientation.refresh_from_db()
    assert orientation.notified_on == datetime.date(2026, 11, 5) and orientation.notified_by == officer
    assert "Courrier envoyé le 05/11/2026" in _sections_html(officer, file)


def test_a_referent_may_not_record_the_notification(client, referent, file, officer, ft_agency):
    from orientation.services import orientation_decide

    orientation = orientation_decide(
        beneficiary=file, pathway="emploi", organisation=ft_agency, decided_on=timezone.localdate(), by=officer
    )
    client.force_login(referent)
    url = reverse("orientation:notify", kwargs={"orientation_pk": orientation.pk})
    assert client.post(url, {"notification-notified_on": "01/01/2026"}).status_code == 403


# The letter -----------------------------------------------------------------------------------------------
@freeze_time("2026-11-20 10:00")
def test_the_letter_is_a_pdf_with_the_decision_and_never_the_nir(client, officer, file, ft_agency, tmp_path):
    client.force_login(officer)
    _decide(client, file, ft_agency)
    orientation = Orientation.objects.get()
    response = client.get(reverse("orientation:letter", kwargs={"orientation_pk": orientation.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="orientation-{orientation.pk}.pdf"'
    assert response.content.startswith(b"%PDF")
    pdf = tmp_path / "lettre.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Emploi" in flat
    assert "France Travail Marseille Prado" in flat and "12 avenue du Prado" in flat
    assert "Awa DIALLO" in flat and "4 rue Paradis" in flat
    assert "02/11/2026" in flat
    assert "recours administratif préalable" in flat and "tribunal administratif de Marseille" in flat
    assert NIR not in flat and NIR[:13] not in flat
    assert AuditLog.objects.filter(action=Action.DOWNLOAD, object_id=str(orientation.pk)).count() == 1


def test_the_letter_of_a_file_out_of_reach_answers_404(client, other_organisation_user, file, officer, ft_agency):
    from orientation.services import orientation_decide

    orientation = orientation_decide(
        beneficiary=file, pathway="emploi", organisation=ft_agency, decided_on=timezone.localdate(), by=officer
    )
    client.force_login(other_organisation_user)
    assert client.get(reverse("orientation:letter", kwargs={"orientation_pk": orientation.pk})).status_code == 404
