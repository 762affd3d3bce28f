"""Demo data of the childcare app (a `seed_demo` step, after the journeys): AVIP crèches, childminders and
home-help services in every district, then requests for children of the household by the file's current
referent, over the last year, in every state — emergencies answered (some late), requests waiting for the CAF
or for a place, placements reviewed, renewed or ended with an outcome, a few refused.

Fast at any size: a few thousand requests at most, read with one query and written with `bulk_create`; the
deadline check that `seed_demo` runs at the end derives `childcare_24h` and `avip_review_6m`.
"""

import datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accompaniment.deadline_engine import add_months
from accompaniment.demo import BATCH_SIZE
from accompaniment.enums import MemberRole, Status
from accompaniment.models import Beneficiary, ReferentAssignment
from partners.demo import DISTRICTS
from partners.enums import OrganisationType
from partners.models import Organisation

from .enums import Outcome, ProviderKind, Purpose, RequestKind, RequestStatus, ReviewDecision
from .models import ChildcareRequest, Placement, Provider, age_in_months, default_contract_end

# About one file in forty with a young child asks for childcare, within these bounds.
REQUESTS_PER_FILE = 1 / 40
MIN_REQUESTS, MAX_REQUESTS = 40, 3_000
OUTCOME_WEIGHTS = ((Outcome.EMPLOYMENT, 34), (Outcome.TRAINING, 18), (Outcome.SEARCHING, 36), (Outcome.OTHER, 12))
INELIGIBLE_REASONS = (
    "Le parent n'est plus inscrit à France Travail.",
    "L'enfant n'est pas à la charge du foyer allocataire.",
)
DECLINE_REASONS = (
    "Aucune structure du secteur ne peut accueillir l'enfant à ces horaires.",
    "La famille a trouvé une solution de garde par elle-même.",
)
CRECHE_NAMES = ("Les Petits Pas", "Les Lucioles", "Arc-en-ciel", "Les Cigales", "Pomme d'Api", "Les Galopins")
CALANQUETS_DISTRICTS = ("CAS-MRS-SUD", "CAS-MRS-CENTRE", "CAS-MRS-EST")
# Hours since the fresh emergencies were filed: one late, two within their 24 hours, one waiting for the CAF.
FRESH_HOURS = (30, 4, 15, 1)
# The showcase placement at Les Calanquets: a child of this age, whose request was filed this many days ago.
SHOWCASE_MIN_AGE_MONTHS, SHOWCASE_MAX_AGE_MONTHS = 6, 28
SHOWCASE_FILED_DAYS_AGO = 60
HOURS = ("Du lundi au vendredi, de 8 h 30 à 17 h", "Lundi, mardi et jeudi, de 9 h à 16 h", "Le matin, de 8 h à 12 h")


def exists():
    return Provider.objects.exists()


def reset(context):
    for model in (Placement, ChildcareRequest):
        model.objects.all()._raw_delete(model.objects.db)
    Provider.sectors.through.objects.all()._raw_delete(Provider.objects.db)
    Provider.objects.all()._raw_delete(Provider.objects.db)


def _organisation(code, name):
    organisation, _ = Organisation.objects.get_or_create(
        code=code, defaults={"name": name, "type": OrganisationType.CHILDCARE_PROVIDER}
    )
    return organisation


def _providers(context):
    """Two crèches (one with few AVIP places), a childminder network and a share of two home-help services
    per district; one crèche's label has expired. Les Calanquets (creche@) is in Marseille Sud."""
    today = context.today
    label = {"label_starts_on": datetime.date(2024, 1, 1), "label_ends_on": datetime.date(today.year + 2, 12, 31)}
    childminders = _organisation("RPE-13", "Relais petite enfance des Bouches-du-Rhône")
    home_help = [
        _organisation("ADMR-13", "ADMR Garde d'enfants à domicile"),
        _organisation("FAMILLES-SERVICES-13", "Familles Services Provence"),
    ]
    calanquets = context.organisations.get("CRECHE-CALANQUETS") or _organisation(
        "CRECHE-CALANQUETS", "Crèche AVIP Les Calanquets"
    )
    rows = []  # (provider, sector codes)
    for index, (code, district) in enumerate(DISTRICTS.items()):
        name = CRECHE_NAMES[index % len(CRECHE_NAMES)]
        if code == "CAS-MRS-SUD":
            first = Provider(name="Crèche AVIP Les Calanquets", organisation=calanquets, avip_places=8, total_places=45)
        else:
            organisation = _organisation(f"CRECHE-{code[4:]}", f"Crèche AVIP {name} ({district})")
            first = Provider(name=f"Crèche AVIP {name}", organisation=organisation, avip_places=6, total_places=30)
        # Les Calanquets (creche@) sits where three Marseille districts meet: it takes children of all three.
        rows.append((first, list(CALANQUETS_DISTRICTS) if code == "CAS-MRS-SUD" else [code]))
        second_organisation = _organisation(f"CRECHE-{code[4:]}-2", f"Multi-accueil {district}")
        second = Provider(
            name=f"Multi-accueil {district}", organisation=second_organisation, avip_places=3, total_places=20
        )
        rows.append((second, [code]))
        for provider in (first, second):
            provider.kind = ProviderKind.CRECHE
            provider.min_age_months, provider.max_age_months = 3, 35
            provider.opening_hours = "Du lundi au vendredi, de 7 h 30 à 18 h 30"
            provider.label_starts_on, provider.label_ends_on = label["label_starts_on"], label["label_ends_on"]
        rows.append(
            (
                Provider(
                    name=f"Assistantes maternelles AVIP {district}",
                    kind=ProviderKind.CHILDMINDER,
                    organisation=childminders,
                    min_age_months=0,
                    max_age_months=119,
                    total_places=12,
                    avip_places=6,
                    opening_hours="Selon l'assistant(e) maternel(le), horaires décalés possibles",
                    **label,
                ),
                [code],
            )
        )
    codes = list(DISTRICTS)
    for number, organisation in enumerate(home_help):
        rows.append(
            (
                Provider(
                    name=organisation.name,
                    kind=ProviderKind.HOME_HELP,
                    organisation=organisation,
                    min_age_months=0,
                    max_age_months=119,
                    total_places=10,
                    avip_places=10,
                    opening_hours="7 jours sur 7, de 6 h à 22 h",
                ),
                codes[number::2],
            )
        )
    expired = Provider(
        name="Crèche Les Moussaillons (label échu)",
        kind=ProviderKind.CRECHE,
        organisation=_organisation("CRECHE-MOUSSAILLONS", "Crèche Les Moussaillons"),
        min_age_months=3,
        max_age_months=35,
        total_places=25,
        avip_places=5,
        label_starts_on=datetime.date(2023, 1, 1),
        label_ends_on=today - datetime.timedelta(days=45),
    )
    rows.append((expired, ["CAS-MRS-NORD"]))
    for provider, _codes in rows:
        provider.city = provider.city or "Bouches-du-Rhône"
        provider.contact_name = context.faker.name()
        provider.phone = (
            f"04 91 {context.rng.randint(10, 99)} {context.rng.randint(10, 99)} {context.rng.randint(10, 99)}"
        )
    Provider.objects.bulk_create([provider for provider, _codes in rows])
    through = Provider.sectors.through
    through.objects.bulk_create(
        [
            through(provider_id=provider.pk, sector_id=context.sectors[code].pk)
            for provider, sector_codes in rows
            for code in sector_codes
        ]
    )
    by_sector = {}
    for provider, sector_codes in rows:
        if provider is expired:
            continue
        for code in sector_codes:
            by_sector.setdefault((context.sectors[code].pk, provider.kind), []).append(provider)
    return by_sector


def _candidates(context, limit, *, sectors=None, born_between=None):
    """Files with a current referent, a known sector (one of `sectors` if given), and a child under 10 in the
    household (born between the two dates of `born_between` if given): one query."""
    conditions = {"household__members__birth_date__gt": add_months(context.today, -118)}
    if sectors is not None:
        conditions["sector__in"] = sectors
    if born_between is not None:  # in the same filter() as the child's role: the same member
        conditions["household__members__birth_date__range"] = born_between
    referent = ReferentAssignment.objects.filter(beneficiary=OuterRef("pk"), ended_on__isnull=True)
    files = Beneficiary.objects.in_scope().filter(
        sector__isnull=False,
        household__members__role=MemberRole.CHILD,
        status_code__in=(Status.ORIENTED, Status.IN_ACCOMPANIMENT),
        **conditions,
    )
    return list(
        files.annotate(
            referent_id=Subquery(referent.values("agent_id")[:1]),
        )
        .filter(referent_id__isnull=False)
        .order_by("id")
        .values_list(
            "id",
            "sector_id",
            "commune_id",
            "referent_id",
            "household__members__id",
            "household__members__first_name",
            "household__members__birth_date",
        )[: limit * 2]
    )


def _calanquets_showcase(context):
    """A toddler of Les Calanquets' districts, placed there two months ago: creche@ always has a placement to
    follow, whatever the draw (None when the demo has no such child)."""
    today = context.today
    born_between = (add_months(today, -SHOWCASE_MAX_AGE_MONTHS), add_months(today, -SHOWCASE_MIN_AGE_MONTHS))
    sectors = [context.sectors[code].pk for code in CALANQUETS_DISTRICTS if code in context.sectors]
    found = _candidates(context, 1, sectors=sectors, born_between=born_between)
    return found[0] if found else None


def _renewable(provider, birth_date, starts_on, ends_on, free):
    """The checks of `services.placement_review` for a renewal: the label valid on its first day, the child
    still in the provider's age range (a crèche child may have turned 3), a free AVIP place (`free`, the seed's
    count of running placements). Otherwise the review ends the placement."""
    months = age_in_months(birth_date, starts_on)
    return (
        provider.label_valid_on(starts_on)
        and provider.min_age_months <= months <= provider.max_age_months
        and free(provider, starts_on, ends_on)
    )


def _at(day, hour):
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=timezone.get_default_timezone())


def seed(context):
    rng, today = context.rng, context.today
    by_sector = _providers(context)
    target = max(MIN_REQUESTS, min(MAX_REQUESTS, int(context.beneficiaries * REQUESTS_PER_FILE)))
    candidates = _candidates(context, target)
    rng.shuffle(candidates)
    showcase = _calanquets_showcase(context)
    if showcase is not None:  # right after the fresh emergencies
        candidates = [row for row in candidates if row[0] != showcase[0]]
        candidates.insert(len(FRESH_HOURS), showcase)
    coordinator = context.users.get("coordination.avip")
    caf_agent = context.users.get("caf")
    used_files, requests, placements = set(), [], []
    running = {}  # provider id → end days of its running placements (capacity)

    def free(provider, starts_on, ends_on):
        return sum(1 for start, end in running.get(provider.pk, ()) if start <= ends_on and end >= starts_on) < (
            provider.avip_places
        )

    for file_id, sector_id, commune_id, referent_id, member_id, first_name, birth_date in candidates:
        if len(requests) >= target:
            break
        if file_id in used_files:
            continue
        used_files.add(file_id)
        fresh = len(requests) < len(FRESH_HOURS)  # the coordinator's worklist today: fresh emergencies first
        showcased = showcase is not None and file_id == showcase[0] and not fresh
        created_on = today - datetime.timedelta(days=rng.randint(0, 330))  # by the file's referent of today
        emergency = fresh or rng.random() < 0.25
        if showcased:
            created_on, emergency = today - datetime.timedelta(days=SHOWCASE_FILED_DAYS_AGO), False
        if fresh:
            created_at = timezone.now() - datetime.timedelta(hours=FRESH_HOURS[len(requests)])
            created_on = timezone.localdate(created_at)
        if emergency:
            kind, provider_kind, purpose = RequestKind.URGENCE, ProviderKind.HOME_HELP, Purpose.ENTRETIEN
            starts_on = created_on + datetime.timedelta(days=1)
            ends_on = starts_on
        else:
            kind = RequestKind.PERENNE if rng.random() < 0.7 or showcased else RequestKind.OCCASIONNEL
            starts_on = created_on + datetime.timedelta(days=rng.randint(5, 20))
            young = age_in_months(birth_date, starts_on) < 36
            in_creche = young and (rng.random() < 0.7 or showcased)
            provider_kind = ProviderKind.CRECHE if in_creche else ProviderKind.CHILDMINDER
            purpose = rng.choice((Purpose.FORMATION, Purpose.EMPLOI, Purpose.EMPLOI))
            ends_on = default_contract_end(starts_on)
        if age_in_months(birth_date, starts_on) < 0:
            continue
        if not fresh:
            created_at = _at(created_on, rng.randint(8, 17))
        request = ChildcareRequest(
            beneficiary_id=file_id,
            child_member_id=member_id,
            child_first_name=first_name,
            child_birth_date=birth_date,
            kind=kind,
            provider_kind=provider_kind,
            purpose=purpose,
            starts_on=starts_on,
            ends_on=ends_on,
            hours=rng.choice(HOURS),
            sector_id=sector_id,
            commune_id=commune_id,
            requested_by_id=referent_id,
            created_at=created_at,
        )
        requests.append(request)
        age_days = (today - created_on).days
        roll = 0.5 if showcased else rng.random()  # the showcase is eligible and placed
        if fresh:
            if FRESH_HOURS[len(requests) - 1] < 3:
                continue  # waiting for the CAF's check
            request.eligibility_checked_by, request.eligibility_checked_at = caf_agent, created_at
            request.status = RequestStatus.ELIGIBLE
            continue  # eligible, waiting for a place: one already late, others within their 24 hours
        if age_days <= 3 and roll < 0.5:
            continue  # waiting for the CAF's check
        checked_at = created_at + datetime.timedelta(hours=rng.randint(1, 5) if emergency else rng.randint(4, 72))
        if checked_at > timezone.now():
            continue
        request.eligibility_checked_by = caf_agent
        request.eligibility_checked_at = checked_at
        if roll > 0.93:
            request.status = RequestStatus.INELIGIBLE
            request.eligibility_refusal_reason = rng.choice(INELIGIBLE_REASONS)
            request.answered_at, request.answered_by = checked_at, caf_agent
            continue
        request.status = RequestStatus.ELIGIBLE
        if age_days <= 10 and rng.random() < 0.5:
            continue  # waiting for a place
        answered_at = checked_at + datetime.timedelta(
            hours=rng.choice((1, 2, 3, 6, 30)) if emergency else rng.randint(2, 120)
        )
        if answered_at > timezone.now():
            continue
        if roll > 0.86:
            request.status = RequestStatus.DECLINED
            request.decline_reason = rng.choice(DECLINE_REASONS)
            request.answered_at, request.answered_by = answered_at, coordinator
            continue
        months = age_in_months(birth_date, starts_on)
        options = [
            p
            for p in by_sector.get((sector_id, provider_kind), [])
            if p.min_age_months <= months <= p.max_age_months and free(p, starts_on, ends_on)
        ]
        if not options:
            continue  # on the waiting list
        calanquets = [p for p in options if p.organisation.code == "CRECHE-CALANQUETS"]
        provider = calanquets[0] if calanquets else rng.choice(options)
        request.status = RequestStatus.PLACED
        request.answered_at, request.answered_by = answered_at, coordinator
        placement = Placement(
            request=request,
            provider=provider,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=coordinator,
            created_at=answered_at,
        )
        placements.append(placement)
        end = ends_on
        if not emergency and add_months(starts_on, 6) <= today - datetime.timedelta(days=10):
            placement.reviewed_on = add_months(starts_on, 6) - datetime.timedelta(days=rng.randint(0, 12))
            renewal_start = ends_on + datetime.timedelta(days=1)
            renewal_end = default_contract_end(renewal_start)
            if rng.random() < 0.3 and _renewable(provider, birth_date, renewal_start, renewal_end, free):
                placement.review_decision = ReviewDecision.RENEW
                renewal = Placement(
                    request=request,
                    provider=provider,
                    starts_on=renewal_start,
                    ends_on=renewal_end,
                    renewal_of=placement,
                    created_by=coordinator,
                    created_at=_at(placement.reviewed_on, 10),
                )
                placements.append(renewal)
                end = renewal.ends_on
            else:
                placement.review_decision = ReviewDecision.END
                placement.ended_on = min(placement.reviewed_on, ends_on)
                placement.outcome = rng.choices(*zip(*OUTCOME_WEIGHTS, strict=True))[0]
                end = placement.ended_on
        elif not emergency and rng.random() < 0.15 and starts_on + datetime.timedelta(days=40) < today:
            placement.ended_on = starts_on + datetime.timedelta(days=rng.randint(20, 40))
            placement.outcome = rng.choice((Outcome.EMPLOYMENT, Outcome.TRAINING))  # ended early: the parent started
            end = placement.ended_on
        running.setdefault(provider.pk, []).append((starts_on, end))

    ChildcareRequest.objects.bulk_create(requests, batch_size=BATCH_SIZE)
    for placement in placements:
        placement.request_id = placement.request.pk
    originals = [p for p in placements if p.renewal_of is None]
    Placement.objects.bulk_create(originals, batch_size=BATCH_SIZE)
    renewals = [p for p in placements if p.renewal_of is not None]
    for renewal in renewals:
        renewal.renewal_of_id = renewal.renewal_of.pk
    Placement.objects.bulk_create(renewals, batch_size=BATCH_SIZE)
    context.summary.update(
        {
            "structures de garde": Provider.objects.count(),
            "demandes de garde": len(requests),
            "accueils AVIP": len(placements),
        }
    )
