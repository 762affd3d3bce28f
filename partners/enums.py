from django.db import models


class CommuneKind(models.TextChoices):
    COMMUNE = "commune", "Commune"
    ARRONDISSEMENT = "arrondissement_municipal", "Arrondissement municipal"


class SectorKind(models.TextChoices):
    # The Département's social-action districts are the primary kind: "the file's sector".
    SOCIAL_ACTION_DISTRICT = "social_action_district", "Circonscription d'action sociale"
    FRANCE_TRAVAIL_AREA = "france_travail_area", "Zone d'agence France Travail"
    CAF_AREA = "caf_area", "Territoire CAF"
    CCAS = "ccas", "Commune du CCAS"
    OPERATOR_AREA = "operator_area", "Zone d'intervention d'un opérateur"


PRIMARY_SECTOR_KIND = SectorKind.SOCIAL_ACTION_DISTRICT


class OrganisationType(models.TextChoices):
    DEPARTEMENT = "departement", "Département"
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    CAF = "caf", "CAF"
    MSA = "msa", "MSA"
    CCAS = "ccas", "CCAS"
    MISSION_LOCALE = "mission_locale", "Mission locale"
    CAP_EMPLOI = "cap_emploi", "Cap emploi"
    INSERTION_OPERATOR = "insertion_operator", "Opérateur d'insertion (SIAE, association)"
    CHILDCARE_PROVIDER = "childcare_provider", "Structure de garde d'enfants"
    EMPLOYER = "employer", "Employeur"
    REGION = "region", "Région"


# The kind of sector an organisation is scoped by.
SECTOR_KIND_OF_ORGANISATION_TYPE = {
    OrganisationType.DEPARTEMENT: SectorKind.SOCIAL_ACTION_DISTRICT,
    OrganisationType.FRANCE_TRAVAIL: SectorKind.FRANCE_TRAVAIL_AREA,
    OrganisationType.CAF: SectorKind.CAF_AREA,
    OrganisationType.MSA: SectorKind.CAF_AREA,
    OrganisationType.CCAS: SectorKind.CCAS,
}


class Role(models.TextChoices):
    REFERENT = "referent", "Référent de parcours"
    ORIENTATION_OFFICER = "orientation_officer", "Chargé d'orientation"
    MANAGER = "manager", "Responsable d'équipe"
    CAF_AGENT = "caf_agent", "Agent CAF"
    CHILDCARE_COORDINATOR = "childcare_coordinator", "Coordinateur garde d'enfants"
    OPERATOR = "operator", "Opérateur d'insertion"
    COPIL = "copil", "Membre du COPIL"
    DPO = "dpo", "Délégué à la protection des données"
    ADMIN = "admin", "Administrateur fonctionnel"


# Conventions and COPIL meetings (SPEC §4) ----------------------------------------------------------------
class ConventionKind(models.TextChoices):
    BILATERAL = "bilateral", "Bilatérale"
    MULTI_PARTY = "multi_party", "Multipartite"
    TERRITORIAL = "territorial", "Territoriale"


class ConventionStatus(models.TextChoices):
    """Derived from the dates, never typed (`Convention.status_on`)."""

    DRAFT = "draft", "En projet"
    SIGNED = "signed", "Signée, pas encore en vigueur"
    ACTIVE = "active", "En vigueur"
    EXPIRED = "expired", "Échue"
    TERMINATED = "terminated", "Résiliée"


class RenewalMode(models.TextChoices):
    TACIT = "tacit", "Tacite reconduction"
    EXPLICIT = "explicit", "Renouvellement exprès"
    NONE = "none", "Sans renouvellement"


class CopilActionStatus(models.TextChoices):
    OPEN = "open", "À faire"
    IN_PROGRESS = "in_progress", "En cours"
    DONE = "done", "Réalisée"
    DROPPED = "dropped", "Abandonnée"


OPEN_COPIL_ACTION_STATUSES = (CopilActionStatus.OPEN, CopilActionStatus.IN_PROGRESS)

# The renewal alert comes this long before a convention's end date (SPEC §5, rule `convention_renewal`).
CONVENTION_RENEWAL_WARNING_DAYS = 90
# The renewal alert goes to a convention's owners: at most this many follow one convention.
MAX_CONVENTION_OWNERS = 5
# Documents attached to a convention: PDF only, at most this size.
CONVENTION_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
