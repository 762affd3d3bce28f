import datetime

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from freezegun import freeze_time

from audit.models import Action, AuditLog
from orientation.enums import BarrierCategoryCode, BarrierLevel
from orientation.forms import DiagnosticForm
from orientation.models import BarrierSituation, Diagnostic
from orientation.views import MASKED_DETAILS, file_sections_context
from partners.enums import Role
from tests.factories import BeneficiaryFactory, UserFactory

from .conftest import give_access
from .factories import DiagnosticFactory

HEALTH_SECRET = "Suivi psychiatrique depuis 2024"
FAMILY_SECRET = "Violences conjugales signalées"
HOUSING_NOTE = "Hébergée chez sa sœur"
HEALTH_SITUATION = "Conduites addictives"
FAMILY_SITUATION = "Enfant en situation de handicap"
HOUSING_SITUATION = "Hébergé chez un tiers"


def _diagnostic_data(**overrides):
    data = {
        "held_on": "02/11/2026",
        "place": "Maison du Département",
        "beneficiary_present": "on",
        "employment_situation": "no_work_over_2_years",
        "qualification_level": "3",
        "targeted_occupations": "Aide-soignante",
        "aspirations": "Travailler près de chez elle",
        "suggested_pathway": "social_pro",
    }
    for code in BarrierCategoryCode.values:
        data[f"{code}_level"] = BarrierLevel.NOT_ADDRESSED
    data.update(overrides)
    return data


@pytest.fixture
def file(referent):
    return BeneficiaryFactory(created_by=referent, first_name="Awa", last_name="Diallo")


@pytest.fixture
def sensitive_diagnostic(file, referent):
    return DiagnosticFactory(
        beneficiary=file,
        created_by=referent,
        barriers={
            "levels": {"health": BarrierLevel.STRONG, "family": BarrierLevel.MEDIUM, "housing": BarrierLevel.STRONG},
            "comments": {"health": HEALTH_SECRET, "family": FAMILY_SECRET, "housing": HOUSING_NOTE},
            "situations": {"health": ["hea_addiction"], "family": ["fam_disabled_child"], "housing": ["hou_hosted"]},
        },
    )


# Form validation ------------------------------------------------------------------------------------------
@freeze_time("2026-11-20 10:00")
def test_a_diagnostic_cannot_be_dated_in_the_future(db):
    form = DiagnosticForm(_diagnostic_data(held_on="21/11/2026"))
    assert not form.is_valid()
    assert form.errors["held_on"] == ["La date du diagnostic ne peut pas être dans le futur."]


@freeze_time("2026-11-20 10:00")
def test_a_tripartite_diagnostic_needs_a_france_travail_and_a_departement_participant(
    referent, ft_counsellor, social_worker
):
    alone = DiagnosticForm(_diagnostic_data(tripartite="on", participants=[referent.pk]))
    assert not alone.is_valid()
    assert "un agent de France Travail" in alone.errors["participants"][0]
    assert "un agent du Département" not in alone.errors["participants"][0]

    without_departement = DiagnosticForm(_diagnostic_data(tripartite="on", participants=[ft_counsellor.pk]))
    assert not without_departement.is_valid()
    assert "un agent du Département" in without_departement.errors["participants"][0]

    complete = DiagnosticForm(_diagnostic_data(tripartite="on", participants=[ft_counsellor.pk, social_worker.pk]))
    assert complete.is_valid(), complete.errors


@freeze_time("2026-11-20 10:00")
def test_a_tripartite_diagnostic_is_held_with_the_person(referent, ft_counsellor):
    form = DiagnosticForm(
        _diagnostic_data(tripartite="on", beneficiary_present="", participants=[referent.pk, ft_counsellor.pk])
    )
    assert not form.is_valid()
    assert form.errors["beneficiary_present"] == ["Un diagnostic tripartite se tient en présence de la personne."]


@freeze_time("2026-11-20 10:00")
def test_situations_ticked_under_a_barrier_need_a_strong_or_medium_level(db):
    situation = BarrierSituation.objects.filter(category="mobility", active=True).first()
    form = DiagnosticForm(_diagnostic_data(mobility_level="none", mobility_situations=[situation.pk]))
    assert not form.is_valid()
    assert "indiquez un frein fort ou moyen" in form.errors["mobility_level"][0]


def test_participants_are_grouped_by_organisation(referent, ft_counsellor, stranger):
    html = DiagnosticForm()["participants"].as_widget()
    assert '<optgroup label="France Travail Marseille Prado">' in html
    assert '<optgroup label="Département des Bouches-du-Rhône">' in html
    assert stranger.last_name not in html  # no nominative role: not a participant


# Recording ------------------------------------------------------------------------------------------------
@freeze_time("2026-11-20 10:00")
def test_a_referent_records_a_tripartite_diagnostic_with_barriers(client, referent, file, ft_counsellor):
    situation = BarrierSituation.objects.filter(category="mobility", active=True).first()
    client.force_login(referent)
    url = reverse("orientation:diagnostic_create", kwargs={"pk": file.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _diagnostic_data(
            tripartite="on",
            participants=[referent.pk, ft_counsellor.pk],
            mobility_level="strong",
            mobility_situations=[situation.pk],
            mobility_comment="Pas de voiture",
            health_level="medium",
            health_comment=HEALTH_SECRET,
        ),
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/dossiers/{file.pk}/#diagnostics")
    diagnostic = Diagnostic.objects.get(beneficiary=file)
    assert diagnostic.tripartite and diagnostic.held_on == datetime.date(2026, 11, 2)
    assert set(diagnostic.participants.all()) == {referent, ft_counsellor}
    barriers = {b.category: b for b in diagnostic.barriers.all()}
    assert len(barriers) == 8
    assert barriers["mobility"].level == "strong" and list(barriers["mobility"].situations.all()) == [situation]
    assert barriers["health"].comment == HEALTH_SECRET
    assert barriers["digital"].level == "not_addressed"


@freeze_time("2026-11-20 10:00")
def test_the_diagnostic_form_shows_errors_next_to_their_field(client, referent, file):
    client.force_login(referent)
    response = client.post(
        reverse("orientation:diagnostic_create", kwargs={"pk": file.pk}), _diagnostic_data(held_on="32/13/2026")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-describedby="id_held_on_helptext id_held_on_error"' in page
    assert 'id="id_held_on_error"' in page
    assert not Diagnostic.objects.exists()


def test_the_diagnostic_form_says_health_and_family_comments_are_confidential(client, referent, file):
    client.force_login(referent)
    page = client.get(reverse("orientation:diagnostic_create", kwargs={"pk": file.pk})).content.decode()
    assert page.count("seuls les travailleurs sociaux le liront") == 2


def test_a_caf_agent_who_sees_the_file_may_not_record_a_diagnostic(client, referent, file, departement):
    caf_agent = UserFactory(roles=[Role.CAF_AGENT])
    give_access(file, caf_agent, referent)
    client.force_login(caf_agent)
    assert client.get(reverse("orientation:diagnostic_create", kwargs={"pk": file.pk})).status_code == 403


def test_a_file_out_of_reach_answers_404_for_diagnostics(client, other_organisation_user, sensitive_diagnostic):
    client.force_login(other_organisation_user)
    create = reverse("orientation:diagnostic_create", kwargs={"pk": sensitive_diagnostic.beneficiary_id})
    detail = reverse("orientation:diagnostic_detail", kwargs={"diagnostic_pk": sensitive_diagnostic.pk})
    assert client.get(create).status_code == 404
    assert client.get(detail).status_code == 404


# Sensitive comments -----------------------------------------------------------------------------------------
def _every_rendering(client, user, diagnostic):
    """The diagnostic page, its htmx fragment, and the file page's partials, as `user` sees them."""
    client.force_login(user)
    url = reverse("orientation:diagnostic_detail", kwargs={"diagnostic_pk": diagnostic.pk})
    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.content.decode() and "<html" not in fragment.content.decode()
    request = RequestFactory().get("/")
    request.user = user
    context = file_sections_context(request, diagnostic.beneficiary)
    partials = "".join(
        render_to_string(f"orientation/_file_{name}.html", context, request=request)
        for name in ("diagnostics", "orientation")
    )
    file_page = client.get(reverse("accompaniment:detail", kwargs={"pk": diagnostic.beneficiary_id}))
    return {
        "page": page.content.decode(),
        "fragment": fragment.content.decode(),
        "partials": partials,
        "file page": file_page.content.decode(),
    }


def test_a_france_travail_counsellor_never_reads_health_or_family_comments_nor_situations(
    client, referent, ft_counsellor, sensitive_diagnostic
):
    give_access(sensitive_diagnostic.beneficiary, ft_counsellor, referent)
    renderings = _every_rendering(client, ft_counsellor, sensitive_diagnostic)
    for where, html in renderings.items():
        for secret in (HEALTH_SECRET, FAMILY_SECRET, HEALTH_SITUATION, FAMILY_SITUATION):
            assert secret not in html, where
    for where in ("page", "fragment", "partials"):
        assert renderings[where].count(MASKED_DETAILS) == 2, where  # they know that details exist
        assert HOUSING_NOTE in renderings[where], where  # not sensitive: readable
        assert HOUSING_SITUATION in renderings[where], where


def test_a_social_worker_reads_health_and_family_comments(client, social_worker, sensitive_diagnostic, referent):
    give_access(sensitive_diagnostic.beneficiary, social_worker, referent)
    renderings = _every_rendering(client, social_worker, sensitive_diagnostic)
    for where in ("page", "fragment", "partials"):
        for secret in (HEALTH_SECRET, FAMILY_SECRET, HEALTH_SITUATION, FAMILY_SITUATION):
            assert secret in renderings[where], where
        assert MASKED_DETAILS not in renderings[where], where


def test_the_timeline_never_carries_barrier_comments(client, referent, sensitive_diagnostic):
    from accompaniment.timeline import events_for

    text = repr(events_for(sensitive_diagnostic.beneficiary))
    assert "Diagnostic socio-professionnel" in text
    assert "Freins forts : 2, freins moyens : 1" in text
    assert HEALTH_SECRET not in text and FAMILY_SECRET not in text and HOUSING_NOTE not in text


def test_barriers_are_shown_strongest_first(client, referent, sensitive_diagnostic):
    client.force_login(referent)
    page = client.get(
        reverse("orientation:diagnostic_detail", kwargs={"diagnostic_pk": sensitive_diagnostic.pk})
    ).content.decode()
    positions = [page.index(label) for label in ("Santé", "Logement", "Contraintes familiales", "Mobilité")]
    assert positions == sorted(positions)


def test_reading_a_diagnostic_is_audited(client, referent, sensitive_diagnostic):
    client.force_login(referent)
    client.get(reverse("orientation:diagnostic_detail", kwargs={"diagnostic_pk": sensitive_diagnostic.pk}))
    entry = AuditLog.objects.filter(action=Action.READ, object_type="orientation.diagnostic").get()
    assert entry.object_id == str(sensitive_diagnostic.pk) and entry.user == referent


def test_the_file_sections_run_a_constant_number_of_queries(referent, file, django_assert_num_queries):
    from tests.orientation.factories import OrientationFactory

    request = RequestFactory().get("/")
    request.user = referent
    referent.role_codes  # noqa: B018  (cached once per request)

    def count(n):
        for day in range(n):
            DiagnosticFactory(beneficiary=file, created_by=referent, held_on=datetime.date(2026, 1, 1 + day))
            OrientationFactory(
                beneficiary=file,
                decided_by=referent,
                decided_on=datetime.date(2026, 1, 1 + day),
                ended_on=datetime.date(2026, 1, 2 + day),
                end_reason="reorientation",
            )
        with django_assert_num_queries(5):
            render_to_string("orientation/_file_diagnostics.html", file_sections_context(request, file))

    count(1)
    count(10)
