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


class InterviewKind(models.TextChoices):
    CAF_RIGHTS = "caf_rights", "Accès aux droits CAF (entretien giratoire)"
    DIAGNOSTIC = "diagnostic", "Diagnostic"
    TRIPARTITE = "tripartite", "Entretien tripartite"
    ACCOMPANIMENT = "accompaniment", "Entretien d'accompagnement"
    FOLLOW_UP = "follow_up", "Entretien de suivi"
    REVIEW = "review", "Bilan"


# Interviews that open (or continue) an accompaniment episode; the others come before it.
ACCOMPANIMENT_INTERVIEW_KINDS = (InterviewKind.ACCOMPANIMENT, InterviewKind.FOLLOW_UP, InterviewKind.REVIEW)


class InterviewStatus(models.TextChoices):
    PLANNED = "planned", "Prévu"
    HELD = "held", "Tenu"
    EXCUSED = "excused", "Absence excusée"
    NO_SHOW = "no_show", "Absence non excusée"
    CANCELLED = "cancelled", "Annulé"


class InterviewMedium(models.TextChoices):
    IN_PERSON = "in_person", "En présentiel"
    PHONE = "phone", "Par téléphone"
    VIDEO = "video", "En visioconférence"


class ComplementaryRight(models.TextChoices):
    PRIME_ACTIVITE = "prime_activite", "Prime d'activité"
    APL = "apl", "Aide au logement"
    CSS = "css", "Complémentaire santé solidaire"
    FAMILY_ALLOWANCES = "family_allowances", "Prestations familiales"
    AAH = "aah", "Allocation aux adultes handicapés"
    CMG = "cmg", "Complément de libre choix du mode de garde"
    ENERGY = "energy", "Chèque énergie / tarifs sociaux"
    OTHER = "other", "Autre droit"


class ContractKind(models.TextChoices):
    CE = "ce", "Contrat d'engagement"
    CER = "cer", "Contrat d'engagements réciproques (CER, ancien régime)"
    PPAE = "ppae", "Projet personnalisé d'accès à l'emploi (PPAE, ancien régime)"


DEFAULT_WEEKLY_HOURS = 15
MAX_WEEKLY_HOURS = 20
# A contract's end is suggested this many calendar months after its start.
DEFAULT_CONTRACT_MONTHS = 6
# At most this many steps in a contract's progressive plan.
MAX_HOURS_STEPS = 3
# Plausible bounds of an activity's planned hours per week and of the hours done in a week.
MAX_ACTIVITY_WEEKLY_HOURS = 35
MAX_HOURS_DONE_PER_WEEK = 60


class HoursReductionReason(models.TextChoices):
    HEALTH = "health", "Santé"
    DISABILITY = "disability", "Handicap"
    SINGLE_PARENT_NO_CHILDCARE = "single_parent_no_childcare", "Parent isolé sans solution de garde"
    OTHER = "other", "Autre motif"


class ActivityKind(models.TextChoices):
    TRAINING = "training", "Formation"
    IMMERSION = "immersion", "Immersion en entreprise (PMSMP)"
    WORKPLACE_VISIT = "workplace_visit", "Visite d'entreprise"
    WORKSHOP = "workshop", "Atelier collectif"
    JOB_FAIR = "job_fair", "Forum, salon de l'emploi"
    CV_WORKSHOP = "cv_workshop", "Atelier CV et candidature"
    MOBILITY_WORKSHOP = "mobility_workshop", "Atelier mobilité"
    HOUSING_WORKSHOP = "housing_workshop", "Atelier logement"
    HEALTH_WORKSHOP = "health_workshop", "Atelier santé"
    CHILDCARE_WORKSHOP = "childcare_workshop", "Atelier garde d'enfants"
    JOB_SEARCH = "job_search", "Recherche d'emploi"
    VOLUNTEERING = "volunteering", "Bénévolat, engagement citoyen"
    OTHER = "other", "Autre activité"


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", "Prévue"
    IN_PROGRESS = "in_progress", "En cours"
    DONE = "done", "Réalisée"
    ABANDONED = "abandoned", "Abandonnée"


# The moves an activity's status may make. A done activity is final; an abandoned one may resume.
ACTIVITY_TRANSITIONS = {
    ActivityStatus.PLANNED: (ActivityStatus.IN_PROGRESS, ActivityStatus.DONE, ActivityStatus.ABANDONED),
    ActivityStatus.IN_PROGRESS: (ActivityStatus.DONE, ActivityStatus.ABANDONED),
    ActivityStatus.ABANDONED: (ActivityStatus.IN_PROGRESS,),
    ActivityStatus.DONE: (),
}
# Statuses that end an activity: its planned hours stop counting after the date of the change.
ACTIVITY_CLOSED_STATUSES = (ActivityStatus.DONE, ActivityStatus.ABANDONED)


class ExitReason(models.TextChoices):
    EMPLOI_DURABLE = "emploi_durable", "Emploi durable (CDI, CDD ou intérim de 6 mois et plus, création d'entreprise)"
    EMPLOI_TRANSITION = "emploi_transition", "Emploi de transition"
    FORMATION = "formation", "Formation qualifiante"
    AUTRE_ACCOMPAGNEMENT = "autre_accompagnement", "Autre accompagnement France Travail"
    DEMENAGEMENT = "demenagement", "Déménagement"
    FIN_DROITS = "fin_droits", "Fin de droits"
    ABANDON = "abandon", "Abandon"
    AUTRE = "autre", "Autre motif"


POSITIVE_EXIT_REASONS = (ExitReason.EMPLOI_DURABLE, ExitReason.EMPLOI_TRANSITION, ExitReason.FORMATION)
# Reasons that can close a file that never entered accompaniment.
EXIT_REASONS_WITHOUT_EPISODE = (ExitReason.DEMENAGEMENT, ExitReason.FIN_DROITS, ExitReason.ABANDON, ExitReason.AUTRE)


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "En préparation"
    READY = "ready", "Prêt"
    FAILED = "failed", "Échec"
    EXPIRED = "expired", "Expiré"


def exit_reasons_for(*, in_accompaniment):
    """The exit reasons a file may take: every reason during an accompaniment episode, otherwise only those
    that close a file that never entered accompaniment (SPEC §2 step 9)."""
    return tuple(ExitReason) if in_accompaniment else EXIT_REASONS_WITHOUT_EPISODE


# Data exchange -------------------------------------------------------------------------------------------
class ImportKind(models.TextChoices):
    CAF = "caf", "Flux CAF (VRSB0801)"
    MSA = "msa", "Flux MSA (VRSB0801)"
    FRANCE_TRAVAIL = "france_travail", "Extrait France Travail"


FLUX_IMPORT_KINDS = (ImportKind.CAF, ImportKind.MSA)


class FluxType(models.TextChoices):
    """TYPEFLUX of the VRSB0801 flux."""

    MONTHLY = "M", "Mensuel"
    DAILY = "I", "Quotidien"


class ImportStatus(models.TextChoices):
    RECEIVED = "received", "Reçu, en attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    DUPLICATE = "duplicate", "Déjà importé : rien n'a changé"
    REFUSED = "refused", "Refusé : fichier illisible"
    FAILED = "failed", "Interrompu par une erreur"


FINISHED_IMPORT_STATUSES = (ImportStatus.DONE, ImportStatus.DUPLICATE, ImportStatus.REFUSED, ImportStatus.FAILED)


class FranceTravailCategory(models.TextChoices):
    """`categorie_inscription` of the France Travail extract."""

    CAT_1 = "1", "Catégorie 1"
    CAT_2 = "2", "Catégorie 2"
    CAT_3 = "3", "Catégorie 3"
    CAT_4 = "4", "Catégorie 4"
    CAT_5 = "5", "Catégorie 5"


class FranceTravailModality(models.TextChoices):
    """`modalite_accompagnement`: the intensity of France Travail's accompaniment."""

    SUIVI = "SUIVI", "Suivi"
    GUIDE = "GUIDE", "Guidé"
    RENFORCE = "RENFORCE", "Renforcé"
    GLOBAL = "GLOBAL", "Accompagnement global"


class FranceTravailBarrier(models.TextChoices):
    """Barriers flagged by France Travail (the extract's `dif_*` columns)."""

    FINANCIAL = "financial", "Difficultés financières"
    ADMINISTRATIVE_LEGAL = "administrative_legal", "Difficultés administratives ou juridiques"
    HEALTH = "health", "Santé"
    HOUSING = "housing", "Logement"
    MOBILITY = "mobility", "Transport, mobilité"
    SOCIAL_COMMUNICATION = "social_communication", "Insertion sociale, communication"
    FAMILY = "family", "Contraintes familiales"


class ReviewReason(models.TextChoices):
    NO_MATCH = "no_match", "Aucun dossier ne correspond"
    AMBIGUOUS = "ambiguous", "Plusieurs dossiers correspondent"
    ALREADY_LINKED = "already_linked", "Le dossier correspondant porte un autre identifiant France Travail"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "À rapprocher"
    LINKED = "linked", "Rattachée à un dossier"
    DISMISSED = "dismissed", "Écartée"


# Deadlines (SPEC §5) ----------------------------------------------------------------------------------------
class DeadlineState(models.TextChoices):
    PENDING = "pending", "En cours"
    DUE_SOON = "due_soon", "Échéance proche"
    OVERDUE = "overdue", "En retard"
    MET = "met", "Respecté"
    MET_LATE = "met_late", "Respecté en retard"
    CANCELLED = "cancelled", "Annulé"


# States a deadline can still leave; the others are final.
OPEN_DEADLINE_STATES = (DeadlineState.PENDING, DeadlineState.DUE_SOON, DeadlineState.OVERDUE)


class DelayUnit(models.TextChoices):
    DAYS = "days", "jours"
    MONTHS = "months", "mois calendaires"
    HOURS = "hours", "heures"


class WarningUnit(models.TextChoices):
    DAYS = "days", "jours"
    HOURS = "hours", "heures"


class AlertKind(models.TextChoices):
    """An alert is raised once when a deadline turns `due_soon` and once when it turns `overdue`."""

    DUE_SOON = DeadlineState.DUE_SOON.value, "Échéance proche"
    OVERDUE = DeadlineState.OVERDUE.value, "Échéance dépassée"


class NotificationQueue(models.TextChoices):
    """A shared list that stands for a group of users (one row per alert, not one per user)."""

    ORIENTATION = "orientation", "File d'orientation du secteur"


# A clock restarted on a new start date (a new flux date, a new rights opening, a new contract…).
DEADLINE_RESTARTED = "restarted"
DEADLINE_RESTARTED_LABEL = "Délai relancé (nouvelle date de départ)"
