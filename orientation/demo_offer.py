"""Demo data of the directory of social resources and the insertion offer (called by orientation.demo).

- a service for each barrier category in each social-action district, run by a partner that fits the
  category (the CCAS in Marseille, the Département elsewhere for housing and finances, the CAF for the
  administrative access to rights, the insertion operators for mobility and digital…);
- insertion actions of each of the six axes: one per axis run by the ACI Les Jardins du Nord (the
  `operateur@` account), open to the whole Département, and a few more by the other operators;
- prescriptions of persons whose contract is in force, each an activity of the contract's action plan,
  by their current referent: accepted (some with attendance and an outcome), waiting for an answer (made
  in the last days), refused with a reason, expired without answer.

The number of rows does not grow with the number of files (a few hundred prescriptions at most): one
query reads a sample of the contracts in force, and everything is written with `bulk_create`, past the
audit log (demo data is not an agent's action).
"""

import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accompaniment.enums import ActivityStatus
from accompaniment.models import Activity, Contract, ReferentAssignment
from partners.enums import PRIMARY_SECTOR_KIND

from .enums import (
    PRESCRIPTION_ANSWER_DELAY,
    ActionAxis,
    Attendance,
    BarrierCategoryCode,
    Pathway,
    PrescriptionOutcome,
    PrescriptionStatus,
    RefusalReason,
)
from .models import Orientation
from .models_offer import ACTIVITY_KIND_OF_AXIS, ActionPathway, InsertionAction, Prescription, Service, ServiceCategory

OPERATOR = "ACI-JARDINS-NORD"  # the organisation of the operateur@ account
CONTRACT_SAMPLE = 3_000  # contracts in force read to draw the prescribed persons
PLAN_MAX_ACTIVITIES = 4  # an action plan holds 1 to 4 activities, prescribed ones included
MODELS = (  # dependants first
    Prescription,
    ActionPathway,
    InsertionAction.sectors.through,
    InsertionAction,
    ServiceCategory,
    Service.sectors.through,
    Service,
)

# category: (service name, provider code or None for the district's own, description, access, hours)
SERVICES = {
    BarrierCategoryCode.MOBILITY: (
        "Plateforme mobilité",
        OPERATOR,
        "Diagnostic mobilité, location de deux-roues à petit prix, aide au permis B, apprentissage des transports.",
        "Sur prescription du référent de parcours.",
        "Du lundi au vendredi, 9 h - 12 h 30 et 13 h 30 - 17 h",
    ),
    BarrierCategoryCode.FAMILY: (
        "Relais petite enfance",
        "CAF13",
        "Information sur les modes de garde, places en crèche à vocation d'insertion professionnelle (AVIP).",
        "Parents d'enfants de moins de 6 ans.",
        "Lundi, mardi, jeudi 8 h 30 - 16 h 30",
    ),
    BarrierCategoryCode.HEALTH: (
        "Point santé insertion",
        None,
        "Bilan de santé, accès aux droits à l'assurance maladie, orientation vers le soin et la santé mentale.",
        "Gratuit, sur rendez-vous.",
        "Mardi et jeudi, 9 h - 17 h",
    ),
    BarrierCategoryCode.LITERACY: (
        "Ateliers sociolinguistiques",
        "TREMPLIN-BERRE",
        "Français à visée professionnelle, lecture, écriture, calcul ; positionnement à l'entrée.",
        "Adultes, tous niveaux ; entrée toute l'année.",
        "Lundi au jeudi, 9 h - 12 h",
    ),
    BarrierCategoryCode.HOUSING: (
        "Accueil logement",
        "CCAS-MARSEILLE",
        "Demande de logement social, prévention des expulsions, Fonds de solidarité logement, hébergement d'urgence.",
        "Habitants de la circonscription ; urgences sans rendez-vous le matin.",
        "Du lundi au vendredi, 8 h 30 - 12 h et 13 h 30 - 16 h 30",
    ),
    BarrierCategoryCode.FINANCES: (
        "Point conseil budget",
        None,
        "Diagnostic budgétaire, dossier de surendettement, micro-crédit personnel.",
        "Sur rendez-vous.",
        "Mercredi et vendredi, 9 h - 16 h",
    ),
    BarrierCategoryCode.ADMINISTRATIVE: (
        "Accès aux droits",
        "CAF13",
        "Rendez-vous des droits, aide aux démarches, accès au droit avec un juriste une fois par mois.",
        "Allocataires et demandeurs.",
        "Du lundi au vendredi, 8 h 30 - 16 h",
    ),
    BarrierCategoryCode.DIGITAL: (
        "Espace numérique",
        OPERATOR,
        "Accompagnement aux démarches en ligne, ateliers d'initiation, prêt d'ordinateur reconditionné.",
        "Accès libre, ateliers sur inscription.",
        "Mardi au samedi, 10 h - 18 h",
    ),
}
MARSEILLE_DISTRICTS = ("CAS-MRS-NORD", "CAS-MRS-CENTRE", "CAS-MRS-SUD", "CAS-MRS-EST")

# (title, axis, activity kind or None, places, hours, pathways, description)
OPERATOR_ACTIONS = (
    (
        "Chantier d'insertion maraîchage",
        ActionAxis.STRAIGHT_TO_WORK,
        None,
        12,
        "20",
        (Pathway.EMPLOI, Pathway.SOCIAL_PRO),
        "Contrat à durée déterminée d'insertion de 4 mois renouvelable, encadrement technique et socio-professionnel.",
    ),
    (
        "Préqualification métiers des espaces verts",
        ActionAxis.PREPARE,
        None,
        10,
        "15",
        (Pathway.EMPLOI, Pathway.SOCIAL_PRO),
        "Découverte des métiers, gestes professionnels, immersion en entreprise (PMSMP) de deux semaines.",
    ),
    (
        "Remobilisation par le jardin",
        ActionAxis.MOBILISE,
        None,
        8,
        "6",
        (Pathway.REMOBILISATION, Pathway.SOCIAL_PRO),
        "Deux demi-journées par semaine au jardin partagé : reprendre un rythme, retrouver confiance.",
    ),
    (
        "Définir son projet professionnel",
        ActionAxis.PROJECT,
        None,
        10,
        "8",
        (),
        "Ateliers collectifs et entretiens individuels, enquêtes métiers, plan d'action.",
    ),
    (
        "Atelier mobilité et permis",
        ActionAxis.LIFT_BARRIERS,
        "mobility_workshop",
        10,
        "4",
        (),
        "Code de la route, apprentissage du vélo, préparation au permis B financée.",
    ),
    (
        "Cuisine et convivialité",
        ActionAxis.SOCIAL_INCLUSION,
        None,
        12,
        "3",
        (Pathway.REMOBILISATION, Pathway.SOCIAL_PRO),
        "Atelier cuisine hebdomadaire, repas partagé, sorties culturelles.",
    ),
)
OTHER_ACTIONS = (
    ("TREMPLIN-BERRE", "Coaching vers l'emploi industriel", ActionAxis.STRAIGHT_TO_WORK, 15, "10", (Pathway.EMPLOI,)),
    ("TREMPLIN-BERRE", "Français langue professionnelle", ActionAxis.LIFT_BARRIERS, 12, "9", ()),
    ("ML-MARSEILLE", "Parcours découverte des métiers", ActionAxis.PROJECT, 15, "12", ()),
    ("CAP-EMPLOI-13", "Préparation à l'emploi et handicap", ActionAxis.PREPARE, 8, "10", ()),
    ("CCAS-MARSEILLE", "Ateliers santé et bien-être", ActionAxis.SOCIAL_INCLUSION, 12, "3", (Pathway.REMOBILISATION,)),
    ("CCAS-MARSEILLE", "Rebondir ensemble", ActionAxis.MOBILISE, 10, "6", ()),
)
# How the prescriptions of an action are answered (weights).
OUTCOMES = (("accepted", 50), ("pending", 25), ("refused", 15), ("expired", 10))
REFUSALS = (RefusalReason.NOT_ELIGIBLE, RefusalReason.UNREACHABLE, RefusalReason.DECLINED, RefusalReason.FULL)
FOLLOW_UPS = (
    (Attendance.ATTENDED, ""),
    (Attendance.ATTENDED, PrescriptionOutcome.COMPLETED),
    (Attendance.PARTIAL, ""),
    (Attendance.ATTENDED, PrescriptionOutcome.EMPLOYMENT),
    (Attendance.ABSENT, PrescriptionOutcome.DROPPED),
    ("", ""),
)


def exists():
    return Service.objects.exists() or InsertionAction.objects.exists()


def reset(context):
    """Deletes the offer's rows (before the journey's activities they point at)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in MODELS:
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")


def seed(context):
    districts = {code: s for code, s in context.sectors.items() if s.kind == PRIMARY_SECTOR_KIND}
    organisations = context.organisations
    if not districts or OPERATOR not in organisations:
        return
    services = _seed_services(context, districts, organisations)
    actions = _seed_actions(context, districts, organisations)
    prescriptions = _seed_prescriptions(context, actions)
    context.summary.update(
        {
            "services de l'annuaire": services,
            "actions d'insertion": len(actions),
            "prescriptions": prescriptions,
        }
    )


def _seed_services(context, districts, organisations):
    departement = next(o for o in organisations.values() if o.is_departement)
    rows, categories, sectors = [], [], []
    for code, district in districts.items():
        place = district.name.removeprefix("Circonscription ")
        for category, (name, provider_code, description, access, hours) in SERVICES.items():
            provider = organisations.get(provider_code) if provider_code else None
            if provider_code == "CCAS-MARSEILLE" and code not in MARSEILLE_DISTRICTS:
                provider = None
            rows.append(
                Service(
                    provider=provider or departement,
                    name=f"{name} — {place}",
                    description=description,
                    address=f"{10 + len(rows) % 80} avenue de la République",
                    city=place.split(" - ")[0],
                    phone=f"04 9{len(rows) % 10} {10 + len(rows) % 89:02d} {20 + len(rows) % 79:02d} 00",
                    email=f"contact.{category}@demo.parcours.fr",
                    access_conditions=access,
                    opening_hours=hours,
                )
            )
            categories.append(category)
            sectors.append(district)
    Service.objects.bulk_create(rows)
    ServiceCategory.objects.bulk_create(
        ServiceCategory(service=service, category=category) for service, category in zip(rows, categories, strict=True)
    )
    Service.sectors.through.objects.bulk_create(
        Service.sectors.through(service_id=service.pk, sector_id=sector.pk)
        for service, sector in zip(rows, sectors, strict=True)
    )
    return len(rows)


def _seed_actions(context, districts, organisations):
    today = context.today
    rng = context.rng
    actions, pathways, sectors = [], [], []
    for title, axis, kind, places, hours, eligible, description in OPERATOR_ACTIONS:
        actions.append(
            InsertionAction(
                operator=organisations[OPERATOR],
                title=title,
                axis=axis,
                activity_kind=kind or ACTIVITY_KIND_OF_AXIS[axis],
                description=description,
                places=places,
                starts_on=today - datetime.timedelta(days=rng.randint(20, 90)),
                ends_on=today + datetime.timedelta(days=rng.randint(90, 200)),
                sessions="Entrées et sorties permanentes ; accueil le lundi matin.",
                weekly_hours=Decimal(hours),
                place="Jardins du Nord, chemin de la Bigotte, 13015 Marseille",
                funders="Département, FSE+",
                funding_amount=Decimal(rng.randint(30, 120) * 1000),
                esf_cofunded=True,
                esf_amount=Decimal(rng.randint(10, 25) * 1000),
            )
        )
        pathways.append(eligible)
        sectors.append(())
    district_codes = sorted(districts)
    for operator_code, title, axis, places, hours, eligible in OTHER_ACTIONS:
        if operator_code not in organisations:
            continue
        esf = rng.random() < 0.5
        actions.append(
            InsertionAction(
                operator=organisations[operator_code],
                title=title,
                axis=axis,
                activity_kind=ACTIVITY_KIND_OF_AXIS[axis],
                description=f"{title} : action collective financée par l'appel à projets insertion du Département.",
                places=places,
                starts_on=today - datetime.timedelta(days=rng.randint(0, 60)),
                ends_on=today + datetime.timedelta(days=rng.randint(60, 180)),
                sessions="Sessions mensuelles, 3 demi-journées par semaine.",
                weekly_hours=Decimal(hours),
                funders="Département, FSE+" if esf else "Département",
                funding_amount=Decimal(rng.randint(20, 80) * 1000),
                esf_cofunded=esf,
                esf_amount=Decimal(rng.randint(5, 15) * 1000) if esf else None,
            )
        )
        pathways.append(eligible)
        sectors.append(tuple(rng.sample(district_codes, 2)))
    InsertionAction.objects.bulk_create(actions)
    ActionPathway.objects.bulk_create(
        ActionPathway(action=action, pathway=pathway)
        for action, eligible in zip(actions, pathways, strict=True)
        for pathway in eligible
    )
    InsertionAction.sectors.through.objects.bulk_create(
        InsertionAction.sectors.through(insertionaction_id=action.pk, sector_id=districts[code].pk)
        for action, codes in zip(actions, sectors, strict=True)
        for code in codes
    )
    for action, eligible, codes in zip(actions, pathways, sectors, strict=True):
        action.eligible_pathways = set(eligible)
        action.eligible_sector_ids = {districts[code].pk for code in codes}
    return actions


def _contracts_in_force(today):
    """A sample of contracts in force today, with the file's sector, pathway and current referent."""
    current = Orientation.objects.filter(beneficiary=OuterRef("beneficiary_id"), ended_on__isnull=True)
    referent = ReferentAssignment.objects.filter(beneficiary=OuterRef("beneficiary_id"), ended_on__isnull=True)
    # Correlated subqueries (not a join and GROUP BY): the database stops once it has the sample.
    activities = (
        Activity.objects.filter(contract=OuterRef("pk"))
        .order_by()
        .values("contract")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Contract.objects.filter(starts_on__lte=today, ends_on__gt=today)
        .annotate(
            pathway=Subquery(current.values("pathway")[:1]),
            referent_id=Subquery(referent.values("agent_id")[:1]),
            activity_count=Coalesce(Subquery(activities), 0),
        )
        .exclude(pathway=None)
        .exclude(referent_id=None)
        .filter(activity_count__lt=PLAN_MAX_ACTIVITIES)
        .values(
            "pk",
            "beneficiary_id",
            "beneficiary__sector_id",
            "starts_on",
            "ends_on",
            "pathway",
            "referent_id",
            "activity_count",
        )
        .order_by("pk")[:CONTRACT_SAMPLE]
    )


def _seed_prescriptions(context, actions):
    today, rng = context.today, context.rng
    contracts = _contracts_in_force(today)
    if not contracts:
        return 0
    operator_user = context.users.get("operateur")
    statuses = [status for status, weight in OUTCOMES for _ in range(weight)]
    activities, prescriptions = [], []
    for action in actions:
        eligible = [
            c
            for c in contracts
            if (not action.eligible_pathways or c["pathway"] in action.eligible_pathways)
            and (not action.eligible_sector_ids or c["beneficiary__sector_id"] in action.eligible_sector_ids)
        ]
        count = min(len(eligible), rng.randint(action.places // 2, action.places + 3))
        held, seen = 0, set()
        for contract in rng.sample(eligible, count):
            if contract["beneficiary_id"] in seen or contract["activity_count"] >= PLAN_MAX_ACTIVITIES:
                continue
            seen.add(contract["beneficiary_id"])
            status = rng.choice(statuses)
            if status in ("accepted", "pending") and held >= action.places:
                status = "refused"  # never more places held than the action has
            days_ago = {"pending": rng.randint(0, 6), "expired": rng.randint(8, 30)}.get(status, rng.randint(8, 60))
            prescribed_on = today - datetime.timedelta(days=days_ago)
            starts_on = max(action.starts_on, contract["starts_on"], prescribed_on)
            ends_on = min(action.ends_on, contract["ends_on"])
            if ends_on < starts_on:
                continue
            held += status in ("accepted", "pending")
            contract["activity_count"] += 1
            at = datetime.datetime.combine(prescribed_on, datetime.time(10, rng.randint(0, 59)), tzinfo=datetime.UTC)
            answered_at = at + datetime.timedelta(days=rng.randint(1, 6)) if status in ("accepted", "refused") else None
            attendance, outcome = rng.choice(FOLLOW_UPS) if status == "accepted" else ("", "")
            activity_status = {
                "accepted": ActivityStatus.DONE
                if outcome in (PrescriptionOutcome.COMPLETED, PrescriptionOutcome.EMPLOYMENT)
                else ActivityStatus.ABANDONED
                if outcome == PrescriptionOutcome.DROPPED
                else ActivityStatus.IN_PROGRESS
                if attendance
                else ActivityStatus.PLANNED,
                "pending": ActivityStatus.PLANNED,
            }.get(status, ActivityStatus.ABANDONED)
            activity = Activity(
                contract_id=contract["pk"],
                kind=action.activity_kind,
                title=action.title,
                provider_organisation_id=action.operator_id,
                starts_on=starts_on,
                ends_on=ends_on,
                weekly_planned_hours=action.weekly_hours,
                status=activity_status,
                created_by_id=contract["referent_id"],
            )
            activities.append(activity)
            answered_by = (
                operator_user if operator_user and action.operator_id == operator_user.organisation_id else None
            )
            prescriptions.append(
                Prescription(
                    action=action,
                    beneficiary_id=contract["beneficiary_id"],
                    activity=activity,
                    status=PrescriptionStatus(status),
                    comment="Disponible en matinée." if rng.random() < 0.3 else "",
                    prescribed_by_id=contract["referent_id"],
                    prescribed_at=at,
                    expires_at=at + PRESCRIPTION_ANSWER_DELAY,
                    answered_at=answered_at,
                    answered_by=answered_by if answered_at else None,
                    refusal_reason=rng.choice(REFUSALS) if status == "refused" else "",
                    attendance=attendance,
                    outcome=outcome,
                    followed_up_at=answered_at + datetime.timedelta(days=7) if attendance else None,
                )
            )
    Activity.objects.bulk_create(activities)
    for prescription in prescriptions:
        prescription.activity_id = prescription.activity.pk
    Prescription.objects.bulk_create(prescriptions)
    return len(prescriptions)
