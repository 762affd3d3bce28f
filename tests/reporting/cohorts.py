"""Hand-built cohorts for the indicator tests: rows written in bulk, with exactly known figures."""

import datetime
from decimal import Decimal

from django.utils import timezone

from accompaniment.enums import ContractKind, InterviewKind, InterviewStatus
from accompaniment.models import Beneficiary, Contract, Deadline, DeadlineRule, Episode, Exit, Interview
from tests.factories import UserFactory


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

    def interviews(self, files, *, kind=InterviewKind.ACCOMPANIMENT, held_on, complementary_rights=()):
        return Interview.objects.bulk_create(
            Interview(
                beneficiary=file,
                kind=kind,
                scheduled_for=timezone.make_aware(datetime.datetime.combine(held_on, datetime.time(9))),
                held_on=held_on,
                status=InterviewStatus.HELD,
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
