"""Hand-built cohorts for the indicator tests: rows written in bulk, with exactly known figures."""

import datetime
from decimal import Decimal

from django.utils import timezone

from accompaniment.enums import ActivityKind, ActivityStatus, ContractKind, InterviewKind, InterviewStatus
from accompaniment.models import (
    Activity,
    ActivityHours,
    ActivityStatusChange,
    Beneficiary,
    Contract,
    Deadline,
    DeadlineRule,
    Episode,
    Exit,
    Interview,
    ReferentAssignment,
)
from childcare.enums import ProviderKind, Purpose, RequestKind, RequestStatus
from childcare.models import ChildcareRequest, Placement, Provider
from orientation.enums import OrientationEndReason, Pathway
from orientation.models import Orientation
from partners.enums import OrganisationType
from tests.factories import OrganisationFactory, UserFactory


def provider(name, sector, *, kind=ProviderKind.CRECHE, places, avip):
    """A childcare provider serving `sector`, labelled AVIP from 2025 to 2027 (a home-help service has no label)."""
    organisation = OrganisationFactory(type=OrganisationType.CHILDCARE_PROVIDER, name=name)
    created = Provider.objects.create(
        name=name,
        kind=kind,
        organisation=organisation,
        total_places=places,
        avip_places=avip,
        max_age_months=35 if kind == ProviderKind.CRECHE else 119,
        label_starts_on=None if kind == ProviderKind.HOME_HELP else datetime.date(2025, 1, 1),
        label_ends_on=None if kind == ProviderKind.HOME_HELP else datetime.date(2027, 12, 31),
    )
    created.sectors.set([sector])
    return created


class Cohort:
    def __init__(self, *, sector=None):
        self.author = UserFactory()
        self.sector = sector
        self.count = 0

    def files(self, number, *, rights_opened_on=datetime.date(2026, 7, 10), sector=None, rights_and_duties=True):
        start = self.count
        self.count += number
        return Beneficiary.objects.bulk_create(
            Beneficiary(
                first_name="Camille",
                last_name=f"Cohorte{start + index}",
                birth_date=datetime.date(1985, 1, 1),
                caf_number=f"{5000000 + start + index}",
                rights_opened_on=rights_opened_on,
                flux_date=rights_opened_on,
                rights_and_duties=rights_and_duties,
                sector=sector or self.sector,
                created_by=self.author,
            )
            for index in range(number)
        )

    def interviews(
        self, files, *, kind=InterviewKind.ACCOMPANIMENT, held_on, complementary_rights=(), status=InterviewStatus.HELD
    ):
        return Interview.objects.bulk_create(
            Interview(
                beneficiary=file,
                kind=kind,
                scheduled_for=timezone.make_aware(datetime.datetime.combine(held_on, datetime.time(9))),
                held_on=held_on if status == InterviewStatus.HELD else None,
                status=status,
                complementary_rights=list(complementary_rights),
                created_by=self.author,
            )
            for file in files
        )

    def episodes(self, files, *, started_on, ended_on=None):
        interviews = self.interviews(files, held_on=started_on)
        return Episode.objects.bulk_create(
            Episode(beneficiary=file, started_on=started_on, opening_interview=interview, ended_on=ended_on)
            for file, interview in zip(files, interviews, strict=True)
        )

    def exits(self, files, *, reason, exited_on, started_on=datetime.date(2026, 1, 15)):
        episodes = self.episodes(files, started_on=started_on, ended_on=exited_on)
        return Exit.objects.bulk_create(
            Exit(beneficiary=file, episode=episode, exited_on=exited_on, reason=reason, created_by=self.author)
            for file, episode in zip(files, episodes, strict=True)
        )

    def contracts(self, files, *, signed_on, weekly_hours=15, reduction=""):
        return Contract.objects.bulk_create(
            Contract(
                beneficiary=file,
                kind=ContractKind.CE,
                signed_on=signed_on,
                starts_on=signed_on,
                ends_on=signed_on + datetime.timedelta(days=180),
                weekly_hours=Decimal(weekly_hours),
                hours_reduction_reason=reduction,
                created_by=self.author,
            )
            for file in files
        )

    def deadlines(self, files, *, rule_code, starts_on, due_on, met_on=None, cancelled_on=None):
        rule = DeadlineRule.objects.filter(code=rule_code).order_by("-effective_from").first()

        def at(day, hour=12):
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))) if day else None

        return Deadline.objects.bulk_create(
            Deadline(
                rule=rule,
                rule_code=rule_code,
                subject_type="accompaniment.beneficiary",
                subject_id=file.pk,
                beneficiary=file,
                starts_at=at(starts_on),
                warns_at=at(due_on),
                due_at=at(due_on, 23),
                met_at=at(met_on),
                cancelled_at=at(cancelled_on),
                created_at=timezone.now(),
            )
            for file in files
        )

    def orientations(self, files, *, decided_on, pathway=Pathway.EMPLOI, organisation=None, ended_on=None):
        """One orientation per file (closed by a reorientation on `ended_on` when given)."""
        if organisation is None:
            organisation = self.__dict__.setdefault("lead", OrganisationFactory(france_travail=True))
        return Orientation.objects.bulk_create(
            Orientation(
                beneficiary=file,
                pathway=pathway,
                organisation=organisation,
                decided_on=decided_on,
                decided_by=self.author,
                ended_on=ended_on,
                end_reason=OrientationEndReason.REORIENTATION if ended_on else "",
            )
            for file in files
        )

    def referents(self, files, *, agent, designated_on, ended_on=None):
        return ReferentAssignment.objects.bulk_create(
            ReferentAssignment(
                beneficiary=file,
                agent=agent,
                organisation=agent.organisation,
                designated_on=designated_on,
                designated_by=self.author,
                ended_on=ended_on,
            )
            for file in files
        )

    def activities(self, contracts, *, starts_on, ends_on, weekly_planned_hours, closed=None):
        """One activity per contract; `closed` = (status, day) records it done or abandoned that day."""
        activities = Activity.objects.bulk_create(
            Activity(
                contract=contract,
                kind=ActivityKind.TRAINING,
                title="Formation",
                starts_on=starts_on,
                ends_on=ends_on,
                weekly_planned_hours=Decimal(weekly_planned_hours),
                status=closed[0] if closed else ActivityStatus.IN_PROGRESS,
                created_by=self.author,
            )
            for contract in contracts
        )
        if closed:
            ActivityStatusChange.objects.bulk_create(
                ActivityStatusChange(activity=activity, status=closed[0], changed_on=closed[1], changed_by=self.author)
                for activity in activities
            )
        return activities

    def hours_done(self, activities, *, week_of, hours):
        return ActivityHours.objects.bulk_create(
            ActivityHours(activity=activity, week_of=week_of, hours=Decimal(hours), recorded_by=self.author)
            for activity in activities
        )

    def placements(self, files, *, provider, starts_on, ended_on=None, outcome="", kind=None, sector=None):
        """A childcare request and a placement per file (several per file: call again, one per child)."""
        requests = ChildcareRequest.objects.bulk_create(
            ChildcareRequest(
                beneficiary=file,
                child_first_name="Enfant",
                child_birth_date=datetime.date(2025, 1, 10),
                kind=kind or RequestKind.PERENNE,
                provider_kind=provider.kind,
                purpose=Purpose.EMPLOI,
                starts_on=starts_on,
                ends_on=starts_on + datetime.timedelta(days=180),
                hours="De 8 h à 17 h",
                sector=sector or file.sector,
                status=RequestStatus.PLACED,
                requested_by=self.author,
                created_at=timezone.make_aware(datetime.datetime.combine(starts_on, datetime.time(9))),
            )
            for file in files
        )
        Placement.objects.bulk_create(
            Placement(
                request=request,
                provider=provider,
                starts_on=starts_on,
                ends_on=starts_on + datetime.timedelta(days=180),
                ended_on=ended_on,
                outcome=outcome,
                created_by=self.author,
                created_at=timezone.make_aware(datetime.datetime.combine(starts_on, datetime.time(10))),
            )
            for request in requests
        )
        return requests

    def emergency_deadlines(self, requests, *, starts_on, met_after_hours=None):
        """`childcare_24h` deadlines of emergency requests, met after so many hours (None: unmet)."""
        rule = DeadlineRule.objects.filter(code="childcare_24h").order_by("-effective_from").first()
        start = timezone.make_aware(datetime.datetime.combine(starts_on, datetime.time(9)))
        return Deadline.objects.bulk_create(
            Deadline(
                rule=rule,
                rule_code="childcare_24h",
                subject_type="childcare.childcarerequest",
                subject_id=request.pk,
                beneficiary=request.beneficiary,
                starts_at=start,
                warns_at=start + datetime.timedelta(hours=18),
                due_at=start + datetime.timedelta(hours=24),
                met_at=start + datetime.timedelta(hours=met_after_hours) if met_after_hours is not None else None,
                created_at=start,
            )
            for request in requests
        )
