"""Demo data, partnerships: the conventions of the seeds, transposed to the Bouches-du-Rhône, and two past COPIL
meetings with their actions (called by partners/demo.py once the organisations and users exist).

- the CAF - France Travail convention for access to rights, renewed every three years since 2019 (Var);
- the Département - France Travail convention of "accompagnement global", renewed for two years with 9
  counsellors and 11 insertion workers committed (Calvados): it ends within 90 days of the demo's date;
- bilateral conventions of the Département with the CAF, the Région, the CCAS union and an employers' club
  (Nord), one of them still a draft;
- the quarterly COPIL: two past meetings, whose actions are done, open, or open and overdue.

Dates are relative to the demo's date. Rows are written with bulk_create (no audit entry: demo data is not an
agent's action); `reset_partnerships()` deletes them by title.
"""

import datetime
from decimal import Decimal

from .enums import ConventionKind, CopilActionStatus, OrganisationType, RenewalMode
from .models import (
    Convention,
    ConventionOwner,
    ConventionParty,
    ConventionResource,
    CopilAction,
    CopilMeeting,
    FundingLine,
    Organisation,
)

EXTRA_ORGANISATIONS = (
    ("REGION-SUD", "Région Provence-Alpes-Côte d'Azur", OrganisationType.REGION),
    ("UDCCAS-13", "Union départementale des CCAS des Bouches-du-Rhône", OrganisationType.CCAS),
    ("CLUB-ENTREPRISES-13", "Club des entreprises inclusives des Bouches-du-Rhône", OrganisationType.EMPLOYER),
)
FT = "FT-MRS-BELLE-DE-MAI"
CAF_FT = "Convention CAF - France Travail pour l'accès aux droits des allocataires du RSA"
GLOBAL = "Convention Département - France Travail d'accompagnement global"
MEETING_TITLES = ("COPIL RSA - bilan du semestre", "COPIL RSA - point trimestriel")


def _month_end(day):
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _years_before(day, years):
    return day.replace(year=day.year - years, day=min(day.day, 28))


CAF_FT_SINCE = datetime.date(2019, 1, 1)  # the Var's CAF - France Travail convention, renewed every three years
RENEWED_AHEAD = 120  # days: a term ending within this is already renewed (signed), so it is never "expiring"


def _caf_france_travail_terms(today):
    """The starts of the three-year terms since 2019 up to the one in force, and the next one, already signed,
    when the one in force ends within RENEWED_AHEAD days: of the demo's conventions, only the « accompagnement
    global » one is expiring, whatever the day."""
    starts = [CAF_FT_SINCE]
    while starts[-1].replace(year=starts[-1].year + 3) <= today:
        starts.append(starts[-1].replace(year=starts[-1].year + 3))
    if starts[-1].replace(year=starts[-1].year + 3) <= today + datetime.timedelta(days=RENEWED_AHEAD):
        starts.append(starts[-1].replace(year=starts[-1].year + 3))
    return starts


def _conventions(today):
    """(title, values, parties [(code, signatory, title)], resources, funding, owner keys), the renewed first."""
    # Calvados: renewed for two years; the current term ends within 45 to 76 days of the demo's date.
    global_end = _month_end(today + datetime.timedelta(days=45))
    global_start = _years_before(global_end + datetime.timedelta(days=1), 2)
    caf_ft_starts = _caf_france_travail_terms(today)
    departement = ("CD13", "Hélène Garcin", "Présidente du Conseil départemental")
    caf = ("CAF13", "Bruno Lemaire-Costa", "Directeur de la CAF")
    france_travail = (FT, "Nathalie Orsoni", "Directrice territoriale France Travail")
    specs = []
    for index, start in enumerate(caf_ft_starts):
        end = start.replace(year=start.year + 3) - datetime.timedelta(days=1)
        specs.append(
            (
                CAF_FT,
                {
                    "kind": ConventionKind.BILATERAL,
                    "signed_on": min(start - datetime.timedelta(days=20), today - datetime.timedelta(days=7)),
                    "valid_from": start,
                    "valid_to": end,
                    "renewal": RenewalMode.EXPLICIT,
                    "objectives": (
                        "Un rendez-vous des droits CAF (entretien giratoire) dans les 7 jours pour chaque nouvel "
                        "allocataire du RSA ; une orientation partagée entre la CAF et France Travail."
                    ),
                    "indicators": "Entretiens giratoires dans les 7 jours : 80 %\nDroits complémentaires ouverts : 1 sur 5",
                },
                [caf, france_travail],
                [("CAF13", "travailleurs sociaux CAF", 4), (FT, "conseillers France Travail", 3)],
                [],
                ["manager.ft"] if index == len(caf_ft_starts) - 1 else [],
            )
        )
    previous_global_start = _years_before(global_start, 2)
    for start, end in ((previous_global_start, global_start - datetime.timedelta(days=1)), (global_start, global_end)):
        specs.append(
            (
                GLOBAL,
                {
                    "kind": ConventionKind.BILATERAL,
                    "signed_on": start - datetime.timedelta(days=15),
                    "valid_from": start,
                    "valid_to": end,
                    "renewal": RenewalMode.EXPLICIT,
                    "objectives": (
                        "Diagnostic tripartite (bénéficiaire, conseiller France Travail, travailleur social du "
                        "Département) et accompagnement global des personnes cumulant freins sociaux et "
                        "professionnels."
                    ),
                    "indicators": "Orientation dans les 6 semaines : 80 %\nContrat signé dans le mois : 75 %\nSorties positives : 35 %",
                },
                [departement, france_travail],
                [(FT, "conseillers France Travail dédiés", 9), ("CD13", "travailleurs sociaux du Département", 11)],
                [
                    ("Fonds social européen (FSE+)", Decimal("420000"), True, "Accompagnement global"),
                    ("Département des Bouches-du-Rhône", Decimal("380000"), False, "Travailleurs sociaux"),
                ],
                ["manager", "manager.ft"],
            )
        )
    nord = [
        (
            "Convention Département - CAF : accueil des jeunes enfants (AVIP) et accès aux droits",
            ("CAF13", "Bruno Lemaire-Costa", "Directeur de la CAF"),
            datetime.date(today.year - 1, 1, 1),
            3,
            RenewalMode.TACIT,
            [("CAF13", "coordinatrice AVIP", 1)],
            [("CAF des Bouches-du-Rhône", Decimal("150000"), False, "Places en crèche AVIP")],
        ),
        (
            "Convention Département - Région : formations qualifiantes des allocataires du RSA",
            ("REGION-SUD", "Paul Giacometti", "Vice-président chargé de la formation"),
            datetime.date(today.year, 1, 1),
            2,
            RenewalMode.EXPLICIT,
            [],
            [("Région Provence-Alpes-Côte d'Azur", Decimal("600000"), True, "Places de formation")],
        ),
        (
            "Convention Département - Union des CCAS : référents de parcours",
            ("UDCCAS-13", "Sophie Rinaldi", "Présidente de l'UDCCAS"),
            datetime.date(today.year - 1, 7, 1),
            3,
            RenewalMode.EXPLICIT,
            [("CCAS-MARSEILLE", "référents de parcours CCAS", 6)],
            [],
        ),
        (
            "Convention Département - Club des entreprises inclusives : immersions et recrutements",
            ("CLUB-ENTREPRISES-13", "Yannick Féraud", "Président du club"),
            datetime.date(today.year + 1, 1, 1),
            2,
            RenewalMode.EXPLICIT,
            [],
            [],
        ),
    ]
    for title, partner, start, years, renewal, resources, funding in nord:
        draft = start > today
        specs.append(
            (
                title,
                {
                    "kind": ConventionKind.BILATERAL,
                    "signed_on": None if draft else start - datetime.timedelta(days=30),
                    "valid_from": start,
                    "valid_to": start.replace(year=start.year + years) - datetime.timedelta(days=1),
                    "renewal": renewal,
                    "objectives": "Lever les freins périphériques à l'emploi des allocataires du RSA.",
                    "indicators": "",
                },
                [departement, partner],
                resources,
                funding,
                ["manager"],
            )
        )
    return specs


def reset_partnerships():
    CopilMeeting.objects.filter(title__in=MEETING_TITLES).delete()
    conventions = Convention.objects.filter(title__in=_demo_titles())
    conventions.update(renews=None)
    conventions.delete()


def _demo_titles():
    return [spec[0] for spec in _conventions(datetime.date.today())]


def seed_partnerships(context):
    reset_partnerships()
    for code, name, kind in EXTRA_ORGANISATIONS:
        context.organisations[code], _ = Organisation.objects.update_or_create(
            code=code, defaults={"name": name, "type": kind}
        )
    organisations = context.organisations
    users = context.users
    previous_by_title = {}
    conventions = {}
    for title, values, parties, resources, funding, owners in _conventions(context.today):
        convention = Convention(title=title, renews=previous_by_title.get(title), **values)
        Convention.objects.bulk_create([convention])
        previous_by_title[title] = convention
        conventions.setdefault(title, []).append(convention)
        ConventionParty.objects.bulk_create(
            ConventionParty(
                convention=convention, organisation=organisations[code], signatory_name=name, signatory_title=role
            )
            for code, name, role in parties
        )
        ConventionResource.objects.bulk_create(
            ConventionResource(convention=convention, organisation=organisations[code], role=role, count=count)
            for code, role, count in resources
        )
        FundingLine.objects.bulk_create(
            FundingLine(convention=convention, funder=funder, amount=amount, esf_cofunded=esf, label=label)
            for funder, amount, esf, label in funding
        )
        ConventionOwner.objects.bulk_create(
            ConventionOwner(convention=convention, user=users[key]) for key in owners if key in users
        )
    _seed_meetings(context, conventions)
    context.summary["conventions"] = sum(len(terms) for terms in conventions.values())


def _seed_meetings(context, conventions):
    today = context.today
    users, organisations = context.users, context.organisations
    first_day = today - datetime.timedelta(days=160)
    second_day = today - datetime.timedelta(days=70)
    first = CopilMeeting(
        held_on=first_day,
        title=MEETING_TITLES[0],
        agenda="Bilan des orientations du semestre\nDélais d'orientation par circonscription\nPlaces AVIP",
        minutes=(
            "Le délai d'orientation dépasse six semaines pour un entrant sur quatre à Marseille Nord. "
            "Les partenaires conviennent de renforcer la cellule d'orientation et de suivre les places AVIP."
        ),
        decisions="Renforcer la cellule d'orientation pendant trois mois\nOuvrir 20 places AVIP supplémentaires",
        other_attendees="Représentant de la Préfecture (commissaire à la lutte contre la pauvreté)",
        recorded_by=users.get("manager"),
    )
    second = CopilMeeting(
        held_on=second_day,
        title=MEETING_TITLES[1],
        agenda="Suivi des actions\nRenouvellement de la convention d'accompagnement global",
        minutes="Le renouvellement de la convention d'accompagnement global est préparé pour le prochain trimestre.",
        decisions="Préparer le renouvellement de la convention d'accompagnement global",
        recorded_by=users.get("copil"),
    )
    CopilMeeting.objects.bulk_create([first, second])
    for meeting in (first, second):
        meeting.organisations.set([organisations[c] for c in ("CD13", FT, "CAF13", "CCAS-MARSEILLE")])
        meeting.attendees.set([users[k] for k in ("copil", "manager", "manager.ft", "caf") if k in users])
    second.conventions.set(conventions[GLOBAL][-1:])
    CopilAction.objects.bulk_create(
        [
            CopilAction(
                meeting=first,
                title="Renforcer la cellule d'orientation (deux chargés d'orientation pendant trois mois)",
                owner=users.get("manager"),
                owner_organisation=organisations["CD13"],
                due_on=first_day + datetime.timedelta(days=60),
                status=CopilActionStatus.DONE,
                closed_on=second_day,
                closed_at_meeting=second,
                comment="Renfort en place depuis deux mois.",
            ),
            CopilAction(
                meeting=first,
                title="Ouvrir 20 places AVIP supplémentaires avec la CAF",
                owner=users.get("coordination.avip"),
                owner_organisation=organisations["CAF13"],
                due_on=second_day - datetime.timedelta(days=10),
                status=CopilActionStatus.IN_PROGRESS,
            ),
            CopilAction(
                meeting=second,
                title="Préparer le renouvellement de la convention d'accompagnement global",
                owner=users.get("manager.ft"),
                owner_organisation=organisations[FT],
                due_on=today + datetime.timedelta(days=30),
            ),
            CopilAction(
                meeting=second,
                title="Présenter les délais d'orientation par circonscription au prochain COPIL",
                owner=users.get("manager"),
                owner_organisation=organisations["CD13"],
                due_on=today - datetime.timedelta(days=5),
            ),
        ]
    )
    context.summary["réunions du COPIL"] = 2
