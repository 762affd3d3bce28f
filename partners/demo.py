"""Demo data, step 1: the territories, organisations, teams and users of the Bouches-du-Rhône.

Run by `manage.py seed_demo` (the runner is `accompaniment.demo`), which calls `seed(context)` before the
other apps' steps. Everything here is upserted by natural key (sector and organisation codes, team names,
e-mails), so a second run updates rather than duplicates. Organisations and people are fictitious; the
communes are the real ones loaded by the partners migrations.
"""

import csv
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import ProtectedError, Q

from .communes import DATA_FILE
from .demo_partnerships import reset_partnerships, seed_partnerships
from .enums import OrganisationType, Role, SectorKind
from .models import MARSEILLE_INSEE_CODE, Organisation, Sector, SectorCommune, Team, User

DEMO_EMAIL_DOMAIN = "demo.parcours.fr"
# One shared password for every demo account (≥ 12 characters, passes the configured validators).
DEMO_PASSWORD = "Parcours-Demo-2026"
DEPARTEMENT_CODE = "CD13"

# Territories ---------------------------------------------------------------------------------------------
# Social-action districts (the primary kind): Marseille is split by arrondissement, the rest of the
# Département follows the administrative arrondissements (131 Aix, 132 Arles, 133 Marseille, 134 Istres).
# Marseille given as a whole (13055) belongs to no district: its district is known from the arrondissement.
DISTRICTS = {
    "CAS-MRS-NORD": "Marseille Nord",
    "CAS-MRS-CENTRE": "Marseille Centre",
    "CAS-MRS-SUD": "Marseille Sud",
    "CAS-MRS-EST": "Marseille Est - Huveaune",
    "CAS-AUBAGNE": "Aubagne - La Ciotat",
    "CAS-AIX": "Pays d'Aix",
    "CAS-ARLES": "Arles - Camargue - Alpilles",
    "CAS-BERRE": "Étang de Berre - Martigues - Istres",
}
DISTRICT_COMMUNES = {
    "CAS-MRS-NORD": ("13202", "13203", "13213", "13214", "13215", "13216", "13106"),
    "CAS-MRS-CENTRE": ("13201", "13204", "13205", "13206", "13207"),
    "CAS-MRS-SUD": ("13208", "13209"),
    "CAS-MRS-EST": ("13210", "13211", "13212", "13002", "13075"),
}
DISTRICT_OF_ARRONDISSEMENT = {"131": "CAS-AIX", "132": "CAS-ARLES", "133": "CAS-AUBAGNE", "134": "CAS-BERRE"}

# France Travail agency areas: they overlap the districts differently.
AGENCIES = {
    "FT-MRS-BELLE-DE-MAI": "Marseille Belle de Mai",
    "FT-MRS-LA-ROSE": "Marseille La Rose",
    "FT-MRS-SAINT-ANTOINE": "Marseille Saint-Antoine",
    "FT-MRS-CAPELETTE": "Marseille Capelette",
    "FT-MRS-PRADO": "Marseille Prado",
    "FT-AUBAGNE": "Aubagne",
    "FT-AIX": "Aix-en-Provence",
    "FT-SALON": "Salon-de-Provence",
    "FT-ARLES": "Arles",
    "FT-MARTIGUES": "Martigues",
    "FT-VITROLLES": "Vitrolles",
}
SALON_AREA = (
    "13103", "13069", "13050", "13035", "13105", "13053", "13003", "13049", "13024",
    "13009", "13115", "13008", "13084", "13044", "13029", "13092", "13051",
)  # fmt: skip
AGENCY_COMMUNES = {
    "FT-MRS-BELLE-DE-MAI": ("13201", "13202", "13203"),
    "FT-MRS-LA-ROSE": ("13213", "13214", "13002", "13075"),
    "FT-MRS-SAINT-ANTOINE": ("13215", "13216", "13106", "13071"),
    "FT-MRS-CAPELETTE": ("13204", "13205", "13210", "13211", "13212"),
    "FT-MRS-PRADO": ("13206", "13207", "13208", "13209"),
    "FT-SALON": SALON_AREA,
    "FT-VITROLLES": ("13117", "13054", "13014", "13081", "13102", "13043", "13112", "13037"),
}
AGENCY_OF_ARRONDISSEMENT = {"131": "FT-AIX", "132": "FT-ARLES", "133": "FT-AUBAGNE", "134": "FT-MARTIGUES"}

CAF_AREAS = {"CAF-MARSEILLE-AUBAGNE": "CAF - Marseille et Pays d'Aubagne", "CAF-PROVENCE": "CAF - Provence"}
CAF_AREA_OF_ARRONDISSEMENT = {
    "131": "CAF-PROVENCE",
    "132": "CAF-PROVENCE",
    "133": "CAF-MARSEILLE-AUBAGNE",
    "134": "CAF-PROVENCE",
}

OTHER_SECTORS = {
    # code: (name, kind)
    "CCAS-MARSEILLE": ("Ville de Marseille (CCAS)", SectorKind.CCAS),
    "OPE-JARDINS-NORD": ("Zone d'intervention ACI Les Jardins du Nord", SectorKind.OPERATOR_AREA),
    "OPE-TREMPLIN-BERRE": ("Zone d'intervention Tremplin Étang de Berre", SectorKind.OPERATOR_AREA),
}
MARSEILLE_NORTH_ARRONDISSEMENTS = ("13213", "13214", "13215", "13216")


def _arrondissements():
    """{insee_code: administrative arrondissement} of the Département's communes (reference data file)."""
    with open(DATA_FILE, encoding="utf-8", newline="") as handle:
        return {row["insee_code"]: row["arrondissement"] for row in csv.DictReader(handle)}


def sector_communes():
    """{sector code: (name, kind, [insee codes])} for every demo sector, from the reference data."""
    arrondissement_of = _arrondissements()
    marseille = sorted(code for code in arrondissement_of if code.startswith("132"))
    overrides = {
        SectorKind.SOCIAL_ACTION_DISTRICT: DISTRICT_COMMUNES,
        SectorKind.FRANCE_TRAVAIL_AREA: AGENCY_COMMUNES,
    }
    defaults = {
        SectorKind.SOCIAL_ACTION_DISTRICT: DISTRICT_OF_ARRONDISSEMENT,
        SectorKind.FRANCE_TRAVAIL_AREA: AGENCY_OF_ARRONDISSEMENT,
        SectorKind.CAF_AREA: CAF_AREA_OF_ARRONDISSEMENT,
    }
    names = {
        **{code: (f"Circonscription {name}", SectorKind.SOCIAL_ACTION_DISTRICT) for code, name in DISTRICTS.items()},
        **{code: (f"Zone France Travail {name}", SectorKind.FRANCE_TRAVAIL_AREA) for code, name in AGENCIES.items()},
        **{code: (name, SectorKind.CAF_AREA) for code, name in CAF_AREAS.items()},
        **OTHER_SECTORS,
    }
    members = {code: [] for code in names}
    for kind, default_of in defaults.items():
        fixed = {insee: code for code, communes in overrides.get(kind, {}).items() for insee in communes}
        for insee, arrondissement in arrondissement_of.items():
            if insee == MARSEILLE_INSEE_CODE and kind != SectorKind.CAF_AREA:
                continue
            members[fixed.get(insee) or default_of[arrondissement]].append(insee)
    members["CCAS-MARSEILLE"] = [MARSEILLE_INSEE_CODE, *marseille]
    members["OPE-JARDINS-NORD"] = list(MARSEILLE_NORTH_ARRONDISSEMENTS)
    members["OPE-TREMPLIN-BERRE"] = ["13056", "13077", "13039", "13047", "13063"]
    return {code: (name, kind, sorted(members[code])) for code, (name, kind) in names.items()}


# Organisations -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrganisationSpec:
    code: str
    name: str
    type: str
    sectors: tuple = ()
    email: str = ""


ORGANISATIONS = (
    OrganisationSpec(
        DEPARTEMENT_CODE,
        "Département des Bouches-du-Rhône",
        OrganisationType.DEPARTEMENT,
        tuple(DISTRICTS),
        "insertion@demo.parcours.fr",
    ),
    *(
        OrganisationSpec(code, f"France Travail {name}", OrganisationType.FRANCE_TRAVAIL, (code,))
        for code, name in AGENCIES.items()
    ),
    OrganisationSpec("CAF13", "CAF des Bouches-du-Rhône", OrganisationType.CAF, tuple(CAF_AREAS)),
    OrganisationSpec("CCAS-MARSEILLE", "CCAS de la Ville de Marseille", OrganisationType.CCAS, ("CCAS-MARSEILLE",)),
    OrganisationSpec("ML-MARSEILLE", "Mission locale de Marseille", OrganisationType.MISSION_LOCALE),
    OrganisationSpec("CAP-EMPLOI-13", "Cap emploi 13", OrganisationType.CAP_EMPLOI),
    OrganisationSpec(
        "ACI-JARDINS-NORD",
        "ACI Les Jardins du Nord",
        OrganisationType.INSERTION_OPERATOR,
        ("OPE-JARDINS-NORD",),
    ),
    OrganisationSpec(
        "TREMPLIN-BERRE",
        "Association Tremplin Étang de Berre",
        OrganisationType.INSERTION_OPERATOR,
        ("OPE-TREMPLIN-BERRE",),
    ),
    OrganisationSpec("CRECHE-CALANQUETS", "Crèche AVIP Les Calanquets", OrganisationType.CHILDCARE_PROVIDER),
    OrganisationSpec("EMP-PROVENCE-LOGISTIQUE", "Provence Logistique Services", OrganisationType.EMPLOYER),
)


# People --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AccountSpec:
    """A named demo account, listed in docs/demo-accounts.md."""

    key: str
    first_name: str
    last_name: str
    organisation: str
    roles: tuple
    sees: str
    team: str = ""  # team key, as a member
    manages: str = ""  # team key, as its manager
    social_worker: bool = False
    staff: bool = False

    @property
    def email(self):
        return f"{self.key}@{DEMO_EMAIL_DOMAIN}"


ACCOUNTS = (
    AccountSpec(
        "referent",
        "Sophie",
        "Martinez",
        DEPARTEMENT_CODE,
        (Role.REFERENT,),
        "Les dossiers dont elle est la référente (une trentaine, orientés ou en accompagnement), ceux que suit "
        "son équipe et ceux où elle a enregistré quelque chose ; en travailleuse sociale, elle lit les parties "
        "sensibles des diagnostics.",
        team="CAS-MRS-SUD",
        social_worker=True,
    ),
    AccountSpec(
        "manager",
        "Christine",
        "Roux",
        DEPARTEMENT_CODE,
        (Role.MANAGER,),
        "Les dossiers que suivent les référents de l'équipe qu'elle encadre et ceux dont le Département est "
        "l'organisme référent de l'orientation en cours ; le pilotage (indicateurs, charge de ses référents) et le "
        "rapport COPIL.",
        manages="CAS-MRS-SUD",
    ),
    AccountSpec(
        "orientation",
        "Nadia",
        "Haddad",
        DEPARTEMENT_CODE,
        (Role.ORIENTATION_OFFICER,),
        "Arrive sur la file des dossiers non affectés ; voit tous les dossiers des huit circonscriptions, dont "
        "ceux qui attendent leur orientation (certains depuis plus de six semaines).",
        team="ORIENTATION-CD13",
    ),
    AccountSpec(
        "conseiller.ft",
        "Julien",
        "Ferrand",
        "FT-MRS-BELLE-DE-MAI",
        (Role.REFERENT,),
        "Les dossiers dont il est le référent (une trentaine, en parcours emploi), ceux que suit son équipe "
        "d'agence et ceux où il a enregistré quelque chose ; pas travailleur social : il sait qu'un détail "
        "sensible existe sans le lire.",
        team="FT-MRS-BELLE-DE-MAI",
    ),
    AccountSpec(
        "manager.ft",
        "Sandrine",
        "Blanc",
        "FT-MRS-BELLE-DE-MAI",
        (Role.MANAGER,),
        "Les dossiers que suivent les conseillers de l'équipe qu'elle encadre et ceux dont son agence est "
        "l'organisme référent.",
        manages="FT-MRS-BELLE-DE-MAI",
    ),
    AccountSpec(
        "orientation.ft",
        "Marc",
        "Olivieri",
        "FT-MRS-BELLE-DE-MAI",
        (Role.ORIENTATION_OFFICER,),
        "Les dossiers des communes de la zone de son agence (Marseille 1er, 2e et 3e), quelle que soit "
        "la circonscription, et ceux dont son agence est l'organisme référent.",
    ),
    AccountSpec(
        "ccas",
        "Fatima",
        "Cherif",
        "CCAS-MARSEILLE",
        (Role.REFERENT,),
        "Les dossiers dont elle est la référente (ceux que l'orientation confie au CCAS) et ceux où elle a "
        "enregistré quelque chose.",
        team="CCAS-MARSEILLE",
        social_worker=True,
    ),
    AccountSpec(
        "caf",
        "Karim",
        "Meziane",
        "CAF13",
        (Role.CAF_AGENT,),
        "Les dossiers où il a enregistré quelque chose : ceux qu'il a créés et ceux de ses entretiens "
        "d'accès aux droits ; sans le dossier, les demandes de garde AVIP de ses territoires dont il vérifie "
        "l'éligibilité.",
    ),
    AccountSpec(
        "coordination.avip",
        "Laure",
        "Vidal",
        "CAF13",
        (Role.CHILDCARE_COORDINATOR,),
        "Aucun dossier : arrive sur la liste de travail de la garde d'enfants (demandes éligibles de ses territoires "
        "CAF, urgences d'abord avec le temps restant, accueils à revoir à 6 mois) et tient les structures de garde ; "
        "d'une demande, elle ne voit que ce qu'il faut pour placer.",
    ),
    AccountSpec(
        "creche",
        "Amandine",
        "Costa",
        "CRECHE-CALANQUETS",
        (Role.CHILDCARE_COORDINATOR,),
        "Aucun dossier : arrive sur la liste de travail de la garde d'enfants (demandes éligibles des circonscriptions "
        "que sert sa crèche, accueils de la crèche et leurs bilans) et tient la fiche de sa crèche ; d'une demande, "
        "elle ne voit que ce qu'il faut pour placer.",
    ),
    AccountSpec(
        "operateur",
        "Thomas",
        "Giraud",
        "ACI-JARDINS-NORD",
        (Role.OPERATOR,),
        "Arrive sur les prescriptions faites sur les actions de sa structure : il les accepte ou les refuse avec "
        "un motif, saisit l'assiduité et l'issue ; ne voit des personnes que ce qu'il faut pour les accueillir "
        "(jamais le dossier). Tient à jour les services et les actions de sa structure dans l'annuaire et "
        "l'offre d'insertion.",
    ),
    AccountSpec(
        "copil",
        "Philippe",
        "Arnaud",
        DEPARTEMENT_CODE,
        (Role.COPIL,),
        "Aucun dossier nominatif (404 sur toute page nominative) : arrive sur l'accueil du COPIL (réunions, actions "
        "ouvertes dont deux en retard, conventions à renouveler) ; voit toutes les conventions, saisit les réunions, "
        "lit le pilotage et télécharge ou fige le rapport COPIL (PDF, JSON).",
    ),
    AccountSpec(
        "dpo",
        "Isabelle",
        "Fabre",
        DEPARTEMENT_CODE,
        (Role.DPO,),
        "Aucun dossier : arrive sur le journal d'accès.",
    ),
    AccountSpec(
        "admin",
        "Éric",
        "Lambert",
        DEPARTEMENT_CODE,
        (Role.ADMIN,),
        "Aucun dossier : arrive sur l'administration (organisations, secteurs, équipes, utilisateurs).",
        staff=True,
    ),
)

# Staff generated around the named accounts, so that every district and agency has a working team.
REFERENTS_PER_DISTRICT_TEAM = 3
COUNSELLORS_PER_AGENCY_TEAM = 2


@dataclass(frozen=True)
class TeamSpec:
    key: str
    organisation: str
    name: str
    sector: str = ""  # the sector the team works on


TEAMS = (
    *(TeamSpec(code, DEPARTEMENT_CODE, f"Insertion {name}", code) for code, name in DISTRICTS.items()),
    TeamSpec("ORIENTATION-CD13", DEPARTEMENT_CODE, "Cellule d'orientation RSA"),
    *(TeamSpec(code, code, f"Accompagnement global {name}", code) for code, name in AGENCIES.items()),
    TeamSpec("CCAS-MARSEILLE", "CCAS-MARSEILLE", "Service insertion du CCAS", "CCAS-MARSEILLE"),
)


def _slug(code):
    return code.lower().removeprefix("cas-")


def generated_accounts(faker):
    """Managers and members of every team that the named accounts leave empty."""
    named_members = {spec.team for spec in ACCOUNTS if spec.team}
    named_managers = {spec.manages for spec in ACCOUNTS if spec.manages}
    accounts = []

    def person(key, organisation, roles, **extra):
        sex = faker.random_element(("F", "M"))
        first_name = faker.first_name_female() if sex == "F" else faker.first_name_male()
        accounts.append(AccountSpec(key, first_name, faker.last_name(), organisation, roles, sees="", **extra))

    for team in TEAMS:
        if not team.sector or team.organisation == "CCAS-MARSEILLE":
            continue
        departement = team.organisation == DEPARTEMENT_CODE
        slug = _slug(team.key)
        if team.key not in named_managers:
            person(f"manager.{slug}", team.organisation, (Role.MANAGER,), manages=team.key)
        wanted = REFERENTS_PER_DISTRICT_TEAM if departement else COUNSELLORS_PER_AGENCY_TEAM
        wanted -= 1 if team.key in named_members else 0
        for number in range(1, wanted + 1):
            person(
                f"referent.{slug}.{number}",
                team.organisation,
                (Role.REFERENT,),
                team=team.key,
                social_worker=departement,
            )
    person("orientation.cd13.2", DEPARTEMENT_CODE, (Role.ORIENTATION_OFFICER,), team="ORIENTATION-CD13")
    return accounts


# Seeding -------------------------------------------------------------------------------------------------
def demo_users():
    return User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")


def exists():
    return demo_users().exists()


def reset(context):
    """Removes the demo teams and the demo users. A user that something still protects (the audit log,
    which is append-only, names users by id) is kept, deactivated, and re-used by `seed()`; organisations
    and sectors are upserted by code, so they stay."""
    reset_partnerships()
    users = demo_users()
    Team.objects.filter(Q(organisation__code__in=[spec.code for spec in ORGANISATIONS]) | Q(manager__in=users)).delete()
    for user in users:
        try:
            with transaction.atomic():
                user.delete()
        except ProtectedError:
            User.objects.filter(pk=user.pk).update(is_active=False)


def _seed_sectors(context):
    definitions = sector_communes()
    for code, (name, kind, _) in definitions.items():
        context.sectors[code], _ = Sector.objects.update_or_create(code=code, defaults={"name": name, "kind": kind})
    SectorCommune.objects.filter(sector__code__in=list(definitions)).delete()
    SectorCommune.objects.bulk_create(
        [
            SectorCommune(sector=context.sectors[code], commune_id=insee, kind=kind)
            for code, (_, kind, communes) in definitions.items()
            for insee in communes
        ]
    )
    context.summary["secteurs"] = len(definitions)


def _seed_organisations(context):
    for spec in ORGANISATIONS:
        organisation, _ = Organisation.objects.update_or_create(
            code=spec.code, defaults={"name": spec.name, "type": spec.type, "email": spec.email}
        )
        organisation.sectors.set([context.sectors[code] for code in spec.sectors])
        context.organisations[spec.code] = organisation
    context.summary["organisations"] = len(ORGANISATIONS)


def _seed_users(context, accounts):
    password = make_password(DEMO_PASSWORD)  # hashed once, shared by every demo account
    existing = {user.email: user for user in demo_users()}
    for spec in accounts:
        user = existing.get(spec.email) or User(email=spec.email)
        user.first_name, user.last_name = spec.first_name, spec.last_name
        user.organisation = context.organisations[spec.organisation]
        user.is_social_worker = spec.social_worker
        user.is_staff = spec.staff
        user.is_superuser = False
        user.is_active = True
        user.password = password
        user.save()
        user.set_roles(spec.roles)
        context.users[spec.key] = user
    context.summary["utilisateurs"] = len(accounts)


def _seed_teams(context, accounts):
    for spec in TEAMS:
        manager_key = next((a.key for a in accounts if a.manages == spec.key), None)
        team, _ = Team.objects.update_or_create(
            organisation=context.organisations[spec.organisation],
            name=spec.name,
            defaults={"manager": context.users.get(manager_key)},
        )
        team.members.set([context.users[a.key] for a in accounts if a.team == spec.key])
        context.teams[spec.key] = team
    context.summary["équipes"] = len(TEAMS)


def seed(context):
    accounts = [*ACCOUNTS, *generated_accounts(context.faker)]
    _seed_sectors(context)
    _seed_organisations(context)
    _seed_users(context, accounts)
    _seed_teams(context, accounts)
    seed_partnerships(context)
    context.extra["team_sector"] = {spec.key: spec.sector for spec in TEAMS}
    context.extra["named_accounts"] = [spec.key for spec in ACCOUNTS]


# Documentation -------------------------------------------------------------------------------------------
def accounts_markdown():
    """The table of docs/demo-accounts.md (a test keeps the file in step with ACCOUNTS)."""
    organisations = {spec.code: spec.name for spec in ORGANISATIONS}
    teams = {spec.key: spec.name for spec in TEAMS}
    labels = dict(Role.choices)
    lines = [
        "| e-mail | rôle | organisation (équipe) | ce qu'il voit à ce stade |",
        "|---|---|---|---|",
    ]
    for spec in ACCOUNTS:
        role = ", ".join(labels[role] for role in spec.roles)
        if spec.social_worker:
            role += " (travailleur social)"
        where = organisations[spec.organisation]
        if spec.manages:
            where += f" (responsable de l'équipe {teams[spec.manages]})"
        elif spec.team:
            where += f" (équipe {teams[spec.team]})"
        lines.append(f"| `{spec.email}` | {role} | {where} | {spec.sees} |")
    return "\n".join(lines) + "\n"
