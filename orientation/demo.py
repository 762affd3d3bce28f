"""Demo data, the journey step: a year of history for the files of the accompaniment step.

Run by `manage.py seed_demo` after the accompaniment step (the runner is `accompaniment.demo`). Every file
subject to rights and duties gets a journey that depends on how long ago its rights opened, drawn so that
the data keep the rules the services enforce:

- a CAF rights interview within 7 days of the rights opening for some (complementary rights for 1 in 5);
- a diagnostic a few days before the orientation (a third tripartite: a France Travail counsellor and a
  Département insertion worker), with a level per barrier category and a suggested pathway;
- the orientation decided a few weeks after the flux date (some well past the 6 weeks, some files still
  waiting), `emploi` 45 % / `social_pro` 35 % / `remobilisation` 20 %, led by the France Travail agency of
  the file's area (`emploi`) or the Département (sometimes the CCAS in Marseille), notified days later;
- a referent of the lead organisation's team for the file's territory (some late, some not yet named),
  now and then replaced by a colleague;
- interviews every few weeks (some missed, excused or cancelled; the next one planned), the episode opened
  by the first held accompaniment interview, a contract signed at the first or second one (15 h, some
  progressive up to 20 h, some reduced with a reason) with 1 to 4 activities, hours done for a sample;
- some reorientations (the closed orientation keeps its reason), exits with realistic reasons, a few
  re-entries; the journey of a file whose right closed ends on the closing date with a `fin_droits` exit.

Each file's journey comes from its own random stream (seeded by the file's rank, so that the same seed
gives the same data): first a `Journey` whose people are roles, then resolved to users and written by
`TableWriter`s, PostgreSQL's COPY, with the foreign keys checked once at the end. No model method runs,
so nothing is audited: demo data is not an agent's action.

The named referents of the README see a meaningful caseload at the default size: `SHOWCASE_CASELOADS`
makes each the current referent of a few dozen files of their own territory first, then of the rest of
Marseille when their territory has too few (their organisation then leads those files). One of those files
was oriented about two weeks before the demo's day, its referent named and its first interview booked in the
days to come (`JourneyDrawer.draw_recent`): whatever the day of the demo, each named referent has a file whose
`entry_15d` deadline is due soon, beside the late ones the history leaves.
"""

import datetime
import random
import time
from bisect import bisect
from collections import defaultdict
from decimal import Decimal
from itertools import accumulate

from django.db import connection
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone

from accompaniment.demo import PARIS, TableWriter, foreign_keys_checked_once
from accompaniment.enums import (
    ActivityKind,
    ActivityStatus,
    ComplementaryRight,
    ContractKind,
    ExitReason,
    HoursReductionReason,
    InterviewKind,
    InterviewMedium,
    InterviewStatus,
    MemberRole,
    RightsState,
    Status,
)
from accompaniment.models import (
    OUT_OF_SCOPE_RIGHTS_STATES,
    Activity,
    ActivityHours,
    Beneficiary,
    Contract,
    ContractHoursStep,
    Episode,
    Exit,
    HouseholdMember,
    Interview,
    ReferentAssignment,
    RightsStateChange,
)
from partners.enums import OrganisationType, Role, SectorKind
from partners.models import MARSEILLE_INSEE_CODE, SectorCommune

from . import demo_offer
from .enums import (
    BarrierCategoryCode,
    BarrierLevel,
    EmploymentSituation,
    OrientationEndReason,
    Pathway,
    QualificationLevel,
)
from .models import BarrierSituation, Diagnostic, DiagnosticBarrier, Orientation

DEPARTEMENT = "CD13"
CCAS = "CCAS-MARSEILLE"

# Named referents (account key → files they are the current referent of, at least, when there are enough).
SHOWCASE_CASELOADS = (("referent", 30), ("conseiller.ft", 30))
SHOWCASE_ACCOMPANIED = 2 / 3  # at most this share in accompaniment: the others wait for a first interview
SHOWCASE_SCAN = 40  # candidates drawn per file wanted, at most, looking for files of other statuses
RECENT_ORIENTATION_DAYS = 13  # a showcase file oriented this long ago: `entry_15d` (15 days) is due soon
RECENT_FIRST_INTERVIEW_IN = 3  # …and its first accompaniment interview is booked this many days ahead

# The journey, in named delays (days) and shares ----------------------------------------------------------
CAF_RIGHTS_SHARE = 0.3
CAF_RIGHTS_WITHIN = 7  # the "entretien giratoire" within 7 days of the rights opening (SPEC §2 step 2)
COMPLEMENTARY_RIGHTS_SHARE = 0.2  # Var: 1 in 5 obtain one
ORIENTATION_DELAYS = (((10, 42), 70), ((43, 90), 20), ((91, 200), 10))  # from the flux date; 6 weeks = 42 d
NOT_ORIENTED_SHARE = 0.03  # files forgotten in the queue, whatever their age
DIAGNOSTIC_SHARE = 0.85  # the others are oriented on the papers
DIAGNOSTIC_BEFORE_DECISION = (3, 21)
TRIPARTITE_SHARE = 1 / 3
PATHWAYS = ((Pathway.EMPLOI, 45), (Pathway.SOCIAL_PRO, 35), (Pathway.REMOBILISATION, 20))
CCAS_SHARE = 0.15  # of the social pathways in Marseille
NOTIFICATION_DELAY = (2, 10)
NOT_NOTIFIED_SHARE = 0.04
REFERENT_DELAYS = (((3, 30), 60), ((31, 60), 28), ((61, 120), 12))  # from the decision
NO_REFERENT_SHARE = 0.03
FIRST_INTERVIEW_DELAY = (5, 30)  # from the designation
FOLLOW_UP_INTERVAL = (7, 17)  # every fortnight or so (intensive accompaniment)
RESCHEDULE_DELAY = (5, 14)
REVIEW_EVERY = 182  # a review ("bilan") every six months of accompaniment
PLANNED_AHEAD = 45  # the next interview is booked at most this far ahead
FIRST_INTERVIEW_STATUSES = (
    (InterviewStatus.HELD, 78),
    (InterviewStatus.NO_SHOW, 10),
    (InterviewStatus.EXCUSED, 7),
    (InterviewStatus.CANCELLED, 5),
)
HARD_TO_REACH_SHARE = 0.12  # people who miss their first appointments again and again
HARD_TO_REACH_FIRST_STATUSES = (
    (InterviewStatus.HELD, 30),
    (InterviewStatus.NO_SHOW, 45),
    (InterviewStatus.EXCUSED, 15),
    (InterviewStatus.CANCELLED, 10),
)
INTERVIEW_STATUSES = (
    (InterviewStatus.HELD, 84),
    (InterviewStatus.NO_SHOW, 7),
    (InterviewStatus.EXCUSED, 6),
    (InterviewStatus.CANCELLED, 3),
)
MEDIA = ((InterviewMedium.IN_PERSON, 70), (InterviewMedium.PHONE, 22), (InterviewMedium.VIDEO, 8))
MISSED_DIAGNOSTIC_SHARE = 0.1
REASSIGNMENT_SHARE = 0.06
REASSIGNMENT_AFTER = (60, 200)
REORIENTATION_SHARE = 0.08
REORIENTATION_AFTER = (45, 200)
EARLY_EXIT_SHARE = 0.05  # oriented files closed before any accompaniment (moved away, gave up…)
EARLY_EXIT_AFTER = (30, 150)
MEAN_ACCOMPANIMENT_DAYS = 330  # exits come after 45 days plus an exponential draw of this mean
RE_ENTRY_SHARE = 0.25
RE_ENTRY_AFTER = (30, 150)
RE_ENTRY_REASONS = (ExitReason.EMPLOI_TRANSITION, ExitReason.ABANDON, ExitReason.AUTRE)
EXIT_NOT_YET_RECORDED_SHARE = 0.3  # the right closed, the referent has not recorded the exit yet
CONTRACT_AT_HELD_INTERVIEW = ((1, 65), (2, 25), (None, 10))  # the first or second held one, or none yet
NEW_CONTRACT_AFTER_REORIENTATION = 0.5
RENEWAL_NOTICE = 14  # a contract that ends is renewed at an interview of its last two weeks (or after)
CE_SINCE = datetime.date(2025, 1, 1)  # before, a CER (or a PPAE for the emploi pathway)
PROGRESSIVE_SHARE = 0.15
REDUCED_SHARE = {Pathway.EMPLOI: 0.05, Pathway.SOCIAL_PRO: 0.12, Pathway.REMOBILISATION: 0.35}
REDUCED_HOURS = ("5", "7", "8", "10", "12")
ACTIVITY_COUNTS = ((1, 30), (2, 35), (3, 22), (4, 13))
HOURS_DONE_SHARE = 0.4  # contracts whose weekly hours done are recorded
HOURS_DONE_WEEKS = 26  # at most the last half-year of each activity

EXIT_REASONS = {
    Pathway.EMPLOI: (
        (ExitReason.EMPLOI_DURABLE, 30),
        (ExitReason.EMPLOI_TRANSITION, 25),
        (ExitReason.FORMATION, 12),
        (ExitReason.AUTRE_ACCOMPAGNEMENT, 10),
        (ExitReason.DEMENAGEMENT, 8),
        (ExitReason.ABANDON, 10),
        (ExitReason.AUTRE, 5),
    ),
    Pathway.SOCIAL_PRO: (
        (ExitReason.EMPLOI_DURABLE, 18),
        (ExitReason.EMPLOI_TRANSITION, 20),
        (ExitReason.FORMATION, 16),
        (ExitReason.AUTRE_ACCOMPAGNEMENT, 6),
        (ExitReason.DEMENAGEMENT, 10),
        (ExitReason.ABANDON, 20),
        (ExitReason.AUTRE, 10),
    ),
    Pathway.REMOBILISATION: (
        (ExitReason.EMPLOI_DURABLE, 6),
        (ExitReason.EMPLOI_TRANSITION, 10),
        (ExitReason.FORMATION, 10),
        (ExitReason.AUTRE_ACCOMPAGNEMENT, 4),
        (ExitReason.DEMENAGEMENT, 14),
        (ExitReason.ABANDON, 34),
        (ExitReason.AUTRE, 22),
    ),
}
EARLY_EXIT_REASONS = ((ExitReason.DEMENAGEMENT, 35), (ExitReason.ABANDON, 45), (ExitReason.AUTRE, 20))
EXIT_COMMENTS = {
    ExitReason.EMPLOI_DURABLE: (
        "CDI d'agent logistique",
        "CDI d'aide à domicile",
        "CDD de 8 mois en restauration collective",
        "CDI d'employé de libre-service",
        "Création d'une micro-entreprise de services",
        "Mission d'intérim de 6 mois en logistique",
    ),
    ExitReason.EMPLOI_TRANSITION: (
        "Contrat en chantier d'insertion",
        "Mission d'intérim de 3 mois",
        "CDD de 4 mois dans la vente",
        "Contrat saisonnier",
    ),
    ExitReason.FORMATION: (
        "Entrée en formation qualifiante d'aide-soignant",
        "Titre professionnel de cariste",
        "Formation qualifiante aux métiers de la restauration",
    ),
    ExitReason.AUTRE_ACCOMPAGNEMENT: ("Poursuite en accompagnement intensif France Travail",),
    ExitReason.DEMENAGEMENT: ("Déménagement hors du département",),
    ExitReason.ABANDON: ("Sans nouvelles malgré plusieurs relances", "Ne souhaite plus être accompagné"),
    ExitReason.AUTRE: ("Situation personnelle : accompagnement suspendu", "Entrée dans un autre dispositif"),
    ExitReason.FIN_DROITS: ("Fin de droits au RSA",),
}

# Diagnostics: level weights (strong, medium, none, not addressed) by pathway, and how prone each category
# is to be a barrier.
LEVEL_WEIGHTS = {
    Pathway.EMPLOI: (3, 12, 70, 15),
    Pathway.SOCIAL_PRO: (12, 28, 45, 15),
    Pathway.REMOBILISATION: (28, 30, 30, 12),
}
CATEGORY_PRONENESS = {
    BarrierCategoryCode.MOBILITY: 1.3,
    BarrierCategoryCode.FAMILY: 1.0,
    BarrierCategoryCode.HEALTH: 0.9,
    BarrierCategoryCode.LITERACY: 0.6,
    BarrierCategoryCode.HOUSING: 0.9,
    BarrierCategoryCode.FINANCES: 1.2,
    BarrierCategoryCode.ADMINISTRATIVE: 0.8,
    BarrierCategoryCode.DIGITAL: 1.1,
}
FAMILY_PRONENESS = {"single_parent": 1.8, "children": 1.2, "none": 0.4}  # childcare weighs on parents
# Situations and comments of the family category that suppose children (a young one for the first).
YOUNG_CHILD_SITUATIONS = ("fam_child_under_3",)
CHILDREN_SITUATIONS = ("fam_childcare", "fam_disabled_child")
YOUNG_CHILD_AGE = 3
LIFTED_SHARE = {BarrierLevel.STRONG: 0.1, BarrierLevel.MEDIUM: 0.25}
LIFTED_AFTER = (45, 240)
BARRIER_COMMENT_SHARE = 0.5
BARRIER_COMMENTS = {
    BarrierCategoryCode.MOBILITY: (
        "Pas de véhicule, plus d'une heure de bus pour les zones d'emploi",
        "Permis B à passer",
    ),
    BarrierCategoryCode.FAMILY: ("S'occupe d'un parent âgé", "Horaires de travail difficiles à concilier"),
    BarrierCategoryCode.HEALTH: ("Suivi médical régulier, pas de port de charges", "Démarche RQTH en cours"),
    BarrierCategoryCode.LITERACY: ("Lecture difficile des courriers administratifs", "Souhaite des cours de français"),
    BarrierCategoryCode.HOUSING: ("Hébergement chez un proche, demande de logement social déposée", "Dette de loyer"),
    BarrierCategoryCode.FINANCES: ("Dossier de surendettement à déposer", "Budget très contraint"),
    BarrierCategoryCode.ADMINISTRATIVE: ("Titre de séjour à renouveler", "Déclarations trimestrielles en retard"),
    BarrierCategoryCode.DIGITAL: ("Smartphone seulement, pas d'ordinateur", "Peu à l'aise avec l'espace en ligne"),
}
SUGGESTED_AS_DECIDED = 0.88
FAMILY_COMMENTS_WITH_CHILDREN = ("Garde des enfants difficile le mercredi et pendant les vacances",)
FAMILY_COMMENTS_WITH_A_YOUNG_CHILD = ("Pas de place en crèche pour le plus jeune",)
EMPLOYMENT_SITUATIONS = {
    Pathway.EMPLOI: (
        (EmploymentSituation.NO_WORK_UNDER_2_YEARS, 50),
        (EmploymentSituation.PART_TIME, 20),
        (EmploymentSituation.NO_WORK_OVER_2_YEARS, 20),
        (EmploymentSituation.SELF_EMPLOYED, 5),
        (EmploymentSituation.IN_TRAINING, 5),
    ),
    Pathway.SOCIAL_PRO: (
        (EmploymentSituation.NO_WORK_OVER_2_YEARS, 45),
        (EmploymentSituation.NO_WORK_UNDER_2_YEARS, 30),
        (EmploymentSituation.NEVER_WORKED, 15),
        (EmploymentSituation.PART_TIME, 10),
    ),
    Pathway.REMOBILISATION: (
        (EmploymentSituation.NO_WORK_OVER_2_YEARS, 55),
        (EmploymentSituation.NEVER_WORKED, 35),
        (EmploymentSituation.NO_WORK_UNDER_2_YEARS, 10),
    ),
}
QUALIFICATIONS = (
    (QualificationLevel.NONE, 35),
    (QualificationLevel.LEVEL_3, 28),
    (QualificationLevel.LEVEL_4, 20),
    (QualificationLevel.LEVEL_5, 8),
    (QualificationLevel.LEVEL_6, 4),
    (QualificationLevel.LEVEL_7_8, 2),
    (QualificationLevel.UNKNOWN, 3),
)
OCCUPATIONS = (
    "Agent d'entretien", "Aide à domicile", "Employé de libre-service", "Cariste", "Préparateur de commandes",
    "Serveur en restauration", "Commis de cuisine", "Agent de sécurité", "Chauffeur livreur",
    "Vendeur en prêt-à-porter", "Aide-soignant", "Agent d'accueil", "Ouvrier du bâtiment",
    "Jardinier paysagiste", "Auxiliaire de puériculture", "Hôte de caisse", "Assistant administratif",
    "Agent de restauration collective", "Manutentionnaire", "Employé polyvalent",
)  # fmt: skip
ASPIRATIONS = (
    "Trouver un emploi stable près de chez soi.",
    "Se former dans le secteur du soin.",
    "Reprendre une activité à temps partiel compatible avec la garde des enfants.",
    "Créer son activité.",
    "Passer le permis de conduire pour élargir sa recherche.",
    "Améliorer son français pour travailler.",
    "Trouver un logement avant de reprendre un emploi.",
    "Reprendre confiance et sortir de l'isolement.",
    "Valider ses acquis d'expérience.",
)
REASONING = {
    Pathway.EMPLOI: (
        "Projet professionnel défini et peu de freins : accès direct à l'emploi.",
        "Expérience récente dans le métier recherché : accompagnement vers l'emploi.",
    ),
    Pathway.SOCIAL_PRO: (
        "Projet professionnel à construire et freins à lever en parallèle : accompagnement socio-professionnel.",
        "Freins de mobilité et de garde à traiter en même temps que la recherche d'emploi.",
    ),
    Pathway.REMOBILISATION: (
        "Freins importants (santé, logement) à lever avant une démarche d'emploi : parcours social.",
        "Situation à stabiliser d'abord : remobilisation et accès aux droits.",
    ),
}
REORIENTATIONS = {
    Pathway.EMPLOI: ((Pathway.SOCIAL_PRO, 60), (Pathway.REMOBILISATION, 40)),
    Pathway.SOCIAL_PRO: ((Pathway.EMPLOI, 60), (Pathway.REMOBILISATION, 40)),
    Pathway.REMOBILISATION: ((Pathway.SOCIAL_PRO, 80), (Pathway.EMPLOI, 20)),
}
REORIENTATION_COMMENTS = {
    Pathway.EMPLOI: "Freins levés, projet professionnel consolidé : accès direct à l'emploi",
    Pathway.SOCIAL_PRO: "Freins apparus en cours de parcours : accompagnement socio-professionnel",
    Pathway.REMOBILISATION: "Difficultés de santé et de logement : parcours social d'abord",
}
OBJECTIVES = {
    Pathway.EMPLOI: (
        "Retrouver un emploi dans le métier recherché ; candidatures régulières et préparation aux entretiens.",
        "Accéder à un emploi durable ; immersion en entreprise puis candidatures ciblées.",
    ),
    Pathway.SOCIAL_PRO: (
        "Lever les freins de mobilité et de garde ; construire un projet professionnel.",
        "Définir un projet professionnel et se former ; résoudre les difficultés administratives.",
    ),
    Pathway.REMOBILISATION: (
        "Stabiliser la situation de logement et de santé ; reprendre confiance par des ateliers collectifs.",
        "Accéder aux droits et aux soins ; participer à une activité bénévole.",
    ),
}
REDUCTION_REASONS = (
    (HoursReductionReason.HEALTH, 40),
    (HoursReductionReason.DISABILITY, 20),
    (HoursReductionReason.SINGLE_PARENT_NO_CHILDCARE, 30),
    (HoursReductionReason.OTHER, 10),
)
OUTCOMES = (
    "Point sur les démarches de recherche d'emploi",
    "Mise à jour du CV et des lettres de motivation",
    "Préparation d'un entretien d'embauche",
    "Point sur la formation en cours",
    "Orientation vers un atelier mobilité",
    "Démarches de logement engagées",
    "Point sur les solutions de garde des enfants",
    "Bilan de l'immersion en entreprise",
    "Accompagnement aux démarches administratives",
    "Inscription à un atelier numérique",
    "Point sur l'accès aux soins",
    "Suivi du budget",
    "Candidatures envoyées, relances prévues",
    "Point d'étape sur le contrat d'engagement",
)
NOTES = (
    "Personne motivée, démarches régulières.",
    "A besoin d'un appui sur les outils numériques.",
    "Documents demandés pour le prochain rendez-vous.",
    "Piste d'emploi à suivre.",
    "Difficultés de transport pour venir aux rendez-vous.",
)
NOTES_SHARE = 0.25
MISSED_NOTES = {
    InterviewStatus.NO_SHOW: "Absence sans nouvelles : relance par SMS.",
    InterviewStatus.EXCUSED: "Rendez-vous reporté à la demande de la personne.",
    InterviewStatus.CANCELLED: "Rendez-vous annulé par le service.",
}
FIRST_OUTCOME = "Premier entretien d'accompagnement : le parcours et les engagements présentés"
REVIEW_OUTCOME = "Bilan d'étape : objectifs du contrat revus"
COMPLEMENTARY_RIGHTS = (
    (ComplementaryRight.PRIME_ACTIVITE, 20),
    (ComplementaryRight.APL, 25),
    (ComplementaryRight.CSS, 30),
    (ComplementaryRight.FAMILY_ALLOWANCES, 10),
    (ComplementaryRight.ENERGY, 10),
    (ComplementaryRight.CMG, 3),
    (ComplementaryRight.AAH, 2),
)

# Activities: (title, provider, partner organisation code) choices, duration in days, weekly hours.
ACTIVITIES = {
    ActivityKind.TRAINING: (
        (
            (
                "Formation pré-qualifiante aux métiers de l'aide à la personne",
                "Centre de formation Horizons Provence",
                "",
            ),
            ("Formation CACES R489 cariste", "Pôle formation logistique de l'Étang de Berre", ""),
            ("Remise à niveau en français et en calcul", "Association Savoirs de base 13", ""),
            ("Titre professionnel agent de propreté et d'hygiène", "Centre de formation Horizons Provence", ""),
        ),
        (30, 150),
        ("10", "12", "15"),
    ),
    ActivityKind.IMMERSION: (
        (
            ("Immersion (PMSMP) : préparateur de commandes", "Provence Logistique Services", "EMP-PROVENCE-LOGISTIQUE"),
            ("Immersion (PMSMP) : espaces verts", "ACI Les Jardins du Nord", "ACI-JARDINS-NORD"),
        ),
        (5, 20),
        ("20", "24", "30", "35"),
    ),
    ActivityKind.WORKPLACE_VISIT: (
        (("Visite d'une plateforme logistique", "Provence Logistique Services", "EMP-PROVENCE-LOGISTIQUE"),),
        (0, 0),
        ("3", "4"),
    ),
    ActivityKind.WORKSHOP: (
        (
            ("Atelier collectif « Reprendre confiance »", "Association Tremplin Étang de Berre", "TREMPLIN-BERRE"),
            ("Atelier numérique : démarches en ligne", "Association Tremplin Étang de Berre", "TREMPLIN-BERRE"),
            ("Atelier collectif « Valoriser ses compétences »", "ACI Les Jardins du Nord", "ACI-JARDINS-NORD"),
        ),
        (14, 60),
        ("2", "3", "4"),
    ),
    ActivityKind.JOB_FAIR: ((("Forum de l'emploi et de l'alternance", "France Travail", ""),), (0, 0), ("3", "4", "6")),
    ActivityKind.CV_WORKSHOP: (
        (
            ("Atelier CV et lettre de motivation", "France Travail", ""),
            ("Atelier « Réussir son entretien d'embauche »", "Cap emploi 13", "CAP-EMPLOI-13"),
        ),
        (7, 28),
        ("2", "3"),
    ),
    ActivityKind.MOBILITY_WORKSHOP: (
        (("Atelier mobilité : préparer le code de la route", "Plateforme mobilité Provence", ""),),
        (14, 90),
        ("3", "4", "6"),
    ),
    ActivityKind.HOUSING_WORKSHOP: (
        (("Atelier logement : la demande de logement social", "Association Habitat et insertion 13", ""),),
        (14, 60),
        ("2", "3"),
    ),
    ActivityKind.HEALTH_WORKSHOP: (
        (("Atelier santé : accès aux soins et bilan de santé", "Espace santé insertion", ""),),
        (14, 60),
        ("2", "3"),
    ),
    ActivityKind.CHILDCARE_WORKSHOP: (
        (("Atelier garde d'enfants : modes de garde et aides de la CAF", "CAF des Bouches-du-Rhône", "CAF13"),),
        (0, 14),
        ("2", "3"),
    ),
    ActivityKind.JOB_SEARCH: ((("Recherche d'emploi accompagnée", "", ""),), None, ("5", "6", "8")),
    ActivityKind.VOLUNTEERING: (
        (
            ("Bénévolat dans une association de quartier", "Association Trait d'union", ""),
            ("Bénévolat à l'épicerie solidaire", "Épicerie solidaire du quartier", ""),
        ),
        (30, 180),
        ("3", "4", "6"),
    ),
}
ACTIVITY_MIX = {
    Pathway.EMPLOI: (
        (ActivityKind.JOB_SEARCH, 30),
        (ActivityKind.CV_WORKSHOP, 18),
        (ActivityKind.IMMERSION, 14),
        (ActivityKind.TRAINING, 14),
        (ActivityKind.JOB_FAIR, 12),
        (ActivityKind.WORKPLACE_VISIT, 8),
        (ActivityKind.WORKSHOP, 4),
    ),
    Pathway.SOCIAL_PRO: (
        (ActivityKind.TRAINING, 15),
        (ActivityKind.WORKSHOP, 14),
        (ActivityKind.MOBILITY_WORKSHOP, 12),
        (ActivityKind.CV_WORKSHOP, 10),
        (ActivityKind.IMMERSION, 10),
        (ActivityKind.JOB_SEARCH, 10),
        (ActivityKind.CHILDCARE_WORKSHOP, 8),
        (ActivityKind.HOUSING_WORKSHOP, 6),
        (ActivityKind.HEALTH_WORKSHOP, 5),
    ),
    Pathway.REMOBILISATION: (
        (ActivityKind.WORKSHOP, 20),
        (ActivityKind.HEALTH_WORKSHOP, 16),
        (ActivityKind.HOUSING_WORKSHOP, 16),
        (ActivityKind.VOLUNTEERING, 14),
        (ActivityKind.MOBILITY_WORKSHOP, 10),
        (ActivityKind.CHILDCARE_WORKSHOP, 8),
        (ActivityKind.TRAINING, 6),
    ),
}
ACTIVITY_START_WITHIN = 45  # days after the signature
ACTIVITY_DONE_SHARE = 0.85  # of the activities that ended (the others were abandoned)

DAYS = tuple(datetime.timedelta(days=n) for n in range(800))
SLOTS = tuple(datetime.time(9 + half // 2, 30 * (half % 2)) for half in range(16))  # 9:00 to 16:30
HALF_HOURS = tuple(Decimal(n) / 2 for n in range(121))  # 0 to 60 h by half hours
WEEKEND_SHIFT = (0, 0, 0, 0, 0, 2, 1)


def _weights(pairs):
    """A table to draw from: the values, their cumulative weights, the total."""
    values, weights = zip(*pairs, strict=True)
    cumulative = tuple(accumulate(weights))
    return values, cumulative, cumulative[-1]


def _draw(rng, table):
    """One value of a `_weights` table (random.choices, without its per-call set-up)."""
    values, cumulative, total = table
    return values[bisect(cumulative, rng.random() * total)]


def _between(rng, bounds):
    low, high = bounds
    return low + int(rng.random() * (high - low + 1))


def _pick(rng, values):
    return values[int(rng.random() * len(values))]


def _weekday(day):
    """Interviews and decisions fall on working days: a weekend moves to the Monday."""
    return day + DAYS[WEEKEND_SHIFT[day.weekday()]]


def _weekday_before(day):
    """A working day on or before `day`: a weekend moves back to the Friday."""
    return day - DAYS[(0, 0, 0, 0, 0, 1, 2)[day.weekday()]]


def _monday(day):
    return day - DAYS[day.weekday()]


def _add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return datetime.date(year, month, min(day.day, (following - DAYS[1]).day))


ORIENTATION_DELAY_TABLE = _weights(ORIENTATION_DELAYS)
REFERENT_DELAY_TABLE = _weights(REFERENT_DELAYS)
PATHWAY_TABLE = _weights(PATHWAYS)
FIRST_STATUS_TABLE = _weights(FIRST_INTERVIEW_STATUSES)
HARD_TO_REACH_FIRST_STATUS_TABLE = _weights(HARD_TO_REACH_FIRST_STATUSES)
STATUS_TABLE = _weights(INTERVIEW_STATUSES)
MEDIUM_TABLE = _weights(MEDIA)
EXIT_TABLES = {pathway: _weights(pairs) for pathway, pairs in EXIT_REASONS.items()}
EARLY_EXIT_TABLE = _weights(EARLY_EXIT_REASONS)
EMPLOYMENT_TABLES = {pathway: _weights(pairs) for pathway, pairs in EMPLOYMENT_SITUATIONS.items()}
QUALIFICATION_TABLE = _weights(QUALIFICATIONS)
REORIENTATION_TABLES = {pathway: _weights(pairs) for pathway, pairs in REORIENTATIONS.items()}
CONTRACT_AT_TABLE = _weights(CONTRACT_AT_HELD_INTERVIEW)
REDUCTION_TABLE = _weights(REDUCTION_REASONS)
ACTIVITY_COUNT_TABLE = _weights(ACTIVITY_COUNTS)
RIGHTS_TABLE = _weights(COMPLEMENTARY_RIGHTS)
ACTIVITY_MIX_TABLES = {pathway: _weights(pairs) for pathway, pairs in ACTIVITY_MIX.items()}


# What a journey is made of -------------------------------------------------------------------------------
# People are roles until the journey is written: an int is the referent of that assignment (its index),
# "caf" the CAF agent, "cd" the file's Département insertion worker, "ft" its France Travail counsellor.
class FileFacts:
    """What the journey needs to know of a file; `rank` is its position in id order (its random stream)."""

    __slots__ = (
        "area",
        "closed_on",
        "district",
        "flux_date",
        "marseille",
        "opened_on",
        "pk",
        "rank",
        "single_parent",
        "youngest_child",
    )

    def __init__(
        self, rank, pk, opened_on, flux_date, district, area, marseille, closed_on, single_parent, youngest_child
    ):
        self.rank, self.pk, self.opened_on, self.flux_date = rank, pk, opened_on, flux_date
        self.district, self.area, self.marseille = district, area, marseille
        self.closed_on, self.single_parent = closed_on, single_parent
        self.youngest_child = youngest_child  # birth date of the household's youngest child, or None


class Journey:
    """The history of one file, as records (lists) whose people are roles."""

    __slots__ = ("assignments", "contracts", "diagnostics", "episodes", "exits", "interviews", "orientations")

    def __init__(self):
        # [kind, day, slot, status, medium, who, participants, outcome, notes, rights, booked_on]
        self.interviews = []
        # [interview, day, place, tripartite, employment, qualification, occupations, aspirations,
        #  suggested pathway, author, barriers [(category, level, comment, situation codes, lifted_on)]]
        self.diagnostics = []
        # [pathway, organisation code, decided_on, reasoning, diagnostic, notified_on, ended_on, end_reason,
        #  end_comment, previous]
        self.orientations = []
        # [organisation code, designated_on, ended_on, end_reason, orientation]
        self.assignments = []
        self.episodes = []  # [started_on, opening interview, ended_on]
        # (kind, signed_on, ends_on, hours, reduction reason, comment, objectives, who, lead organisation code,
        #  steps, activities [(kind, title, provider, partner code, starts_on, ends_on, hours, status,
        #  [(week, hours)])])
        self.contracts = []
        self.exits = []  # (episode, exited_on, reason, comment, who, orientation)

    def current_referent_organisation(self):
        for organisation, _, ended_on, *_ in self.assignments:
            if ended_on is None:
                return organisation
        return None

    @property
    def in_accompaniment(self):
        return any(ended_on is None for *_, ended_on in self.episodes)


class JourneyDrawer:
    """Draws journeys (structure and texts; no user yet) from a file's facts and its own random stream."""

    def __init__(self, *, today, pool_sizes, situations):
        self.today = today
        self.yesterday = today - DAYS[1]
        self.pool_sizes = pool_sizes  # (organisation code, territory) → referents available
        self.situations = situations  # category → codes of the situations of the referential

    def pool_size(self, organisation, facts):
        return self.pool_sizes.get((organisation, self.territory(organisation, facts)), 0)

    @staticmethod
    def territory(organisation, facts):
        """The team that works a file for an organisation: the district's for the Département, the agency's
        own for France Travail, the one team of the CCAS."""
        if organisation == DEPARTEMENT:
            return facts.district
        return organisation

    def draw(self, facts, rng, leads=None):
        """The journey of a file; `leads` replaces the lead organisation of some pathways (`emploi` or
        "social") for the showcase caseloads."""
        journey = Journey()
        closed = facts.closed_on is not None
        end = min(facts.closed_on, self.yesterday) if closed else self.yesterday  # the last day anything happened
        if end < facts.flux_date:
            return journey
        if rng.random() < CAF_RIGHTS_SHARE:
            self._caf_rights(journey, rng, facts, end, closed)
        if facts.district is None or facts.area is None:
            return journey  # unassigned: the file waits in the orientation officers' queue
        oriented = rng.random() >= NOT_ORIENTED_SHARE
        decided = _weekday(facts.flux_date + DAYS[_between(rng, _draw(rng, ORIENTATION_DELAY_TABLE))])
        pathway = _draw(rng, PATHWAY_TABLE)
        diagnostic = None
        if rng.random() < DIAGNOSTIC_SHARE:
            day = _weekday(max(facts.flux_date + DAYS[2], decided - DAYS[_between(rng, DIAGNOSTIC_BEFORE_DECISION)]))
            diagnostic = self._diagnostic(journey, rng, facts, day, pathway, end, closed)
        if oriented and decided <= end:
            self._accompaniment(journey, rng, facts, decided, pathway, diagnostic, end, closed, leads or {})
        return journey

    def draw_recent(self, facts, rng, leads, pathway):
        """A file oriented `RECENT_ORIENTATION_DAYS` ago (a Friday when that falls on a weekend) after a
        diagnostic, its referent named the next working day, its first accompaniment interview booked a few
        days ahead: its 15-day deadline to enter the accompaniment is due within the warning period."""
        journey = Journey()
        decided = _weekday_before(self.today - DAYS[RECENT_ORIENTATION_DAYS])
        diagnosed = _weekday_before(decided - DAYS[_between(rng, DIAGNOSTIC_BEFORE_DECISION)])
        diagnostic = self._diagnostic(journey, rng, facts, diagnosed, pathway, self.yesterday, False)
        orientation = self._orient(journey, rng, facts, decided, pathway, diagnostic, self.yesterday, leads)
        designated = _weekday(decided + DAYS[1])
        assignment = self._assign(journey, journey.orientations[orientation][1], designated, orientation)
        first = _weekday(self.today + DAYS[RECENT_FIRST_INTERVIEW_IN])
        self._planned(journey, rng, InterviewKind.ACCOMPANIMENT, first, assignment, designated, False)
        return journey

    def fits_recent(self, facts):
        """A file can tell that story when it is in scope, assigned, and entered a few weeks before."""
        latest_flux = self.today - DAYS[RECENT_ORIENTATION_DAYS + DIAGNOSTIC_BEFORE_DECISION[1] + 7]
        return facts.closed_on is None and facts.district and facts.area and facts.flux_date <= latest_flux

    # Before the orientation ---------------------------------------------------------------------------
    def _interview(
        self, journey, rng, kind, day, status, who, *, participants=None, outcome="", rights=(), booked_on=None
    ):
        notes = ""
        if status == InterviewStatus.HELD:
            if rng.random() < NOTES_SHARE:
                notes = _pick(rng, NOTES)
        elif status != InterviewStatus.PLANNED:
            notes = MISSED_NOTES[status]
            outcome = ""
        journey.interviews.append(
            [
                kind,
                day,
                _pick(rng, SLOTS),
                status,
                _draw(rng, MEDIUM_TABLE),
                who,
                participants or (who,),
                outcome,
                notes,
                list(rights),
                booked_on,
            ]
        )
        return len(journey.interviews) - 1

    def _planned(self, journey, rng, kind, day, who, booked_on, closed, *, participants=None):
        """The next interview, when it falls in the weeks to come."""
        if not closed and day <= self.today + DAYS[PLANNED_AHEAD]:
            self._interview(
                journey, rng, kind, day, InterviewStatus.PLANNED, who, participants=participants, booked_on=booked_on
            )

    def _caf_rights(self, journey, rng, facts, end, closed):
        day = _weekday(facts.opened_on + DAYS[_between(rng, (1, CAF_RIGHTS_WITHIN))])
        if day > end:
            self._planned(journey, rng, InterviewKind.CAF_RIGHTS, day, "caf", facts.opened_on, closed)
            return
        held = rng.random() < 0.9
        status = InterviewStatus.HELD if held else InterviewStatus.NO_SHOW
        rights = []
        if held and rng.random() < COMPLEMENTARY_RIGHTS_SHARE:
            rights = sorted({_draw(rng, RIGHTS_TABLE) for _ in range(1 + (rng.random() < 0.3))})
        outcome = "Droits complémentaires ouverts" if rights else "Droits examinés : rien de plus à ouvrir"
        self._interview(journey, rng, InterviewKind.CAF_RIGHTS, day, status, "caf", outcome=outcome, rights=rights)

    def _diagnostic(self, journey, rng, facts, day, pathway, end, closed, *, tripartite_allowed=True):
        """The diagnostic interview and its record; the index of the record, or None if still to come."""
        tripartite = tripartite_allowed and rng.random() < TRIPARTITE_SHARE
        kind = InterviewKind.TRIPARTITE if tripartite else InterviewKind.DIAGNOSTIC
        author = "cd" if tripartite or rng.random() < 0.55 else "ft"
        participants = ("cd", "ft") if tripartite else (author,)
        if rng.random() < MISSED_DIAGNOSTIC_SHARE:
            missed = _weekday(day - DAYS[_between(rng, (7, 14))])
            if facts.flux_date < missed <= end:
                self._interview(journey, rng, kind, missed, InterviewStatus.NO_SHOW, author, participants=participants)
        if day > end:
            self._planned(journey, rng, kind, day, author, facts.flux_date, closed, participants=participants)
            return None
        outcome = "Diagnostic tripartite réalisé" if tripartite else "Diagnostic socio-professionnel réalisé"
        interview = self._interview(
            journey, rng, kind, day, InterviewStatus.HELD, author, participants=participants, outcome=outcome
        )
        weights = LEVEL_WEIGHTS[pathway]
        barrier_share = (weights[0] + weights[1]) / 100
        strong_share = weights[0] / (weights[0] + weights[1])
        none_share = weights[2] / (weights[2] + weights[3])
        children = facts.youngest_child is not None
        young_child = children and (day - facts.youngest_child).days < 365 * YOUNG_CHILD_AGE
        barriers = []
        for category, proneness in CATEGORY_PRONENESS.items():
            situations, comments = self.situations.get(category, ()), BARRIER_COMMENTS[category]
            if category == BarrierCategoryCode.FAMILY:
                proneness = FAMILY_PRONENESS[
                    "single_parent" if facts.single_parent else "children" if children else "none"
                ]
                situations = [
                    code
                    for code in situations
                    if (young_child or code not in YOUNG_CHILD_SITUATIONS)
                    and (children or code not in CHILDREN_SITUATIONS)
                ]
                comments += (FAMILY_COMMENTS_WITH_CHILDREN if children else ()) + (
                    FAMILY_COMMENTS_WITH_A_YOUNG_CHILD if young_child else ()
                )
            comment, chosen, lifted_on = "", (), None
            if rng.random() < min(0.9, barrier_share * proneness):
                level = BarrierLevel.STRONG if rng.random() < strong_share else BarrierLevel.MEDIUM
                if situations:
                    chosen = tuple(sorted({_pick(rng, situations) for _ in range(1 + (rng.random() < 0.4))}))
                if rng.random() < BARRIER_COMMENT_SHARE:
                    comment = _pick(rng, comments)
                if rng.random() < LIFTED_SHARE[level]:
                    lifted = day + DAYS[_between(rng, LIFTED_AFTER)]
                    lifted_on = lifted if lifted <= end else None
            else:
                level = BarrierLevel.NONE if rng.random() < none_share else BarrierLevel.NOT_ADDRESSED
            barriers.append((category, level, comment, chosen, lifted_on))
        suggested = pathway if rng.random() < SUGGESTED_AS_DECIDED else _draw(rng, REORIENTATION_TABLES[pathway])
        occupations = ", ".join(sorted({_pick(rng, OCCUPATIONS) for _ in range(1 + (rng.random() < 0.5))}))
        journey.diagnostics.append(
            [
                interview,
                day,
                author,  # the place: the author's service
                tripartite,
                _draw(rng, EMPLOYMENT_TABLES[pathway]),
                _draw(rng, QUALIFICATION_TABLE),
                occupations,
                _pick(rng, ASPIRATIONS),
                suggested,
                author,
                barriers,
            ]
        )
        return len(journey.diagnostics) - 1

    # The orientation and what follows -------------------------------------------------------------------
    def _lead(self, rng, facts, pathway, leads):
        if pathway == Pathway.EMPLOI:
            return leads.get(Pathway.EMPLOI, facts.area)
        social = CCAS if facts.marseille and rng.random() < CCAS_SHARE else DEPARTEMENT
        return leads.get("social", social)

    def _orient(self, journey, rng, facts, day, pathway, diagnostic, end, leads, previous=None):
        notified_on = None
        if rng.random() >= NOT_NOTIFIED_SHARE:
            notified = _weekday(day + DAYS[_between(rng, NOTIFICATION_DELAY)])
            notified_on = notified if notified <= end else None
        journey.orientations.append(
            [
                pathway,
                self._lead(rng, facts, pathway, leads),
                day,
                _pick(rng, REASONING[pathway]),
                diagnostic,
                notified_on,
                None,
                "",
                "",
                previous,
            ]
        )
        return len(journey.orientations) - 1

    def _designation_day(self, rng, facts, organisation, decided):
        if rng.random() < NO_REFERENT_SHARE or not self.pool_size(organisation, facts):
            return None
        return _weekday(decided + DAYS[_between(rng, _draw(rng, REFERENT_DELAY_TABLE))])

    def _accompaniment(self, journey, rng, facts, decided, pathway, diagnostic, end, closed, leads, *, reentry=False):
        """From an orientation decision to the end of the story (exit, closure of the right, or today)."""
        orientation = self._orient(journey, rng, facts, decided, pathway, diagnostic, end, leads)
        organisation = journey.orientations[orientation][1]
        designate_on = self._designation_day(rng, facts, organisation, decided)
        reorient_on = decided + DAYS[_between(rng, REORIENTATION_AFTER)] if rng.random() < REORIENTATION_SHARE else None
        early_exit_on = decided + DAYS[_between(rng, EARLY_EXIT_AFTER)] if rng.random() < EARLY_EXIT_SHARE else None
        contract_at = _draw(rng, CONTRACT_AT_TABLE)
        first_statuses = HARD_TO_REACH_FIRST_STATUS_TABLE if rng.random() < HARD_TO_REACH_SHARE else FIRST_STATUS_TABLE
        assignment = episode = exit_on = reassign_on = interview_on = last_review = contract_ends = None
        booked_on = decided
        held = 0
        never = datetime.date.max
        while True:
            pending = min(
                (designate_on or never) if assignment is None else never,
                interview_on or never,
                reorient_on or never,
                (exit_on or never) if episode is not None else (early_exit_on or never),
                reassign_on or never,
            )
            if pending > end:
                break
            if assignment is None and designate_on == pending:
                assignment = self._assign(journey, organisation, pending, orientation)
                designate_on = None
                interview_on = _weekday(pending + DAYS[_between(rng, FIRST_INTERVIEW_DELAY)])
                booked_on = pending
                if self.pool_size(organisation, facts) > 1 and rng.random() < REASSIGNMENT_SHARE:
                    reassign_on = _weekday(pending + DAYS[_between(rng, REASSIGNMENT_AFTER)])
            elif reorient_on == pending:
                reorient_on = None
                orientation, organisation, assignment = self._reorient(
                    journey, rng, facts, pending, orientation, assignment, end, leads
                )
                if assignment is None:
                    designate_on = self._designation_day(rng, facts, organisation, pending)
                    interview_on = reassign_on = None
                if rng.random() < NEW_CONTRACT_AFTER_REORIENTATION:
                    contract_at = held + 1
            elif episode is None and early_exit_on == pending:
                self._exit(journey, rng, None, pending, _draw(rng, EARLY_EXIT_TABLE), assignment, orientation)
                return
            elif episode is not None and exit_on == pending:
                reason = _draw(rng, EXIT_TABLES[journey.orientations[orientation][0]])
                self._exit(journey, rng, episode, pending, reason, assignment, orientation)
                if not reentry and reason in RE_ENTRY_REASONS and rng.random() < RE_ENTRY_SHARE:
                    self._reentry(journey, rng, facts, pending, end, closed, leads)
                return
            elif reassign_on == pending:
                reassign_on = None
                journey.assignments[assignment][2] = pending
                journey.assignments[assignment][3] = "Changement de référent"
                assignment = self._assign(journey, organisation, pending, orientation)
            else:  # an interview
                day = pending
                kind = self._next_kind(journey, episode, last_review, day)
                if kind == InterviewKind.ACCOMPANIMENT:
                    outcome, status = FIRST_OUTCOME, _draw(rng, first_statuses)
                else:
                    outcome = REVIEW_OUTCOME if kind == InterviewKind.REVIEW else _pick(rng, OUTCOMES)
                    status = _draw(rng, STATUS_TABLE)
                index = self._interview(
                    journey, rng, kind, day, status, assignment, outcome=outcome, booked_on=booked_on
                )
                booked_on = day
                if status == InterviewStatus.HELD:
                    held += 1
                    if kind == InterviewKind.REVIEW:
                        last_review = day
                    if episode is None:
                        journey.episodes.append([day, index, None])
                        episode = len(journey.episodes) - 1
                        duration = 45 + int(rng.expovariate(1 / MEAN_ACCOMPANIMENT_DAYS))
                        exit_on = day + datetime.timedelta(days=duration)
                    renewal = contract_ends is not None and day >= contract_ends - DAYS[RENEWAL_NOTICE]
                    if held == contract_at or renewal:
                        contract_ends = self._contract(
                            journey, rng, facts, day, orientation, assignment, end, closed, exit_on
                        )
                    interview_on = _weekday(day + DAYS[_between(rng, FOLLOW_UP_INTERVAL)])
                else:
                    interview_on = _weekday(day + DAYS[_between(rng, RESCHEDULE_DELAY)])
        # The story stops at the end: the right closed, or today with the next interview planned.
        if closed:
            if rng.random() >= EXIT_NOT_YET_RECORDED_SHARE:
                self._exit(journey, rng, episode, facts.closed_on, ExitReason.FIN_DROITS, assignment, orientation)
        elif assignment is not None and interview_on is not None:
            kind = self._next_kind(journey, episode, last_review, interview_on)
            self._planned(journey, rng, kind, interview_on, assignment, booked_on, closed)

    @staticmethod
    def _next_kind(journey, episode, last_review, day):
        """The first interview opens the accompaniment; then follow-ups, and a review every six months."""
        if episode is None:
            return InterviewKind.ACCOMPANIMENT
        if (day - (last_review or journey.episodes[episode][0])).days >= REVIEW_EVERY:
            return InterviewKind.REVIEW
        return InterviewKind.FOLLOW_UP

    def _assign(self, journey, organisation, day, orientation):
        journey.assignments.append([organisation, day, None, "", orientation])
        return len(journey.assignments) - 1

    def _reorient(self, journey, rng, facts, day, orientation, assignment, end, leads):
        """Closes the orientation with a reason and decides the next; a change of lead organisation ends the
        referent's assignment (the new organisation names its own)."""
        current = journey.orientations[orientation]
        pathway = _draw(rng, REORIENTATION_TABLES[current[0]])
        current[6], current[7], current[8] = day, OrientationEndReason.REORIENTATION, REORIENTATION_COMMENTS[pathway]
        diagnostic = len(journey.diagnostics) - 1 if journey.diagnostics else None
        following = self._orient(journey, rng, facts, day, pathway, diagnostic, end, leads, previous=orientation)
        organisation = journey.orientations[following][1]
        if assignment is not None and journey.assignments[assignment][0] != organisation:
            journey.assignments[assignment][2] = day
            journey.assignments[assignment][3] = "Réorientation vers un autre organisme"
            assignment = None
        return following, organisation, assignment

    def _exit(self, journey, rng, episode, day, reason, assignment, orientation):
        """The exit closes the open episode, the current orientation and the referent's assignment."""
        if episode is not None and journey.episodes[episode][2] is None:
            journey.episodes[episode][2] = day
        else:
            episode = None
        journey.exits.append((episode, day, reason, _pick(rng, EXIT_COMMENTS[reason]), assignment, orientation))
        current = journey.orientations[orientation]
        current[6], current[7], current[8] = max(day, current[2]), OrientationEndReason.EXIT, reason.label
        if assignment is not None:
            journey.assignments[assignment][2] = max(day, journey.assignments[assignment][1])
            journey.assignments[assignment][3] = "Sortie du dispositif"

    def _reentry(self, journey, rng, facts, exited_on, end, closed, leads):
        """A new orientation some weeks after an exit: the person comes back, a new episode may open."""
        decided = _weekday(exited_on + DAYS[_between(rng, RE_ENTRY_AFTER)])
        pathway = _draw(rng, PATHWAY_TABLE)
        diagnostic = None
        if rng.random() < 0.5:
            day = _weekday(decided - DAYS[_between(rng, DIAGNOSTIC_BEFORE_DECISION)])
            diagnostic = self._diagnostic(journey, rng, facts, day, pathway, end, closed, tripartite_allowed=False)
        if decided <= end:
            self._accompaniment(journey, rng, facts, decided, pathway, diagnostic, end, closed, leads, reentry=True)

    def _contract(self, journey, rng, facts, day, orientation, assignment, end, closed, exit_on):
        pathway, organisation = journey.orientations[orientation][:2]
        kind = (
            ContractKind.CE
            if day >= CE_SINCE
            else (ContractKind.PPAE if pathway == Pathway.EMPLOI else ContractKind.CER)
        )
        ends_on = _add_months(day, 6 if pathway == Pathway.EMPLOI else 12)
        hours, reason, comment, steps = HALF_HOURS[30], "", "", ()
        draw = rng.random()
        if draw < REDUCED_SHARE[pathway]:
            hours = Decimal(_pick(rng, REDUCED_HOURS))
            reason = _draw(rng, REDUCTION_TABLE)
            if reason == HoursReductionReason.SINGLE_PARENT_NO_CHILDCARE and not facts.single_parent:
                reason = HoursReductionReason.HEALTH
            if reason == HoursReductionReason.OTHER:
                comment = "Reprise progressive après une longue période sans activité"
        elif draw < REDUCED_SHARE[pathway] + PROGRESSIVE_SHARE:
            steps = ((_add_months(day, 2), HALF_HOURS[35]), (_add_months(day, 4), HALF_HOURS[40]))
        stop = min(end, exit_on or end)  # the accompaniment stops at the exit or the closing of the right
        stopped = closed or (exit_on is not None and exit_on <= end)
        activities = []
        plan = []
        for _ in range(_draw(rng, ACTIVITY_COUNT_TABLE)):
            activity_kind = _draw(rng, ACTIVITY_MIX_TABLES[pathway])
            if activity_kind not in plan:
                plan.append(activity_kind)
        record_hours = rng.random() < HOURS_DONE_SHARE
        for position, activity_kind in enumerate(plan):
            choices, duration, weekly = ACTIVITIES[activity_kind]
            title, provider, partner = _pick(rng, choices)
            # The first action starts on the day the contract is signed, the others within weeks.
            first = position == 0 or activity_kind == ActivityKind.JOB_SEARCH
            starts_on = day if first else day + DAYS[_between(rng, (0, ACTIVITY_START_WITHIN))]
            act_ends = ends_on if duration is None else min(ends_on, starts_on + DAYS[_between(rng, duration)])
            planned = Decimal(_pick(rng, weekly))
            if starts_on > stop:
                if stopped:
                    continue
                status = ActivityStatus.PLANNED
            elif act_ends <= stop:
                status = ActivityStatus.DONE if rng.random() < ACTIVITY_DONE_SHARE else ActivityStatus.ABANDONED
            else:
                status = ActivityStatus.ABANDONED if stopped else ActivityStatus.IN_PROGRESS
            weeks = []
            if record_hours and status != ActivityStatus.PLANNED:
                last = _monday(min(act_ends, stop))
                week = max(_monday(starts_on), last - DAYS[7 * (HOURS_DONE_WEEKS - 1)])
                while week <= last:
                    done = 0 if rng.random() < 0.08 else int(float(planned) * 2 * (0.5 + 0.6 * rng.random()))
                    weeks.append((week, HALF_HOURS[min(done, 120)]))
                    week += DAYS[7]
            activities.append((activity_kind, title, provider, partner, starts_on, act_ends, planned, status, weeks))
        objectives = _pick(rng, OBJECTIVES[pathway])
        journey.contracts.append(
            (kind, day, ends_on, hours, reason, comment, objectives, assignment, organisation, steps, activities)
        )
        return ends_on


# The step ----------------------------------------------------------------------------------------------
JOURNEY_MODELS = (  # dependants first
    ActivityHours,
    Activity,
    ContractHoursStep,
    Contract,
    Exit,
    Episode,
    ReferentAssignment,
    Orientation,
    DiagnosticBarrier.situations.through,
    DiagnosticBarrier,
    Diagnostic.participants.through,
    Diagnostic,
    Interview.participants.through,
    Interview,
)


def exists():
    models = (Interview, Diagnostic, Orientation, ReferentAssignment, Exit)
    return any(model.objects.exists() for model in models) or demo_offer.exists()


def reset(context):
    """Deletes every journey row (a demo database holds nothing else); the files go next, with the
    accompaniment step. On PostgreSQL one TRUNCATE (with whatever later apps hang on these rows): deleting
    millions of rows one by one would check each against every key that points at it. Elsewhere, one
    DELETE per table, dependants first."""
    demo_offer.reset(context)  # prescriptions point at the journey's activities
    quote = connection.ops.quote_name
    tables = [quote(model._meta.db_table) for model in JOURNEY_MODELS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no pending check
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


class JourneyStep:
    """Loads what the journeys need once, draws them file by file and writes them in batches."""

    def __init__(self, context):
        self.context = context
        self.today = context.today
        self.now = timezone.now()
        self.base_seed = context.rng.getrandbits(48)
        self._load_people(context)
        situations = BarrierSituation.objects.filter(active=True).order_by("category", "order", "pk")
        self.situation_ids = {code: pk for pk, code in situations.values_list("pk", "code")}
        codes = defaultdict(list)
        for category, code in situations.values_list("category", "code"):
            codes[category].append(code)
        self.drawer = JourneyDrawer(
            today=self.today,
            pool_sizes={key: len(pool) for key, pool in self.pools.items()},
            situations=dict(codes),
        )

    # People -------------------------------------------------------------------------------------------
    def _load_people(self, context):
        organisations = context.organisations
        self.organisation_ids = {code: organisation.pk for code, organisation in organisations.items()}
        self.organisation_names = {code: organisation.name for code, organisation in organisations.items()}
        team_sector = context.extra.get("team_sector", {})
        self.pools = {}  # (organisation code, territory) → referent ids, the team of that territory
        self.home = {}  # referent id → (organisation code, territory)
        referents = {user.pk for user in context.users.values() if user.has_role(Role.REFERENT)}
        for key, team in context.teams.items():
            territory = team_sector.get(key)
            if not territory:
                continue
            code = team.organisation.code
            members = sorted(pk for pk in team.members.values_list("id", flat=True) if pk in referents)
            if members:
                self.pools[(code, code if code != DEPARTEMENT else territory)] = members
                for pk in members:
                    self.home[pk] = (code, territory)
        users = context.users.values()
        self.caf_agents = sorted(user.pk for user in users if user.has_role(Role.CAF_AGENT))
        officers = [user for user in users if user.has_role(Role.ORIENTATION_OFFICER)]
        self.departement_officers = sorted(user.pk for user in officers if user.organisation.code == DEPARTEMENT)
        # France Travail's officers decide some emploi orientations of their agency's area.
        self.agency_officers = defaultdict(list)
        for user in officers:
            if user.organisation.type == OrganisationType.FRANCE_TRAVAIL:
                self.agency_officers[user.organisation.code].append(user.pk)

    def _pool(self, organisation, facts):
        return self.pools.get((organisation, JourneyDrawer.territory(organisation, facts)), ())

    # Files ------------------------------------------------------------------------------------------
    def _facts(self):
        sector_codes = {sector.pk: code for code, sector in self.context.sectors.items()}
        area_of = dict(
            SectorCommune.objects.filter(kind=SectorKind.FRANCE_TRAVAIL_AREA).values_list("commune_id", "sector__code")
        )
        closed_on = dict(
            RightsStateChange.objects.filter(state=RightsState.CLOSED, household__isnull=False)
            .exclude(closed_on=None)
            .values_list("household_id", "closed_on")
        )
        youngest_child = dict(
            HouseholdMember.objects.filter(role=MemberRole.CHILD)
            .order_by()
            .values_list("household_id")
            .annotate(youngest=Max("birth_date"))
        )
        files = (
            Beneficiary.objects.filter(rights_and_duties=True)
            .order_by("id")
            .values_list(
                "id",
                "rights_opened_on",
                "flux_date",
                "sector_id",
                "commune_id",
                "rights_state",
                "household_id",
                "single_parent",
            )
        )
        facts = []
        for pk, opened_on, flux_date, sector_id, commune_id, state, household_id, single_parent in files.iterator(
            chunk_size=10_000
        ):
            if opened_on is None or flux_date is None:
                continue
            closed = None
            if state in OUT_OF_SCOPE_RIGHTS_STATES:
                closed = closed_on.get(household_id)
                if closed is None:
                    continue  # refused, or closed with no date: never in scope here
            marseille = bool(commune_id) and (commune_id.startswith("132") or commune_id == MARSEILLE_INSEE_CODE)
            facts.append(
                FileFacts(
                    len(facts),
                    pk,
                    opened_on,
                    flux_date,
                    sector_codes.get(sector_id),
                    area_of.get(commune_id),
                    marseille,
                    closed,
                    single_parent,
                    youngest_child.get(household_id),
                )
            )
        return facts

    def _rng(self, facts):
        return random.Random(self.base_seed + facts.rank)

    def _showcase(self, files):
        """{file rank: (referent id, leads, recent)}: the named referents' caseloads, files of their own
        territory first, then of the rest of Marseille, kept when the journey ends with them as current
        referent; at most two thirds of them in accompaniment while other candidates can be found. `recent`
        is the pathway of the one file told by `draw_recent`, None for the others."""
        chosen = {}
        for key, size in SHOWCASE_CASELOADS:
            user = self.context.users.get(key)
            if user is None or user.pk not in self.home:
                continue
            organisation, territory = self.home[user.pk]
            family = Pathway.EMPLOI if organisation not in (DEPARTEMENT, CCAS) else "social"
            own = "area" if family == Pathway.EMPLOI else "district"
            candidates = sorted(
                (facts for facts in files if facts.marseille and facts.rank not in chosen),
                key=lambda facts: (getattr(facts, own) != territory, facts.rank),
            )
            leads = {family: organisation}
            cap = round(size * SHOWCASE_ACCOMPANIED)
            accompanied, others = [], []
            for scanned, facts in enumerate(candidates, start=1):
                journey = self.drawer.draw(facts, self._rng(facts), leads)
                if journey.current_referent_organisation() == organisation:
                    (accompanied if journey.in_accompaniment else others).append(facts.rank)
                if len(others) + min(len(accompanied), cap) >= size:
                    break
                if scanned >= size * SHOWCASE_SCAN and len(others) + len(accompanied) >= size:
                    break
            kept = others[: size - min(len(accompanied), cap)]
            caseload = kept + accompanied[: size - len(kept)]
            for rank in caseload:
                chosen[rank] = (user.pk, leads, None)
            # One file waiting for its first interview (else any) becomes the recently oriented one.
            recent = next((rank for rank in caseload if self.drawer.fits_recent(files[rank])), None)
            if recent is not None:
                chosen[recent] = (user.pk, leads, Pathway.EMPLOI if family == Pathway.EMPLOI else Pathway.SOCIAL_PRO)
        return chosen

    def _people(self, facts, journey, rng, showcase):
        """Users for the roles of a journey: one agent per assignment (a colleague of the same team on a
        reassignment; the showcase referent on the current one), the file's CAF agent, its Département
        worker and France Travail counsellor, an officer per orientation."""
        named = showcase[0] if showcase else None
        agents = []
        for index, (organisation, _, ended_on, _, _) in enumerate(journey.assignments):
            pool = self._pool(organisation, facts)
            if named is not None and ended_on is None:
                agents.append(named)
                continue
            previous = agents[index - 1] if index and journey.assignments[index - 1][0] == organisation else None
            others = [pk for pk in pool if pk != previous] or list(pool)  # a replacement is someone else
            choices = [pk for pk in others if pk != named] or others
            agents.append(_pick(rng, choices) if choices else None)
        roles = {
            "caf": _pick(rng, self.caf_agents) if self.caf_agents else None,
            "cd": _pick(rng, self._pool(DEPARTEMENT, facts)) if self._pool(DEPARTEMENT, facts) else None,
            "ft": _pick(rng, self._pool(facts.area, facts)) if self._pool(facts.area, facts) else None,
        }
        officers = []
        for pathway, organisation, *_ in journey.orientations:
            agency = self.agency_officers.get(organisation) if pathway == Pathway.EMPLOI else None
            pool = agency if agency and rng.random() < 0.5 else self.departement_officers
            officers.append(_pick(rng, pool))
        return agents, roles, officers

    # Writing ------------------------------------------------------------------------------------------
    def _writers(self):
        fields = {
            Interview: (
                "beneficiary", "kind", "scheduled_for", "held_on", "status", "medium", "outcome", "notes",
                "complementary_rights", "created_by", "created_at",
            ),
            Interview.participants.through: ("interview", "user"),
            Diagnostic: (
                "beneficiary", "held_on", "place", "beneficiary_present", "tripartite", "employment_situation",
                "qualification_level", "targeted_occupations", "aspirations", "suggested_pathway", "interview",
                "created_by", "created_at",
            ),
            Diagnostic.participants.through: ("diagnostic", "user"),
            DiagnosticBarrier: ("diagnostic", "category", "level", "comment", "lifted_on"),
            DiagnosticBarrier.situations.through: ("diagnosticbarrier", "barriersituation"),
            Orientation: (
                "beneficiary", "pathway", "organisation", "decided_on", "decided_by", "reasoning", "diagnostic",
                "notified_on", "notified_by", "ended_on", "end_reason", "end_comment", "previous", "created_at",
            ),
            ReferentAssignment: (
                "beneficiary", "agent", "organisation", "designated_on", "designated_by", "ended_on", "end_reason",
                "created_at",
            ),
            Episode: ("beneficiary", "started_on", "opening_interview", "ended_on"),
            Contract: (
                "beneficiary", "kind", "signed_on", "starts_on", "ends_on", "weekly_hours", "hours_reduction_reason",
                "hours_reduction_comment", "objectives", "created_by", "created_at",
            ),
            ContractHoursStep: ("contract", "starts_on", "weekly_hours"),
            Activity: (
                "contract", "kind", "title", "provider", "provider_organisation", "starts_on", "ends_on",
                "weekly_planned_hours", "status", "created_by", "created_at",
            ),
            ActivityHours: ("activity", "week_of", "hours", "recorded_by", "recorded_at"),
            Exit: ("beneficiary", "episode", "exited_on", "reason", "comment", "created_by", "created_at"),
        }  # fmt: skip
        return {model: TableWriter(model, names) for model, names in fields.items()}

    def _at(self, day, slot=SLOTS[8]):
        """A moment of a past day (never after now)."""
        moment = datetime.datetime.combine(day, slot, tzinfo=PARIS)
        return moment if day < self.today else min(self.now, moment)

    def _write(self, w, facts, journey, agents, roles, officers):
        who = lambda role: agents[role] if isinstance(role, int) else roles[role]  # noqa: E731
        file_id = facts.pk
        interviews = w[Interview]
        interview_ids = []
        for (
            kind,
            day,
            slot,
            status,
            medium,
            role,
            participants,
            outcome,
            notes,
            rights,
            booked_on,
        ) in journey.interviews:
            scheduled_for = datetime.datetime.combine(day, slot, tzinfo=PARIS)
            held_on = day if status == InterviewStatus.HELD else None
            created_at = self._at(booked_on if status == InterviewStatus.PLANNED else day, slot)
            pk = interviews.add(
                file_id, kind, scheduled_for, held_on, status, medium, outcome, notes, rights, who(role), created_at
            )
            interview_ids.append(pk)
            for participant in dict.fromkeys(who(role) for role in participants):
                if participant is not None:
                    w[Interview.participants.through].add(pk, participant)
        diagnostic_ids = []
        for (
            interview,
            day,
            place,
            tripartite,
            employment,
            qualification,
            occupations,
            aspirations,
            suggested,
            author,
            barriers,
        ) in journey.diagnostics:
            author_id = who(author)
            pk = w[Diagnostic].add(
                file_id,
                day,
                self._place(place, facts),
                True,
                tripartite,
                employment,
                qualification,
                occupations,
                aspirations,
                suggested,
                interview_ids[interview],
                author_id,
                self._at(day, SLOTS[12]),
            )
            diagnostic_ids.append(pk)
            for participant in dict.fromkeys((who("cd"), who("ft")) if tripartite else (author_id,)):
                w[Diagnostic.participants.through].add(pk, participant)
            for category, level, comment, situations, lifted_on in barriers:
                barrier = w[DiagnosticBarrier].add(pk, category, level, comment, lifted_on)
                for code in situations:
                    w[DiagnosticBarrier.situations.through].add(barrier, self.situation_ids[code])
        orientation_ids = []
        for index, (
            pathway,
            organisation,
            decided_on,
            reasoning,
            diagnostic,
            notified_on,
            ended_on,
            end_reason,
            end_comment,
            previous,
        ) in enumerate(journey.orientations):
            officer = officers[index]
            orientation_ids.append(
                w[Orientation].add(
                    file_id,
                    pathway,
                    self.organisation_ids[organisation],
                    decided_on,
                    officer,
                    reasoning,
                    None if diagnostic is None else diagnostic_ids[diagnostic],
                    notified_on,
                    officer if notified_on else None,
                    ended_on,
                    end_reason,
                    end_comment,
                    None if previous is None else orientation_ids[previous],
                    self._at(decided_on, SLOTS[10]),
                )
            )
        for index, (organisation, designated_on, ended_on, end_reason, orientation) in enumerate(journey.assignments):
            w[ReferentAssignment].add(
                file_id,
                agents[index],
                self.organisation_ids[organisation],
                designated_on,
                officers[orientation],
                ended_on,
                end_reason,
                self._at(designated_on, SLOTS[4]),
            )
        episode_ids = [
            w[Episode].add(file_id, started_on, interview_ids[interview], ended_on)
            for started_on, interview, ended_on in journey.episodes
        ]
        for (
            kind,
            signed_on,
            ends_on,
            hours,
            reason,
            comment,
            objectives,
            role,
            lead,
            steps,
            activities,
        ) in journey.contracts:
            author = who(role)
            pk = w[Contract].add(
                file_id, kind, signed_on, signed_on, ends_on, hours, reason, comment, objectives, author,
                self._at(signed_on, SLOTS[14]),
            )  # fmt: skip
            for starts_on, step_hours in steps:
                w[ContractHoursStep].add(pk, starts_on, step_hours)
            for kind, title, provider, partner, starts_on, act_ends, planned, status, weeks in activities:
                activity = w[Activity].add(
                    pk, kind, title, provider or self.organisation_names[lead], self.organisation_ids.get(partner),
                    starts_on, act_ends, planned, status, author, self._at(signed_on, SLOTS[15]),
                )  # fmt: skip
                for week, done in weeks:
                    w[ActivityHours].add(activity, week, done, author, self._at(week + DAYS[4], SLOTS[15]))
        for episode, exited_on, reason, comment, role, orientation in journey.exits:
            w[Exit].add(
                file_id,
                None if episode is None else episode_ids[episode],
                exited_on,
                reason,
                comment,
                officers[orientation] if role is None else who(role),  # no referent yet: the officer records it
                self._at(exited_on, SLOTS[15]),
            )

    def _place(self, place, facts):
        if place == "cd":
            district = self.context.sectors.get(facts.district)
            return f"Pôle d'insertion, {district.name}" if district else "Pôle d'insertion du Département"
        return f"Agence {self.organisation_names.get(facts.area, 'France Travail')}"

    def run(self):
        context = self.context
        started = time.monotonic()
        files = self._facts()
        showcase = self._showcase(files)
        writers = self._writers()
        with foreign_keys_checked_once(*writers):
            for facts in files:
                rng = self._rng(facts)
                chosen = showcase.get(facts.rank)
                if chosen and chosen[2]:
                    journey = self.drawer.draw_recent(facts, rng, chosen[1], chosen[2])
                else:
                    journey = self.drawer.draw(facts, rng, chosen[1] if chosen else None)
                agents, roles, officers = self._people(facts, journey, rng, chosen)
                self._write(writers, facts, journey, agents, roles, officers)
                if facts.rank % 20_000 == 19_999:
                    context.write(f"  {facts.rank + 1:>7} / {len(files)} parcours ({time.monotonic() - started:.0f} s)")
            counts = {model: writer.close() for model, writer in writers.items()}
        context.write(f"  {len(files):>7} / {len(files)} parcours ({time.monotonic() - started:.0f} s)")
        self._set_last_contact()
        return counts

    @staticmethod
    def _set_last_contact():
        """The last contact of every file is its latest held interview (one statement)."""
        latest = (
            Interview.objects.filter(beneficiary=OuterRef("pk"), status=InterviewStatus.HELD)
            .order_by()
            .values("beneficiary")
            .annotate(latest=Max("held_on"))
            .values("latest")
        )
        Beneficiary.objects.update(last_contact_on=Subquery(latest))


SUMMARY_LABELS = (
    (Interview, "entretiens"),
    (Diagnostic, "diagnostics"),
    (DiagnosticBarrier, "freins"),
    (Orientation, "orientations"),
    (ReferentAssignment, "désignations de référent"),
    (Episode, "épisodes d'accompagnement"),
    (Contract, "contrats"),
    (Activity, "activités"),
    (ActivityHours, "semaines d'heures réalisées"),
    (Exit, "sorties"),
)


def seed(context):
    counts = JourneyStep(context).run()
    context.summary.update({label: counts[model] for model, label in SUMMARY_LABELS})
    Beneficiary.objects.refresh_status()  # the journey was written in bulk, past the signals
    demo_offer.seed(context)  # the directory and the insertion offer, with prescriptions on contracts in force
    statuses = dict(Beneficiary.objects.order_by().values_list("status_code").annotate(count=Count("pk")))
    context.summary.update({f"« {status.label} »": statuses.get(status, 0) for status in Status})
