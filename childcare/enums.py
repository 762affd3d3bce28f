"""Choices of the childcare (AVIP) app: ASCII values, French labels, and the named delays."""

from django.db import models

# A parent contract lasts 6 months, renewable after a review at 6 months (SPEC §3).
CONTRACT_MONTHS = 6
# Children under 10 for home care and childminders, under 3 for crèches (SPEC §3).
MAX_CHILD_AGE_YEARS = 10
MAX_CRECHE_AGE_YEARS = 3
# An emergency is answered within 24 hours (the rule `childcare_24h`, data in the deadline engine).
EMERGENCY_ANSWER_HOURS = 24


class ProviderKind(models.TextChoices):
    CRECHE = "creche", "Crèche AVIP"
    CHILDMINDER = "assistant_maternel", "Assistant(e) maternel(le) AVIP"
    HOME_HELP = "aide_domicile", "Service d'aide à domicile (garde d'urgence)"


class RequestKind(models.TextChoices):
    URGENCE = "urgence", "Urgence (garde à domicile sous 24 heures)"
    OCCASIONNEL = "occasionnel", "Accueil occasionnel"
    PERENNE = "perenne", "Accueil pérenne"


class Purpose(models.TextChoices):
    ENTRETIEN = "entretien", "Entretien (embauche, France Travail, accompagnement)"
    FORMATION = "formation", "Formation"
    EMPLOI = "emploi", "Reprise d'emploi"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Éligibilité à vérifier (CAF)"
    ELIGIBLE = "eligible", "Éligible, en attente de place"
    PLACED = "placed", "Accueil proposé"
    INELIGIBLE = "ineligible", "Non éligible (CAF)"
    DECLINED = "declined", "Refusée par la coordination"


OPEN_REQUEST_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.ELIGIBLE)


class ReviewDecision(models.TextChoices):
    RENEW = "renew", "Renouveler pour 6 mois"
    END = "end", "Mettre fin à l'accueil"


class Outcome(models.TextChoices):
    EMPLOYMENT = "emploi", "Emploi"
    TRAINING = "formation", "Formation"
    SEARCHING = "recherche", "Toujours en recherche"
    OTHER = "autre", "Autre"


# A family counted once under its best outcome (COPIL figures).
OUTCOME_RANK = {Outcome.EMPLOYMENT: 0, Outcome.TRAINING: 1, Outcome.SEARCHING: 2, Outcome.OTHER: 3}
