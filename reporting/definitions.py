"""What each indicator means, in French: the labels of the dashboard and the report, and the annex."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    definition: str
    numerator: str = ""
    denominator: str = ""
    period: str = "Le trimestre (ou la période choisie), jusqu'à la date d'arrêté."


PERIOD_END = "Situation au dernier jour de la période (ou à la date d'arrêté si elle est antérieure)."

DEFINITIONS = [
    Definition(
        "caseload",
        "Dossiers suivis",
        "Personnes soumises aux droits et devoirs dont les droits sont ouverts à la fin de la période, sans sortie "
        "enregistrée depuis cette ouverture.",
        period=PERIOD_END,
    ),
    Definition(
        "new_entrants",
        "Nouveaux entrants",
        "Personnes soumises aux droits et devoirs dont la date d'ouverture des droits tombe dans la période "
        "(première ouverture, réouverture après une clôture, arrivée dans le Département).",
    ),
    Definition(
        "orientation_rate",
        "Taux d'orientation des nouveaux entrants",
        "Part des nouveaux entrants orientés depuis l'ouverture de leurs droits.",
        numerator="nouveaux entrants avec une décision d'orientation datée au plus tard de la date d'arrêté",
        denominator="nouveaux entrants de la période",
    ),
    Definition(
        "funnel",
        "Entonnoir du parcours",
        "Parmi les nouveaux entrants de la période, ceux qui, entre l'ouverture de leurs droits et la date "
        "d'arrêté, ont été orientés, ont eu un référent désigné, sont entrés en accompagnement, ont signé un "
        "contrat d'engagement, sont sortis.",
    ),
    Definition(
        "deadlines",
        "Délais respectés",
        "Pour chaque règle de délai : part des échéances respectées à temps.",
        numerator="échéances respectées au plus tard à leur date limite (et avant la date d'arrêté)",
        denominator="échéances dont le délai a commencé dans la période, non annulées et arrivées à échéance "
        "à la date d'arrêté (celles qui ne sont pas encore échues sont laissées de côté)",
    ),
    Definition(
        "orientations_by_pathway",
        "Orientations par parcours",
        "Décisions d'orientation prises dans la période (réorientations comprises), par parcours.",
    ),
    Definition(
        "contracts",
        "Contrats d'engagement et heures d'activité",
        "Contrats signés dans la période ; part de ceux qui prévoient 15 heures d'activité hebdomadaires ou "
        "plus ; contrats à durée réduite (moins de 15 heures) par motif de réduction.",
        numerator="contrats signés dans la période à 15 heures ou plus",
        denominator="contrats signés dans la période",
    ),
    Definition(
        "activity_hours",
        "Heures d'activité prévues et réalisées",
        "Heures d'activité des plans d'action des contrats, pour les semaines (du lundi au dimanche) qui commencent "
        "dans la période, au plus tard à la date d'arrêté. Prévues : pour chaque semaine, les heures hebdomadaires "
        "prévues des activités en cours cette semaine-là (une activité réalisée ou abandonnée cesse de compter "
        "après le jour de ce changement). Réalisées : les heures saisies comme réalisées pour ces semaines. Masquées "
        "lorsqu'elles portent sur moins de dossiers que le seuil du secret statistique.",
    ),
    Definition(
        "active_accompaniments",
        "Accompagnements en cours",
        "Épisodes d'accompagnement ouverts à la fin de la période.",
        period=PERIOD_END,
    ),
    Definition(
        "exits_by_reason",
        "Sorties par motif",
        "Sorties enregistrées dans la période, par motif.",
    ),
    Definition(
        "positive_exit_rate",
        "Taux de sorties positives",
        "Part des sorties vers l'emploi durable, l'emploi de transition ou la formation qualifiante.",
        numerator="sorties de la période vers l'emploi (durable ou de transition) ou la formation",
        denominator="toutes les sorties de la période",
    ),
    Definition(
        "mean_accompaniment_months",
        "Durée moyenne d'accompagnement",
        "Durée moyenne des épisodes d'accompagnement clos dans la période, en jours divisés par 30,4375, "
        "arrondie au dixième de mois.",
    ),
    Definition(
        "access_to_rights",
        "Accès aux droits",
        "Part des entretiens d'accès aux droits CAF tenus qui ont ouvert au moins un droit complémentaire.",
        numerator="entretiens tenus avec au moins un droit complémentaire ouvert",
        denominator="entretiens d'accès aux droits CAF tenus dans la période",
    ),
    Definition(
        "childcare",
        "Garde d'enfants (AVIP)",
        "Structures de garde actives dont le label couvre la période, leurs places et places AVIP ; familles accueillies dans la "
        "période et, parmi elles, celles sorties vers l'emploi ou la formation (une famille compte une fois) ; "
        "part des demandes urgentes qui ont reçu une réponse dans les 24 heures. Pour un organisme référent ou un "
        "parcours, les familles et les urgences sont celles dont le dossier relève du périmètre ; les structures et "
        "les places restent celles de la circonscription ou du Département.",
        numerator="demandes urgentes de la période ayant reçu une réponse dans les 24 heures",
        denominator="demandes urgentes de la période arrivées à échéance",
    ),
    Definition(
        "conventions",
        "Conventions et actions du COPIL",
        "Conventions en vigueur à la date d'arrêté et celles qui arrivent à échéance dans les 90 jours ; actions "
        "décidées en COPIL encore ouvertes et, parmi elles, celles dont l'échéance est dépassée. Les conventions "
        "sont comptées à l'échelle du Département, ou, pour un organisme référent, celles dont il est partie ; les "
        "actions sont celles des COPIL de la circonscription choisie et, pour un organisme référent, celles qu'il "
        "porte. Le parcours ne s'applique ni aux unes ni aux autres.",
        period="Situation à la date d'arrêté.",
    ),
    Definition(
        "trend",
        "Tendance",
        "Les mêmes indicateurs pour les quatre trimestres précédents, calculés à la même date d'arrêté.",
    ),
]

MASKING_NOTE = (
    "Secret statistique : tout effectif compris entre 1 et {threshold_minus_one} est masqué (« s »), ainsi que les "
    "effectifs qui permettraient de le retrouver par différence (totaux, compléments, numérateurs). Un taux dont "
    "le numérateur, le dénominateur ou le complément est masqué est masqué en entier. Les zéros ne sont pas masqués, "
    "ni les effectifs qui ne comptent pas des personnes (conventions, actions du COPIL, structures et places de garde)."
)

LABELS = {definition.key: definition.label for definition in DEFINITIONS}
