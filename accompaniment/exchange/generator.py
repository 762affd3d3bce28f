"""Valid VRSB0801 flux of any size, for tests and benchmarks: deterministic for a seed, written as a stream.

Households are the Département's (real communes, Marseille sometimes given as 13055 with its postal code, a few
households from another Département), with an applicant, often a spouse and children, well-formed 13-digit NIRs
(unique within the generated range), France Travail ids for some adults, and the RSA states the flux carries
(open, suspended, closed, refused…) with their reasons and dates. A monthly flux (`TYPEFLUX` M) carries every
block; a daily one (`TYPEFLUX` I) carries, as real ones do, partial households: sometimes only the identification
and the person who changed, sometimes a new rights state without the address.

`start` numbers the first household: two files with disjoint ranges describe different households (their
matricules and NIRs do not meet); the same range with a later reference date describes the same households again.
"""

import datetime
import random
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from django.utils import timezone

from partners.communes import read_communes

ENCODING = "windows-1252"
MAX_PERSONS = 8  # per household: the NIR numbering leaves room for this many

FEMALE_NAMES = (
    "Amina Awa Camille Cécile Chloé Clémence Élodie Emma Fatima Françoise Hélène Inès Jade Julie Karima Laetitia "
    "Léa Leïla Lina Manon Maëlys Marie Maryam Mélanie Nadia Naïma Nathalie Noémie Océane Rose Sabrina Salomé Samia "
    "Sandrine Sarah Sophie Stéphanie Yasmine Zoé Zohra"
).split()
MALE_NAMES = (
    "Adam Ahmed Alexandre Ali Anthony Antoine Bilal Cédric Christophe David Éric Farid François Frédéric Gaël Hugo "
    "Ibrahim Jérôme Jonathan Karim Kévin Louis Lucas Mamadou Mehdi Mohamed Moussa Nabil Nicolas Noël Omar Paul "
    "Rachid Rémi Samir Sébastien Thomas Yacine Yanis Youssef"
).split()
LAST_NAMES = (
    "MARTIN BERNARD DUBOIS THOMAS ROBERT RICHARD PETIT DURAND LEROY MOREAU SIMON LAURENT LEFEBVRE MICHEL GARCIA "
    "DAVID BERTRAND ROUX VINCENT FOURNIER MOREL GIRARD ANDRE MERCIER DUPONT LAMBERT BONNET FRANCOIS MARTINEZ LEGRAND "
    "GARNIER FAURE ROUSSEAU BLANC GUERIN MULLER HENRY ROUSSEL NICOLAS PERRIN MORIN MATHIEU CLEMENT GAUTHIER DUMONT "
    "LOPEZ FONTAINE CHEVALIER ROBIN BENALI BENSAID HADDAD MANSOURI DIALLO TRAORE N'DIAYE DA_SILVA LE_GALL "
    "SANTOS FERREIRA KONE CAMARA BOUAZIZ CHERIF AMRANI MEZIANE OULD_ALI NGUYEN TRAN"
).split()
STREETS = (
    "RUE DE LA REPUBLIQUE",
    "BOULEVARD NATIONAL",
    "AVENUE DU PRADO",
    "RUE PARADIS",
    "CHEMIN DE LA MADRAGUE",
    "RUE DES LILAS",
    "AVENUE JEAN JAURES",
    "BOULEVARD DE LA LIBERATION",
    "TRAVERSE DES PINS",
    "RUE D'AUBAGNE",
    "IMPASSE DES OLIVIERS",
    "COURS MIRABEAU",
)
COMPLEMENTS = ("BAT A", "BAT C ESC 2", "RESIDENCE LES FLORALIES", "CITE DES ROSIERS", "APPT 12", "CHEZ MME DURAND")
# Households of another Département (moved in, or not moved yet): their files are unassigned.
ELSEWHERE = (
    ("92044", "92300", "LEVALLOIS PERRET"),
    ("75056", "75018", "PARIS"),
    ("69123", "69008", "LYON"),
    ("83137", "83000", "TOULON"),
    ("84007", "84000", "AVIGNON"),
)
# ETATDOSRSA of a monthly flux (weights): most rights open and payable.
STATES = (("2", 78), ("3", 4), ("4", 5), ("5", 5), ("6", 3), ("0", 3), ("1", 2))
COMPOSITIONS = (("single", 45), ("single_parent", 25), ("couple", 10), ("couple_children", 20))
SUSPENSION_REASONS = ("01", "02", "05", "06", "35", "44")
CLOSURE_REASONS = ("PCG", "ECH", "EFF", "MUT", "RGD", "RFD")
ACTIVITIES = ("CHO", "SAL", "SSA", "INV", "ETU", "NAC")


@dataclass
class GeneratedFlux:
    households: int = 0
    persons: int = 0
    subject_adults: int = 0
    partial_households: int = 0
    states: dict = field(default_factory=dict)


def _weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return list(values), list(weights)


class _Places:
    """The Département's communes weighted by population; Marseille's arrondissements sometimes as 13055."""

    def __init__(self, departement="13"):
        self.communes = [c for c in read_communes(departement=departement) if c["postal_codes"]]
        self.weights = [c["population"] or 1 for c in self.communes]

    def pick(self, rng):
        if rng.random() < 0.025:
            insee_code, postal_code, city = rng.choice(ELSEWHERE)
            return insee_code, postal_code, city
        commune = rng.choices(self.communes, weights=self.weights)[0]
        postal_code = rng.choice(commune["postal_codes"].split())
        city = commune["name"].upper().replace("-", " ")
        if commune["kind"] == "arrondissement_municipal":
            city = "MARSEILLE"
            if rng.random() < 0.5:
                return "13055", postal_code, city
        return commune["insee_code"], postal_code, city


def _e(value):
    return escape(str(value))


def _element(name, value):
    return f"<{name}>{_e(value)}</{name}>" if value not in (None, "") else f"<{name}/>"


class FluxWriter:
    def __init__(
        self,
        *,
        seed=0,
        start=0,
        daily=False,
        fund_type="CAF",
        fund_number=None,
        created_on=None,
        reference_date=None,
        anchor=None,
        departement="13",
    ):
        self.seed = seed
        self.rng = random.Random(seed)
        self.start = start
        self.daily = daily
        self.fund_type = fund_type
        self.fund_number = fund_number or ("131" if fund_type == "CAF" else "013")
        self.created_on = created_on or timezone.localdate()
        self.reference_date = reference_date or self.created_on
        # Birth dates and rights requests are drawn relative to this day: the same anchor, seed and range give
        # the same households whatever the flux's own dates.
        self.anchor = anchor or self.reference_date
        self.places = _Places(departement)
        self.stats = GeneratedFlux()

    # Pieces ---------------------------------------------------------------------------------------------------
    def date_between(self, first, last):
        return first + datetime.timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def birth_date(self, min_age, max_age):
        today = self.anchor
        return self.date_between(
            today - datetime.timedelta(days=int(max_age * 365.25)),
            today - datetime.timedelta(days=int(min_age * 365.25)),
        )

    def nir(self, index, position, sex, birth_date):
        """A well-formed 13-digit stem, unique for (household index, position) within a million persons."""
        serial = (index * MAX_PERSONS + position) % 1_000_000
        place = "13" if self.rng.random() < 0.7 else self.rng.choice(("75", "69", "83", "84", "99"))
        return f"{1 if sex == 'M' else 2}{birth_date:%y}{birth_date:%m}{place}{serial:06d}"

    def person(self, index, position, role, sex, last_name, birth_date, *, subject, resources):
        rng = self.rng
        first_name = rng.choice(FEMALE_NAMES if sex == "F" else MALE_NAMES)
        birth_name = last_name if sex == "M" or rng.random() < 0.6 else rng.choice(LAST_NAMES).replace("_", " ")
        parts = [
            "<Personne><Identification>",
            _element("QUAL", "MME" if sex == "F" else "MR"),
            _element("NOM", last_name),
            _element("NOMNAI", birth_name),
            _element("PRENOM", first_name.upper() if rng.random() < 0.5 else first_name),
            _element("NOMCOMNAI", rng.choice(("MARSEILLE", "AIX EN PROVENCE", "ALGER", "TOULON", "ARLES"))),
            _element("DTNAI", birth_date.isoformat()),
            _element("TYPEDTNAI", "N"),
        ]
        if rng.random() < 0.97:
            parts.append(_element("NIR", self.nir(index, position, sex, birth_date)))
        parts += [
            _element("TOPVALIEC", "1"),
            _element("SEXE", "1" if sex == "M" else "2"),
            "</Identification><DossierCAF>",
            _element("TOPRESPDOS", "1" if role == "DEM" else "0"),
            _element("DDRATDOS", self.date_between(birth_date, self.anchor).isoformat()),
            "</DossierCAF>",
        ]
        for benefit in ("PFA", "RSA"):
            parts.append(
                f"<Prestations>{_element('NATPREST', benefit)}{_element('ROLEPERS', role)}"
                f"{_element('TOPCHAPERS', '1')}</Prestations>"
            )
        if role != "ENF" and rng.random() < 0.5:
            france_travail_id = f"{rng.randint(0, 9999999):07d}{rng.choice('ABCDEFGHJKX')}"
            parts.append(f"<DossierPoleEmploi>{_element('IDASSEDIC', france_travail_id)}</DossierPoleEmploi>")
        if resources:
            parts.append(self.resources())
        if role != "ENF":
            parts.append(
                f"<MontantCalculDroitRSAPersonne>{_element('TOPPERSDRODEVORSA', '1' if subject else '0')}"
                "</MontantCalculDroitRSAPersonne>"
            )
            started = self.date_between(self.anchor - datetime.timedelta(days=700), self.anchor)
            parts.append(
                f"<Activite>{_element('REG', 'GE')}{_element('ACT', rng.choice(ACTIVITIES))}"
                f"{_element('DDACT', started.isoformat())}</Activite>"
            )
        parts.append("</Personne>")
        self.stats.persons += 1
        return "".join(parts)

    def resources(self):
        rng = self.rng
        first_month = (self.anchor.replace(day=1) - datetime.timedelta(days=95)).replace(day=1)
        months = []
        for offset in range(3):
            month = (first_month + datetime.timedelta(days=32 * offset)).replace(day=1)
            details = "".join(
                f"<DetailRessourcesMensuelles>{_element('NATRESS', nature)}"
                f"{_element('MTNATRESSMEN', f'{rng.randint(0, 250000) / 100:010.2f}')}</DetailRessourcesMensuelles>"
                for nature in ("001", "010", "044")
            )
            months.append(
                f"<RessourcesMensuelles><GeneraliteRessourcesMensuelles>{_element('MOISRESS', month.isoformat())}"
                f"{_element('NBHEUMENTRA', f'{rng.randint(0, 151):03d}')}</GeneraliteRessourcesMensuelles>"
                f"{details}</RessourcesMensuelles>"
            )
        last_day = (first_month + datetime.timedelta(days=95)).replace(day=1) - datetime.timedelta(days=1)
        return (
            f"<Ressources><GeneraliteRessourcesTrimestre>{_element('TOPRESSNUL', '0')}"
            f"{_element('DDRESS', first_month.isoformat())}{_element('DFRESS', last_day.isoformat())}"
            f"</GeneraliteRessourcesTrimestre>{''.join(months)}</Ressources>"
        )

    def rights(self, state, requested_on):
        rng = self.rng
        ref = self.anchor
        blocks = [f"<EtatDossierRSA>{_element('ETATDOSRSA', state)}</EtatDossierRSA>"]
        since = self.date_between(max(requested_on, ref - datetime.timedelta(days=200)), ref)
        if state == "1":
            blocks.append(f"<Refus>{_element('DTREFURSA', since.isoformat())}{_element('MOTIREFURSA', 'DSD')}</Refus>")
        elif state == "3":
            blocks.append(
                f"<SuspensionDroit>{_element('MOTISUSDRORSA', rng.choice(SUSPENSION_REASONS))}"
                f"{_element('DDSUSDRORSA', since.isoformat())}</SuspensionDroit>"
            )
        elif state == "4":
            blocks.append(
                f"<SuspensionVersement>{_element('MOTISUSVERSRSA', rng.choice(SUSPENSION_REASONS))}"
                f"{_element('DDSUSVERSRSA', since.isoformat())}</SuspensionVersement>"
            )
        elif state in ("5", "6"):
            name = "FinDroit" if state == "5" else "FinDroitMoisAnterieur"
            blocks.append(
                f"<{name}>{_element('MOTICLORSA', rng.choice(CLOSURE_REASONS))}"
                f"{_element('DTCLORSA', since.isoformat())}</{name}>"
            )
        detail = (
            f"<DetailDroitRSA><TroncCommunDroitRSA>{_element('TOPSANSDOMFIXE', '1' if rng.random() < 0.02 else '0')}"
            f"{_element('ORIDEMRSA', 'DEM')}{_element('DTORIDEMRSA', requested_on.isoformat())}"
            "</TroncCommunDroitRSA></DetailDroitRSA>"
        )
        return f"<PrestationRSA><SituationDossierRSA>{''.join(blocks)}</SituationDossierRSA>{detail}</PrestationRSA>"

    def household(self, index):
        # One generator per household: its content depends on the seed and its number only.
        rng = self.rng = random.Random(f"{self.seed}:{self.start + index}")
        stats = self.stats
        composition = rng.choices(*_weighted(COMPOSITIONS))[0]
        couple = composition.startswith("couple")
        children = rng.choice((1, 1, 2, 2, 3, 4)) if composition in ("single_parent", "couple_children") else 0
        state = rng.choices(*_weighted(STATES))[0]
        stats.states[state] = stats.states.get(state, 0) + 1
        requested_on = self.date_between(self.anchor - datetime.timedelta(days=6 * 365), self.anchor)
        matricule = f"{self.start + index + 1:08d}0000000"
        family_name = rng.choice(LAST_NAMES).replace("_", " ")
        applicant_sex = "F" if composition == "single_parent" and rng.random() < 0.9 else rng.choice("MF")
        # (position, role, sex, last name, birth date, subject to rights and duties): positions are fixed, so that a
        # person keeps the same NIR whether the flux carries the whole household or only them.
        adults = [(1, "DEM", applicant_sex, family_name, self.birth_date(18, 64), rng.random() < 0.85)]
        if couple:
            spouse_name = family_name if rng.random() < 0.6 else rng.choice(LAST_NAMES).replace("_", " ")
            spouse_sex = "F" if applicant_sex == "M" else "M"
            adults.append((2, "CJT", spouse_sex, spouse_name, self.birth_date(18, 64), rng.random() < 0.6))
        kids = [(3 + n, rng.choice("MF"), self.birth_date(0, 17)) for n in range(children)]
        # A daily flux carries what changed: identification and persons only, or a new rights state too.
        shape = "full"
        if self.daily:
            shape = rng.choices(("full", "persons", "rights"), weights=(40, 30, 30))[0]
            if shape != "full":
                stats.partial_households += 1
        persons = []
        carried_adults = adults if shape != "persons" or len(adults) == 1 else [rng.choice(adults)]
        for position, role, sex, last_name, birth, subject in carried_adults:
            if subject and state in ("2", "3", "4"):
                stats.subject_adults += 1
            persons.append(
                self.person(index, position, role, sex, last_name, birth, subject=subject, resources=rng.random() < 0.3)
            )
        if shape != "persons":
            for position, sex, birth in kids:
                persons.append(
                    self.person(index, position, "ENF", sex, family_name, birth, subject=False, resources=False)
                )
        parts = [
            "<InfosFoyerRSA><IdentificationRSA><Organisme>",
            _element("FONORG", self.fund_type),
            _element("NUMORG", self.fund_number),
            _element("MATRICULE", matricule),
            "</Organisme><Partenaire>",
            _element("TYPEPARTE", "CG"),
            _element("IDEPARTE", "013"),
            "</Partenaire><DemandeRSA>",
            _element("DTDEMRSA", requested_on.isoformat()),
            _element("NUMDEMRSA", f"{rng.randint(0, 10**11 - 1):011d}"),
            "</DemandeRSA>",
        ]
        if shape == "full" and rng.random() < 0.01:
            arrived = self.date_between(max(requested_on, self.anchor - datetime.timedelta(days=60)), self.anchor)
            parts.append(
                f"<OrganismeCedant>{_element('FONORGCEDMUT', 'CAF')}{_element('NUMORGCEDMUT', '921')}"
                f"{_element('DDARRMUT', arrived.isoformat())}</OrganismeCedant>"
            )
        parts.append("</IdentificationRSA>")
        parts.extend(persons)
        if shape == "full":
            insee_code, postal_code, city = self.places.pick(rng)
            moved_in = self.date_between(requested_on - datetime.timedelta(days=900), self.anchor)
            situation = rng.choice(("MAR", "VIM", "PAC") if couple else ("CEL", "DIV", "SEP", "VEU"))
            parts += [
                "<DonneesAdministratives><SituationFamille>",
                _element("SITFAM", situation),
                _element(
                    "DDSITFAM",
                    self.date_between(requested_on - datetime.timedelta(days=3000), requested_on).isoformat(),
                ),
                "</SituationFamille><Adresse><TroncCommunAdresse>",
                _element("RGADR", "01"),
                _element("DTEMM", moved_in.isoformat()),
                _element("PAYS", "FRA"),
                _element("TYPEADR", "D"),
                _element("ETATADR", "CO"),
                "</TroncCommunAdresse><AdresseDetailleeFrance>",
                _element("COMPLIDEADR", rng.choice(COMPLEMENTS) if rng.random() < 0.3 else ""),
                _element("COMPLADR", ""),
                _element("NUMVOIE", str(rng.randint(1, 180))),
                _element("LIBTYPEVOIE", ""),
                _element("NOMVOIE", rng.choice(STREETS)),
                _element("LIEUDIST", ""),
                _element("NUMCOM", insee_code),
                _element("CODEPOS", postal_code),
                _element("NOMCOM", city),
                "</AdresseDetailleeFrance></Adresse></DonneesAdministratives>",
            ]
        if shape in ("full", "rights"):
            parts.append(self.rights(state, requested_on))
        if self.daily:
            parts.append(
                f"<Evenement>{_element('DTLIQ', self.created_on.isoformat())}{_element('HEULIQ', '03:24:04.5000')}"
                f"{_element('FG', rng.choice(('SITPRO', 'ETATDOS', 'ADRESSE', 'SITFAM')))}</Evenement>"
            )
        parts.append("</InfosFoyerRSA>\n")
        stats.households += 1
        return "".join(parts)

    # The file -------------------------------------------------------------------------------------------
    def header(self):
        return (
            f'<?xml version="1.0" encoding="{ENCODING}"?>\n'
            '<Racine xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="vrsb0801.xsd">\n'
            "<IdentificationFlux>"
            f"{_element('APPLIEME', 'CRI' if self.fund_type == 'CAF' else 'AGO')}"
            f"{_element('NUMVERSIONAPPLIEME', '6200')}"
            f"{_element('TYPEFLUX', 'I' if self.daily else 'M')}"
            f"{_element('NATFLUX', 'D')}"
            f"{_element('DTCREAFLUX', self.created_on.isoformat())}"
            f"{_element('HEUCREAFLUX', '21:27:43.0000')}"
            f"{_element('DTREF', self.reference_date.isoformat())}"
            "</IdentificationFlux>\n"
        )

    def footer(self):
        return (
            f"<TransmissionFlux>{_element('NBTOTDOSRSATRANSM', f'{self.stats.households:08d}')}"
            f"{_element('NBTOTDOSRSATRANSMANO', '00000000')}</TransmissionFlux>\n</Racine>\n"
        )

    def write(self, stream, households):
        """Writes the flux to a binary stream, household by household (nothing is held in memory)."""
        stream.write(self.header().encode(ENCODING))
        buffer = []
        for index in range(households):
            buffer.append(self.household(index))
            if len(buffer) >= 200:
                stream.write("".join(buffer).encode(ENCODING))
                buffer = []
        stream.write("".join(buffer).encode(ENCODING))
        stream.write(self.footer().encode(ENCODING))
        return self.stats


def generate_flux(path, *, households, **options):
    """Writes a flux of `households` households to `path`; returns what it holds (GeneratedFlux)."""
    with open(path, "wb") as stream:
        return FluxWriter(**options).write(stream, households)
