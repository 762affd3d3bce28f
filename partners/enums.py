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
