"""`seed_demo` builds a usable demo of the Bouches-du-Rhône, keeps NIRs encrypted, and never runs twice
by accident nor in production."""

import datetime
import re
from collections import Counter, defaultdict
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import CharField, Count, Max
from django.db.models.functions import Length
from django.utils import timezone

from accompaniment import nir as nir_lib
from accompaniment.enums import (
    ACCOMPANIMENT_INTERVIEW_KINDS,
    POSITIVE_EXIT_REASONS,
    ExitReason,
    InterviewKind,
    InterviewStatus,
    MemberRole,
    RightsState,
    Status,
)
from accompaniment.models import (
    ActivityHours,
    Beneficiary,
    Contract,
    Episode,
    Exit,
    Household,
    HouseholdMember,
    Interview,
    ReferentAssignment,
    RightsStateChange,
)
from audit.models import Action
from audit.services import record
from orientation import demo as orientation_demo
from orientation.enums import BarrierCategoryCode, OrientationEndReason, Pathway
from orientation.models import Diagnostic, DiagnosticBarrier, Orientation
from partners import demo as partners_demo
from partners.enums import PRIMARY_SECTOR_KIND, OrganisationType, Role, SectorKind
from partners.models import Commune, SectorCommune, User

SMALL = 40
DOCS = Path(__file__).resolve().parent.parent / "docs" / "demo-accounts.md"


def seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    return seed(beneficiaries=SMALL)


def demo_user(key):
    return User.objects.get(email=f"{key}@{partners_demo.DEMO_EMAIL_DOMAIN}")


def test_every_role_has_a_demo_account_that_logs_in_with_the_shared_password(seeded):
    for role in Role:
        users = User.objects.with_role(role).filter(email__endswith="@demo.parcours.fr", is_active=True)
        assert users.exists(), role
        assert users.first().check_password(partners_demo.DEMO_PASSWORD)


def test_the_shared_demo_password_passes_the_password_validators(seeded):
    for spec in partners_demo.ACCOUNTS:
        validate_password(partners_demo.DEMO_PASSWORD, demo_user(spec.key))


def test_the_named_accounts_have_the_flags_their_job_needs(seeded):
    assert demo_user("referent").is_social_worker
    assert demo_user("referent").teams.get().name == "Insertion Marseille Sud"
    assert demo_user("manager").managed_teams.get().name == "Insertion Marseille Sud"
    assert not demo_user("conseiller.ft").is_social_worker
    assert demo_user("conseiller.ft").organisation.type == "france_travail"
    assert demo_user("admin").is_staff and demo_user("admin").has_role(Role.ADMIN)
    assert not User.objects.filter(is_staff=True).exclude(email="admin@demo.parcours.fr").exists()


def test_it_creates_the_requested_number_of_files_in_several_sectors_with_some_unassigned(seeded):
    assert Beneficiary.objects.count() == SMALL
    assert Beneficiary.objects.exclude(sector=None).values("sector").distinct().count() >= 3
    unassigned = Beneficiary.objects.unassigned()
    assert unassigned.exists()
    assert not unassigned.exclude(commune=None).exists(), "only files living outside the Département"
    assert "dossiers=40" in seeded


def test_files_are_consistent_with_their_commune_and_household(seeded):
    for beneficiary in Beneficiary.objects.exclude(commune=None).select_related("commune", "household"):
        assert beneficiary.postal_code in beneficiary.commune.postal_codes.split()
        assert beneficiary.caf_number == beneficiary.household.matricule
        assert beneficiary.flux_date >= beneficiary.rights_opened_on
        assert 18 <= (beneficiary.rights_opened_on - beneficiary.birth_date).days // 365 <= 65
    assert HouseholdMember.objects.filter(role="ENF", beneficiary=None).exists()


def test_every_nir_is_stored_encrypted_and_never_printed(seeded):
    rows = list(Beneficiary.objects.exclude(nir_hash="").values_list("nir_encrypted", "nir_hash"))
    rows += list(HouseholdMember.objects.exclude(nir_hash="").values_list("nir_encrypted", "nir_hash"))
    assert len(rows) >= SMALL // 2
    for encrypted, hashed in rows:
        assert not re.search(r"\d{13}", encrypted)
        value = nir_lib.decrypt(encrypted)
        assert nir_lib.validate(value)
        assert nir_lib.stem_hash(value) == hashed
        assert nir_lib.stem(value) not in seeded


def test_each_nir_is_consistent_with_sex_and_birth_date(seeded):
    for beneficiary in Beneficiary.objects.exclude(nir_hash=""):
        value = nir_lib.decrypt(beneficiary.nir_encrypted)
        assert value[0] == ("1" if beneficiary.sex == "M" else "2")
        assert value[1:5] == beneficiary.birth_date.strftime("%y%m")


def test_districts_cover_every_commune_of_the_departement_and_agency_areas_cut_them_differently(seeded):
    communes = Commune.objects.filter(departement="13").exclude(insee_code="13055")
    in_district = SectorCommune.objects.filter(kind=PRIMARY_SECTOR_KIND, commune__in=communes)
    assert in_district.count() == communes.count() == 134
    ft_area_of = dict(
        SectorCommune.objects.filter(kind=SectorKind.FRANCE_TRAVAIL_AREA).values_list("commune_id", "sector_id")
    )
    district_of = dict(in_district.values_list("commune_id", "sector_id"))
    districts_per_area = {}
    for commune_id, area in ft_area_of.items():
        districts_per_area.setdefault(area, set()).add(district_of.get(commune_id))
    assert any(len(districts) > 1 for districts in districts_per_area.values())


def current_referent_files(user):
    return set(ReferentAssignment.objects.filter(agent=user, ended_on=None).values_list("beneficiary_id", flat=True))


def test_demo_accounts_see_what_their_relations_allow(db):
    seed(beneficiaries=300)
    users = {spec.key: demo_user(spec.key) for spec in partners_demo.ACCOUNTS}
    visible = {key: set(Beneficiary.objects.for_user(user).values_list("id", flat=True)) for key, user in users.items()}
    assert len(visible["orientation"]) == 300
    assert current_referent_files(users["referent"]) <= visible["referent"]
    assert 0 < len(visible["referent"]) < 300
    team = users["manager"].managed_teams.get().members.all()
    followed = set(
        ReferentAssignment.objects.filter(agent__in=team, ended_on=None).values_list("beneficiary_id", flat=True)
    )
    assert followed <= visible["manager"], "a manager sees the files her team follows"
    assert current_referent_files(users["conseiller.ft"]) <= visible["conseiller.ft"] & visible["manager.ft"]
    assert 0 < len(visible["orientation.ft"]) < 300
    caf_recorded = set(Interview.objects.filter(created_by=users["caf"]).values_list("beneficiary_id", flat=True))
    assert caf_recorded and caf_recorded <= visible["caf"]
    for key in ("copil", "dpo", "admin", "operateur", "creche", "coordination.avip"):
        assert not visible[key], key


def test_the_named_referents_follow_a_few_dozen_files_across_statuses_at_the_default_size(db):
    output = seed(beneficiaries=300)
    for key in ("referent", "conseiller.ft"):
        user = demo_user(key)
        files = Beneficiary.objects.filter(pk__in=current_referent_files(user))
        statuses = set(files.values_list("status_code", flat=True))
        assert 24 <= files.count() <= 48, key
        assert {Status.ORIENTED, Status.IN_ACCOMPANIMENT} <= statuses, key
        assert not ReferentAssignment.objects.filter(agent=user).exclude(organisation=user.organisation).exists()
        assert f"{user.email}" in output and "référent" in output


# The journeys (orientation.demo) -----------------------------------------------------------------------
JOURNEYS = 200


@pytest.fixture
def journeys(db):
    return seed(beneficiaries=JOURNEYS)


def by_file(rows):
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.beneficiary_id].append(row)
    return grouped


def current_on(orientations, day):
    """The orientation of a file that was current on `day`."""
    return [o for o in orientations if o.decided_on <= day and (o.ended_on is None or o.ended_on >= day)]


def test_a_file_has_at_most_one_current_orientation_referent_and_episode(journeys):
    for model in (Orientation, ReferentAssignment, Episode):
        current = model.objects.filter(ended_on=None).values("beneficiary").annotate(n=Count("id"))
        assert current.exists() and not current.filter(n__gt=1).exists(), model


def test_every_seeded_journey_value_fits_its_field(journeys):
    """The journey rows are written without model instances: SQLite would keep a value PostgreSQL refuses."""
    for model in orientation_demo.JOURNEY_MODELS:
        for field in model._meta.concrete_fields:
            if field.choices:
                values = set(model.objects.values_list(field.attname, flat=True).distinct())
                allowed = {value for value, _ in field.flatchoices}
                assert values <= allowed | ({""} if field.blank else set()), (model, field.name, values - allowed)
            if isinstance(field, CharField) and model.objects.exists():
                longest = model.objects.aggregate(longest=Max(Length(field.attname)))["longest"] or 0
                assert longest <= field.max_length, (model, field.name)


def test_orientations_are_led_by_the_right_organisation_and_notified_after_the_decision(journeys):
    orientations = Orientation.objects.select_related("organisation")
    for orientation in orientations:
        lead = orientation.organisation.type
        if orientation.pathway == Pathway.EMPLOI:
            assert lead == OrganisationType.FRANCE_TRAVAIL
        else:
            assert lead in (OrganisationType.DEPARTEMENT, OrganisationType.CCAS)
        assert orientation.notified_on is None or orientation.notified_on >= orientation.decided_on
        assert (orientation.ended_on is None) == (orientation.end_reason == "")
    assert orientations.filter(notified_on=None, ended_on=None).exists(), "some decisions are not notified yet"
    reoriented = orientations.filter(end_reason=OrientationEndReason.REORIENTATION)
    assert reoriented.exists()
    for orientation in reoriented.select_related("next"):
        assert orientation.end_comment and orientation.next.decided_on == orientation.ended_on


def test_referents_belong_to_the_lead_organisation_and_are_named_after_the_decision(journeys):
    orientations = by_file(Orientation.objects.all())
    for assignment in ReferentAssignment.objects.select_related("agent"):
        assert assignment.agent.organisation_id == assignment.organisation_id
        assert assignment.agent.has_role(Role.REFERENT)
        leading = current_on(orientations[assignment.beneficiary_id], assignment.designated_on)
        assert any(o.organisation_id == assignment.organisation_id for o in leading), assignment
    assert ReferentAssignment.objects.exclude(end_reason="").exists()
    oriented_without_referent = Orientation.objects.filter(ended_on=None).exclude(
        beneficiary__in=ReferentAssignment.objects.filter(ended_on=None).values("beneficiary")
    )
    assert oriented_without_referent.exists(), "some files still wait for their referent"


def test_episodes_open_with_the_first_held_accompaniment_interview_after_the_orientation(journeys):
    orientations = by_file(Orientation.objects.all())
    episodes = by_file(Episode.objects.select_related("opening_interview"))
    assert episodes
    for file_id, file_episodes in episodes.items():
        for episode in file_episodes:
            opening = episode.opening_interview
            assert opening.beneficiary_id == file_id and opening.status == InterviewStatus.HELD
            assert opening.kind in ACCOMPANIMENT_INTERVIEW_KINDS and opening.held_on == episode.started_on
            assert current_on(orientations[file_id], episode.started_on)
    held = Interview.objects.held().accompaniment_kinds()
    for interview in held:
        during = [
            e
            for e in episodes[interview.beneficiary_id]
            if e.started_on <= interview.held_on and (e.ended_on is None or interview.held_on <= e.ended_on)
        ]
        assert len(during) == 1, "a held accompaniment interview outside an episode would have opened one"
        assert during[0].started_on <= interview.held_on


def test_contracts_are_signed_during_an_orientation_with_hours_that_follow_the_rules(journeys):
    orientations = by_file(Orientation.objects.all())
    contracts = Contract.objects.prefetch_related("hours_steps", "activities__hours_done")
    assert contracts.filter(weekly_hours=15).count() > contracts.count() / 2
    assert contracts.filter(hours_steps__isnull=False).exists()
    assert contracts.exclude(hours_reduction_reason="").exists()
    for contract in contracts:
        assert current_on(orientations[contract.beneficiary_id], contract.signed_on)
        assert contract.weekly_hours >= 15 or contract.hours_reduction_reason
        steps = [step.weekly_hours for step in contract.hours_steps.all()]
        assert steps == sorted(steps) and all(contract.weekly_hours <= hours <= 20 for hours in steps)
        assert 1 <= len(contract.activities.all()) <= 4
        for activity in contract.activities.all():
            assert contract.signed_on <= activity.starts_on <= activity.ends_on
            for week in activity.hours_done.all():
                assert week.week_of.weekday() == 0 and week.week_of <= timezone.localdate()
    assert ActivityHours.objects.exists()


def test_an_accompaniment_that_outlives_its_contract_has_it_renewed(journeys):
    renewed = 0
    for episode in Episode.objects.filter(ended_on=None):
        ends = list(
            Contract.objects.filter(beneficiary=episode.beneficiary_id, signed_on__gte=episode.started_on).values_list(
                "ends_on", flat=True
            )
        )
        if ends:
            renewed += len(ends) > 1
            latest = Interview.objects.held().accompaniment_kinds().filter(beneficiary=episode.beneficiary_id)
            assert latest.aggregate(day=Max("held_on"))["day"] <= max(ends), episode.beneficiary_id
    assert renewed


def test_family_barriers_about_children_only_in_households_with_children(journeys):
    about_children = DiagnosticBarrier.objects.filter(
        situations__code__in=("fam_child_under_3", "fam_childcare", "fam_disabled_child")
    ).select_related("diagnostic")
    assert about_children.exists()
    for barrier in about_children:
        children = HouseholdMember.objects.filter(
            household__beneficiaries=barrier.diagnostic.beneficiary_id, role=MemberRole.CHILD
        )
        assert children.exists()
        if barrier.situations.filter(code="fam_child_under_3").exists():
            three_years_before = barrier.diagnostic.held_on - datetime.timedelta(days=3 * 365)
            assert children.filter(birth_date__gt=three_years_before).exists()


def test_exits_close_the_episode_and_the_orientation_and_positive_ones_follow_an_accompaniment(journeys):
    exits = Exit.objects.select_related("episode")
    reasons = set(exits.values_list("reason", flat=True))
    assert {ExitReason.EMPLOI_DURABLE, ExitReason.FORMATION, ExitReason.ABANDON} <= reasons
    orientations = by_file(Orientation.objects.all())
    for exit_ in exits:
        if exit_.reason in POSITIVE_EXIT_REASONS:
            assert exit_.episode is not None
        if exit_.episode is not None:
            assert exit_.episode.ended_on == exit_.exited_on >= exit_.episode.started_on
        closed = [o for o in orientations[exit_.beneficiary_id] if o.end_reason == OrientationEndReason.EXIT]
        assert any(o.ended_on == max(exit_.exited_on, o.decided_on) for o in closed)
        later = [o for o in orientations[exit_.beneficiary_id] if o.ended_on is None]
        assert all(o.decided_on > exit_.exited_on for o in later), "only a re-entry reopens the journey"
    closing = dict(
        RightsStateChange.objects.filter(state=RightsState.CLOSED).values_list("household__beneficiaries", "closed_on")
    )
    end_of_rights = exits.filter(reason=ExitReason.FIN_DROITS)
    assert end_of_rights.exists()
    for exit_ in end_of_rights:
        assert exit_.exited_on == closing[exit_.beneficiary_id], "the journey ends when the right closes"


def test_nothing_happened_in_the_future_and_the_last_contact_is_the_latest_held_interview(journeys):
    today, now = timezone.localdate(), timezone.now()
    assert not Interview.objects.exclude(status=InterviewStatus.PLANNED).filter(scheduled_for__gt=now).exists()
    assert not Interview.objects.filter(held_on__gt=today).exists()
    assert Interview.objects.filter(status=InterviewStatus.PLANNED, scheduled_for__gt=now).exists()
    for model, field in (
        (Orientation, "decided_on"),
        (Orientation, "notified_on"),
        (Orientation, "ended_on"),
        (ReferentAssignment, "designated_on"),
        (Diagnostic, "held_on"),
        (Episode, "started_on"),
        (Episode, "ended_on"),
        (Contract, "signed_on"),
        (Exit, "exited_on"),
    ):
        assert not model.objects.filter(**{f"{field}__gt": today}).exists(), (model, field)
    latest = dict(Interview.objects.held().values_list("beneficiary").annotate(latest=Max("held_on")))
    assert latest
    for file_id, last_contact_on in Beneficiary.objects.values_list("id", "last_contact_on"):
        assert last_contact_on == latest.get(file_id), file_id


def test_the_demo_has_every_status_every_pathway_and_files_late_for_orientation(journeys):
    statuses = set(Beneficiary.objects.values_list("status_code", flat=True))
    assert statuses == set(Status.values)
    pathways = Counter(Orientation.objects.values_list("pathway", flat=True))
    assert set(pathways) == set(Pathway.values) and pathways.most_common(1)[0][0] == Pathway.EMPLOI
    six_weeks_ago = timezone.localdate() - datetime.timedelta(days=42)
    assert Beneficiary.objects.awaiting_orientation().filter(flux_date__lt=six_weeks_ago).exists()
    assert Interview.objects.filter(kind=InterviewKind.CAF_RIGHTS).exclude(complementary_rights=[]).exists()
    assert 8 <= Interview.objects.count() / JOURNEYS <= 12, "about ten interviews a file"
    for diagnostic in Diagnostic.objects.filter(tripartite=True).prefetch_related("participants__organisation"):
        types = {user.organisation.type for user in diagnostic.participants.all()}
        assert types == {OrganisationType.FRANCE_TRAVAIL, OrganisationType.DEPARTEMENT}
        assert diagnostic.barriers.count() == len(BarrierCategoryCode.values)
    assert "entretiens=" in journeys and "« En accompagnement »=" in journeys


def test_reset_removes_the_journeys_before_the_files_and_a_new_seed_follows(journeys):
    assert orientation_demo.exists()
    seed(beneficiaries=50, reset=True)
    assert Beneficiary.objects.count() == 50
    assert (
        Interview.objects.exists() and not Interview.objects.exclude(beneficiary__in=Beneficiary.objects.all()).exists()
    )
    orientation_demo.reset(None)
    assert not orientation_demo.exists()
    assert not Episode.objects.exists() and not Contract.objects.exists() and not ActivityHours.objects.exists()


def journey_snapshot():
    rank = {pk: index for index, pk in enumerate(Beneficiary.objects.order_by("id").values_list("id", flat=True))}
    interviews = sorted(
        (rank[file_id], kind, scheduled_for, status)
        for file_id, kind, scheduled_for, status in Interview.objects.values_list(
            "beneficiary", "kind", "scheduled_for", "status"
        )
    )
    orientations = sorted(
        (rank[file_id], pathway, code, decided_on)
        for file_id, pathway, code, decided_on in Orientation.objects.values_list(
            "beneficiary", "pathway", "organisation__code", "decided_on"
        )
    )
    referents = sorted(
        (rank[file_id], email, designated_on)
        for file_id, email, designated_on in ReferentAssignment.objects.values_list(
            "beneficiary", "agent__email", "designated_on"
        )
    )
    return interviews, orientations, referents


def test_the_same_seed_gives_the_same_journeys(db):
    seed(beneficiaries=80)
    first = journey_snapshot()
    seed(beneficiaries=80, reset=True)
    assert journey_snapshot() == first


def test_it_refuses_to_run_with_production_settings(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        seed(beneficiaries=SMALL)
    assert not User.objects.exists()
    assert not Beneficiary.objects.exists()


def test_a_second_run_is_refused_without_reset(seeded):
    with pytest.raises(CommandError, match="--reset"):
        seed(beneficiaries=SMALL)
    assert Beneficiary.objects.count() == SMALL


def test_reset_replaces_the_demo_data_and_keeps_accounts_named_in_the_audit_log(seeded):
    referent = demo_user("referent")
    record(Action.LOGIN, user=referent)  # the audit log is append-only: this user cannot be deleted
    colleague_ids = set(User.objects.filter(email__startswith="referent.mrs-nord").values_list("id", flat=True))

    seed(beneficiaries=25, reset=True)

    assert Beneficiary.objects.count() == 25
    assert Household.objects.count() == Household.objects.filter(beneficiaries__isnull=False).distinct().count()
    assert demo_user("referent").pk == referent.pk
    assert demo_user("referent").is_active
    assert not colleague_ids & set(User.objects.values_list("id", flat=True)), "unaudited accounts are recreated"
    assert User.objects.filter(email__startswith="referent.mrs-nord").exists()


def test_the_same_seed_gives_the_same_people(db):
    seed(beneficiaries=SMALL)
    first = list(Beneficiary.objects.order_by("id").values_list("last_name", "first_name", "birth_date"))
    seed(beneficiaries=SMALL, reset=True)
    second = list(Beneficiary.objects.order_by("id").values_list("last_name", "first_name", "birth_date"))
    assert first == second


def test_the_demo_accounts_document_lists_every_named_account():
    assert partners_demo.accounts_markdown() in DOCS.read_text(encoding="utf-8")
    assert partners_demo.DEMO_PASSWORD in DOCS.read_text(encoding="utf-8")
