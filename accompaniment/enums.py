from django.db import models


class FundType(models.TextChoices):
    CAF = "CAF", "CAF"
    MSA = "MSA", "MSA"


class RightsState(models.TextChoices):
    """ETATDOSRSA codes of the CAF flux."""

    NEW_CLAIM = "0", "Nouvelle demande en attente"
    REFUSED = "1", "Droit refusé"
    OPEN_PAYABLE = "2", "Droit ouvert et versable"
    OPEN_SUSPENDED = "3", "Droit ouvert et suspendu"
    PAYMENT_SUSPENDED = "4", "Droit ouvert, versement suspendu"
    CLOSED = "5", "Droit clos"
    CLOSED_PREVIOUS_MONTH = "6", "Droit clos le mois précédent"


OPEN_RIGHTS_STATES = (RightsState.OPEN_PAYABLE, RightsState.OPEN_SUSPENDED, RightsState.PAYMENT_SUSPENDED)


class Sex(models.TextChoices):
    FEMALE = "F", "Femme"
    MALE = "M", "Homme"


class MemberRole(models.TextChoices):
    APPLICANT = "DEM", "Demandeur"
    SPOUSE = "CJT", "Conjoint"
    CHILD = "ENF", "Enfant"
    OTHER = "AUT", "Autre personne du foyer"


class FileOrigin(models.TextChoices):
    FLUX = "flux", "Flux CAF/MSA"
    MANUAL = "manual", "Saisie manuelle"
    API = "api", "API"


class Status(models.TextChoices):
    """The derived status of a file (SPEC §2): never typed, always computed."""

    OUT_OF_SCOPE = "out_of_scope", "Hors champ"
    TO_ORIENT = "to_orient", "À orienter"
    ORIENTED = "oriented", "Orienté"
    IN_ACCOMPANIMENT = "in_accompaniment", "En accompagnement"
    EXITED = "exited", "Sorti"
