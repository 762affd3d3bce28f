"""Conventions and COPIL actions in the report, and a report attached to a COPIL meeting (frozen)."""

import datetime

import pytest
from django.urls import reverse

from accompaniment.enums import ExitReason
from partners.enums import CopilActionStatus, Role
from reporting import report
from reporting.models import ReportKind, StoredReport
from reporting.periods import parse_quarter
from tests.factories import UserFactory
from tests.partners.factories import ConventionFactory, CopilActionFactory, CopilMeetingFactory

from .cohorts import Cohort

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2026, 11, 30)


def test_conventions_and_copil_actions_as_of_the_date():
    ConventionFactory()  # in force until 31/12/2026: expiring within 90 days of 30/11/2026
    ConventionFactory(valid_to=datetime.date(2027, 12, 31))
    ConventionFactory(valid_to=datetime.date(2026, 6, 30))  # expired
    ConventionFactory(signed_on=None)  # a draft
    meeting = CopilMeetingFactory(held_on=datetime.date(2026, 9, 15))
    CopilActionFactory(meeting=meeting, due_on=datetime.date(2026, 10, 1))  # open and late
    CopilActionFactory(meeting=meeting, due_on=datetime.date(2026, 12, 15))  # open
    CopilActionFactory(
        meeting=meeting, status=CopilActionStatus.DONE, closed_on=datetime.date(2026, 10, 20)
    )  # closed before the as-of date
    CopilActionFactory(
        meeting=meeting,
        due_on=datetime.date(2026, 10, 1),
        status=CopilActionStatus.DONE,
        closed_on=datetime.date(2026, 12, 1),
    )  # closed after the as-of date: still open (and late) then
    CopilActionFactory(meeting=CopilMeetingFactory(held_on=datetime.date(2026, 12, 10)))  # later meeting

    data = report.build(parse_quarter("2026-Q3"), None, AS_OF, mask_threshold=0)

    assert data["conventions"]["active"] == 2
    assert data["conventions"]["expiring_within_90_days"] == 1
    assert data["copil_actions"] == {"open": 3, "late": 2}
    # Counts of conventions and actions, not of people: not masked.
    masked = report.build(parse_quarter("2026-Q3"), None, AS_OF, mask_threshold=5)
    assert masked["conventions"]["active"] == 2 and masked["copil_actions"] == {"open": 3, "late": 2}


def test_attaching_a_report_to_a_meeting_freezes_it(client, departement):
    member = UserFactory(organisation=departement, roles=[Role.COPIL])
    meeting = CopilMeetingFactory(held_on=datetime.date(2026, 10, 15), organisations=[departement])
    cohort = Cohort()
    cohort.exits(cohort.files(12), reason=ExitReason.ABANDON, exited_on=datetime.date(2026, 8, 3))
    client.force_login(member)

    page = client.get(reverse("partners:copil_detail", kwargs={"meeting_pk": meeting.pk}))
    assert "Joindre et figer" in page.content.decode()
    response = client.post(
        reverse("reporting:report_freeze"), {"trimestre": "2026-Q3", "arrete": "2026-10-15", "reunion": meeting.pk}
    )
    assert response.status_code == 302
    attached = StoredReport.objects.get(meeting=meeting)
    assert attached.kind == ReportKind.FROZEN and attached.pdf
    assert attached.data["exits"] == 12 and attached.data["as_of"] == "2026-10-15"

    cohort.exits(cohort.files(8), reason=ExitReason.ABANDON, exited_on=datetime.date(2026, 8, 4))
    attached.refresh_from_db()
    assert attached.data["exits"] == 12  # never recomputed
    page = client.get(reverse("partners:copil_detail", kwargs={"meeting_pk": meeting.pk})).content.decode()
    assert reverse("reporting:frozen_download", args=[attached.pk]) in page


def test_a_report_of_a_meeting_one_may_not_see_is_not_found(client, departement, aix):
    from tests.factories import OrganisationFactory

    other = OrganisationFactory(code="AUTRE-ORG")
    meeting = CopilMeetingFactory(organisations=[other])
    frozen = StoredReport.objects.create(
        kind=ReportKind.FROZEN,
        period_start=datetime.date(2026, 7, 1),
        period_end=datetime.date(2026, 9, 30),
        as_of=AS_OF,
        mask_threshold=5,
        data={},
        meeting=meeting,
    )
    manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
    client.force_login(manager)
    assert client.get(reverse("reporting:frozen_download", args=[frozen.pk]), {"format": "json"}).status_code == 404


def test_the_report_holds_the_childcare_section_in_spec_shape():
    data = report.build(parse_quarter("2026-Q3"), None, AS_OF, mask_threshold=0)
    childcare = data["childcare"]
    assert set(childcare) >= {
        "providers",
        "places",
        "avip_places",
        "families_placed",
        "families_into_employment",
        "families_into_training",
        "emergencies_answered_within_24h",
    }
    assert childcare["emergencies_answered_within_24h"] == {"value": None, "numerator": 0, "denominator": 0}


def test_an_organisation_perimeter_counts_the_conventions_it_is_party_to_and_the_actions_it_carries(aix):
    from orientation.enums import Pathway
    from reporting.indicators import Perimeter
    from tests.factories import OrganisationFactory

    agency = OrganisationFactory(code="ORG-A", name="Agence A", france_travail=True)
    association = OrganisationFactory(code="ORG-B", name="Association B")
    ConventionFactory(parties=[agency, association])  # expiring within 90 days of 30/11/2026
    ConventionFactory(parties=[agency], valid_to=datetime.date(2027, 12, 31))
    ConventionFactory(parties=[association], valid_to=datetime.date(2027, 12, 31))
    ConventionFactory(parties=[agency], valid_to=datetime.date(2026, 6, 30))  # expired
    meeting = CopilMeetingFactory(held_on=datetime.date(2026, 9, 15))
    in_aix = CopilMeetingFactory(held_on=datetime.date(2026, 9, 16), sector=aix)
    CopilActionFactory(meeting=meeting, owner_organisation=agency, due_on=datetime.date(2026, 10, 1))  # late
    CopilActionFactory(meeting=in_aix, owner_organisation=agency)
    # Carried by an agent of the agency, with no organisation recorded: the agency's.
    CopilActionFactory(meeting=meeting, owner=UserFactory(organisation=agency))
    CopilActionFactory(meeting=meeting, owner_organisation=association, due_on=datetime.date(2026, 10, 1))
    CopilActionFactory(meeting=in_aix, owner_organisation=association)

    def build(**perimeter):
        return report.build(parse_quarter("2026-Q3"), Perimeter(**perimeter), AS_OF, mask_threshold=0)

    agency_report = build(organisation=agency)
    assert agency_report["conventions"] == {"active": 2, "expiring_within_90_days": 1, "committed_staff": 0}
    assert agency_report["copil_actions"] == {"open": 3, "late": 1}
    assert build(organisation=association)["copil_actions"] == {"open": 2, "late": 1}
    # A sector: its meetings' actions; the conventions are the Département's.
    in_sector = build(sector=aix)
    assert in_sector["copil_actions"] == {"open": 2, "late": 0}
    assert in_sector["conventions"] == {"active": 3, "expiring_within_90_days": 1, "committed_staff": 0}
    assert build(sector=aix, organisation=agency)["copil_actions"] == {"open": 1, "late": 0}
    # A pathway does not apply to partnerships: the Département's figures.
    assert build(pathway=Pathway.EMPLOI)["copil_actions"] == build()["copil_actions"] == {"open": 5, "late": 2}
    assert build(pathway=Pathway.EMPLOI)["conventions"]["active"] == 3


@pytest.mark.parametrize(
    ("perimeter", "childcare", "conventions"),
    [
        ({}, None, None),
        (
            {"sector": "NORD"},
            None,
            "Conventions : à l'échelle du Département (elles lient des organismes, pas un territoire ni un parcours). "
            "Actions du COPIL : celles décidées par les COPIL de la circonscription.",
        ),
        (
            {"organisation": "ORG-A"},
            "Structures de garde et places : à l'échelle du Département",
            "Conventions : celles dont l'organisme référent choisi est partie. "
            "Actions du COPIL : celles portées par l'organisme référent choisi.",
        ),
        (
            {"sector": "NORD", "pathway": "emploi"},
            "Structures de garde et places : à l'échelle de la circonscription",
            "Conventions : à l'échelle du Département (elles lient des organismes, pas un territoire ni un parcours). "
            "Actions du COPIL : celles décidées par les COPIL de la circonscription ; le parcours ne s'y applique pas.",
        ),
        (
            {"pathway": "emploi"},
            "Structures de garde et places : à l'échelle du Département",
            "Conventions : à l'échelle du Département (elles lient des organismes, pas un territoire ni un parcours). "
            "Actions du COPIL : à l'échelle du Département (une action ne relève pas d'un parcours).",
        ),
    ],
)
def test_the_report_says_how_each_partnership_section_follows_the_perimeter(perimeter, childcare, conventions):
    from reporting.sections import scope_notes

    notes = scope_notes({"sector": None, "organisation": None, "pathway": None, **perimeter})
    assert notes.get("conventions") == conventions
    if childcare is None:
        assert "childcare" not in notes
    else:
        assert notes["childcare"].startswith(childcare)
