"""The AVIP figures of the COPIL report are queryable: providers, places, AVIP places, families placed in a
period, outcomes per family (a family counts once), emergencies answered within 24 hours."""

import datetime
from zoneinfo import ZoneInfo

from freezegun import freeze_time

from accompaniment import deadline_engine
from accompaniment.enums import MemberRole
from accompaniment.models import HouseholdMember
from childcare import services
from childcare.enums import Outcome, ProviderKind, Purpose, RequestKind
from childcare.figures import copil_figures
from childcare.models import Provider

PARIS = ZoneInfo("Europe/Paris")
Q3 = {"starts_on": datetime.date(2026, 7, 1), "ends_on": datetime.date(2026, 9, 30)}


def _placed(parent, referent, caf_agent, coordinator, provider, *, first_name, kind=RequestKind.PERENNE, on):
    with freeze_time(datetime.datetime.combine(on, datetime.time(9, 0), tzinfo=PARIS)):
        request = services.request_file(
            beneficiary=parent,
            by=referent,
            kind=kind,
            provider_kind=provider.kind,
            purpose=Purpose.EMPLOI,
            starts_on=on,
            hours="De 8 h à 17 h",
            child_first_name=first_name,
            child_birth_date=datetime.date(2025, 1, 10),
        )
        services.eligibility_confirm(request=request, by=caf_agent)
        return services.placement_create(request=request, provider=provider, by=coordinator)


def test_copil_figures_count_providers_places_and_families_once(
    parent, referent, caf_agent, coordinator, creche, home_help, creche_organisation, marseille_sud, aix
):
    expired = Provider.objects.create(
        name="Crèche au label échu",
        kind=ProviderKind.CRECHE,
        organisation=creche_organisation,
        total_places=20,
        avip_places=4,
        label_starts_on=datetime.date(2024, 1, 1),
        label_ends_on=datetime.date(2026, 6, 30),
    )
    expired.sectors.set([marseille_sud])
    HouseholdMember.objects.create(
        household=parent.household,
        role=MemberRole.CHILD,
        first_name="Noah",
        last_name="D",
        birth_date=datetime.date(2025, 1, 10),
    )
    first = _placed(parent, referent, caf_agent, coordinator, creche, first_name="Inès", on=datetime.date(2026, 7, 6))
    second = _placed(parent, referent, caf_agent, coordinator, creche, first_name="Noah", on=datetime.date(2026, 7, 6))
    services.placement_end(
        placement=first, by=coordinator, ended_on=datetime.date(2026, 9, 1), outcome=Outcome.TRAINING
    )
    services.placement_end(
        placement=second, by=coordinator, ended_on=datetime.date(2026, 9, 15), outcome=Outcome.EMPLOYMENT
    )
    _placed(
        parent,
        referent,
        caf_agent,
        coordinator,
        home_help,
        first_name="Inès",
        kind=RequestKind.URGENCE,
        on=datetime.date(2026, 8, 3),
    )
    deadline_engine.run_check(now=datetime.datetime(2026, 10, 5, 6, 0, tzinfo=PARIS))

    figures = copil_figures(**Q3, as_of=datetime.date(2026, 10, 5))
    assert figures["providers"] == 2  # the crèche and the home-help service: the other label ended before the quarter
    assert (figures["places"], figures["avip_places"]) == (45, 7)
    assert figures["families_placed"] == 1  # two children and an emergency: one household
    assert (figures["families_into_employment"], figures["families_into_training"]) == (1, 1)
    assert figures["outcomes_by_family"] == {"emploi": 1, "formation": 0, "recherche": 0, "autre": 0}
    assert figures["emergencies_answered_within_24h"] == {"value": 1.0, "numerator": 1, "denominator": 1}

    before = copil_figures(**Q3, as_of=datetime.date(2026, 7, 1))
    assert before["families_placed"] == 0 and before["emergencies_answered_within_24h"]["value"] is None
    assert copil_figures(**Q3, sector=marseille_sud)["families_placed"] == 1
    elsewhere = copil_figures(**Q3, sector=aix)
    assert (elsewhere["providers"], elsewhere["families_placed"]) == (0, 0)

    # The COPIL report holds the same figures in SPEC §7's shape (unmasked here).
    from reporting import report
    from reporting.periods import parse_quarter

    data = report.build(parse_quarter("2026-Q3"), None, datetime.date(2026, 10, 5), mask_threshold=0)["childcare"]
    assert data["families_placed"] == 1 and data["families_into_employment"] == 1
    assert data["outcomes_by_family"]["emploi"] == 1  # the family counts once, under its best outcome
    assert data["emergencies_answered_within_24h"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    masked = report.build(parse_quarter("2026-Q3"), None, datetime.date(2026, 10, 5), mask_threshold=5)["childcare"]
    assert masked["families_placed"] is None and "families_placed" in masked["masked"]
