import datetime

from django.db import models


class BarrierCategoryCode(models.TextChoices):
    """The eight categories of "freins périphériques" (SPEC §2 step 3)."""

    MOBILITY = "mobility", "Mobilité"
    FAMILY = "family", "Contraintes familiales et garde d'enfants"
    HEALTH = "health", "Santé"
    LITERACY = "literacy", "Maîtrise du français, lecture, écriture, calcul"
    HOUSING = "housing", "Logement"
    FINANCES = "finances", "Difficultés financières"
    ADMINISTRATIVE = "administrative", "Difficultés administratives et juridiques"
    DIGITAL = "digital", "Numérique"


# Categories whose comments are sensitive: readable only by social workers (SPEC §1).
SENSITIVE_CATEGORIES = (BarrierCategoryCode.HEALTH, BarrierCategoryCode.FAMILY)


class BarrierLevel(models.TextChoices):
    STRONG = "strong", "Frein fort"
    MEDIUM = "medium", "Frein moyen"
    NONE = "none", "Pas de frein"
    NOT_ADDRESSED = "not_addressed", "Non abordé"


BARRIER_LEVEL_RANK = {
    BarrierLevel.STRONG: 0,
    BarrierLevel.MEDIUM: 1,
    BarrierLevel.NONE: 2,
    BarrierLevel.NOT_ADDRESSED: 3,
}


class Pathway(models.TextChoices):
    EMPLOI = "emploi", "Emploi"
    SOCIAL_PRO = "social_pro", "Socio-professionnel"
    REMOBILISATION = "remobilisation", "Remobilisation (parcours social)"


class EmploymentSituation(models.TextChoices):
    NEVER_WORKED = "never_worked", "N'a jamais travaillé"
    NO_WORK_OVER_2_YEARS = "no_work_over_2_years", "Sans emploi depuis plus de 2 ans"
    NO_WORK_UNDER_2_YEARS = "no_work_under_2_years", "Sans emploi depuis moins de 2 ans"
    PART_TIME = "part_time", "En emploi à temps partiel"
    IN_TRAINING = "in_training", "En formation"
    SELF_EMPLOYED = "self_employed", "Travailleur indépendant"


class QualificationLevel(models.TextChoices):
    NONE = "none", "Sans diplôme"
    LEVEL_3 = "3", "Niveau 3 (CAP, BEP)"
    LEVEL_4 = "4", "Niveau 4 (baccalauréat)"
    LEVEL_5 = "5", "Niveau 5 (bac + 2)"
    LEVEL_6 = "6", "Niveau 6 (licence, bac + 3)"
    LEVEL_7_8 = "7", "Niveau 7 ou 8 (master, doctorat)"
    UNKNOWN = "unknown", "Non renseigné"


class OrientationEndReason(models.TextChoices):
    REORIENTATION = "reorientation", "Réorientation"
    EXIT = "exit", "Sortie du dispositif"
    RIGHTS_CLOSED = "rights_closed", "Fin de droits"
    ERROR = "error", "Décision saisie par erreur"


# The directory of social resources and the insertion offer (SPEC §4) ---------------------------------------
class ActionAxis(models.TextChoices):
    """The six axes of the Département's call for projects (Nord)."""

    STRAIGHT_TO_WORK = "straight_to_work", "Aller directement vers l'emploi"
    PREPARE = "prepare", "Se préparer à l'emploi"
    MOBILISE = "mobilise", "Se mobiliser"
    PROJECT = "project", "Définir et réaliser son projet"
    LIFT_BARRIERS = "lift_barriers", "Lever les freins"
    SOCIAL_INCLUSION = "social_inclusion", "Inclusion sociale"


class PrescriptionStatus(models.TextChoices):
    PENDING = "pending", "En attente de réponse"
    ACCEPTED = "accepted", "Acceptée"
    REFUSED = "refused", "Refusée"
    EXPIRED = "expired", "Expirée sans réponse"


class RefusalReason(models.TextChoices):
    FULL = "full", "Plus de place sur la session"
    NOT_ELIGIBLE = "not_eligible", "Ne remplit pas les conditions d'accès"
    UNREACHABLE = "unreachable", "Personne injoignable"
    DECLINED = "declined", "La personne ne souhaite pas suivre l'action"
    OTHER = "other", "Autre motif"


class Attendance(models.TextChoices):
    ATTENDED = "attended", "Présente à l'action"
    PARTIAL = "partial", "Assiduité partielle"
    ABSENT = "absent", "Absente, ne s'est pas présentée"


class PrescriptionOutcome(models.TextChoices):
    COMPLETED = "completed", "Action menée à son terme"
    EMPLOYMENT = "employment", "Accès à l'emploi"
    TRAINING = "training", "Entrée en formation"
    DROPPED = "dropped", "Abandon en cours d'action"
    OTHER = "other", "Autre issue"


# A prescription waiting for an answer holds its place this long, then expires.
PRESCRIPTION_ANSWER_DELAY = datetime.timedelta(days=7)
# Barrier levels the file proposes services for.
PROPOSED_LEVELS = (BarrierLevel.STRONG, BarrierLevel.MEDIUM)
