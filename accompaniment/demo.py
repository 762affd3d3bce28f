"""Demo data: the runner behind `manage.py seed_demo`, and the accompaniment app's own step.

Each project app may provide a `demo` module — the way the admin discovers `admin.py` — with
`seed(context)`, and optionally `reset(context)` (undo what `seed` made, called in reverse order) and
`exists()` (is there demo data of this app already?). Steps run in the order of DEMO_APPS: `partners`
(territories, organisations, teams, users), `accompaniment` (households, members, files), then the later
apps, which find in the context what the earlier steps created.

The accompaniment step writes with `bulk_create` in batches, from pools generated once, so that 200,000
files take a couple of minutes on PostgreSQL. Steps that write millions of rows (the journey step of
`orientation.demo`: about ten interviews a file) use a `TableWriter` instead: rows as tuples, ids chosen
here, PostgreSQL's COPY. Bulk inserts bypass the audit log on purpose: demo data is not an agent's action.
NIRs are generated, stored encrypted with their stem's hash, and never printed.
"""

import datetime
import json
import random
import time
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from importlib import import_module
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, reset_queries
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from faker import Faker

from partners.enums import PRIMARY_SECTOR_KIND, Role, SectorKind
from partners.models import Commune, SectorCommune

from . import nir as nir_lib
from .enums import FileOrigin, FundType, MemberRole, RightsState, Sex, Status
from .models import (
    OUT_OF_SCOPE_RIGHTS_STATES,
    Beneficiary,
    BeneficiaryGroupObjectPermission,
    BeneficiaryUserObjectPermission,
    FileShare,
    Household,
    HouseholdMember,
    RightsStateChange,
)

DEMO_APPS = ("partners", "accompaniment", "orientation", "childcare", "reporting")
DEFAULT_SEED = 13
DEFAULT_BENEFICIARIES = 300
BATCH_SIZE = 5_000


# The runner ----------------------------------------------------------------------------------------------
@dataclass
class DemoContext:
    """What every step receives: the shared random generators, the size and date of the demo, and what
    the earlier steps created (keyed by code: sectors, organisations, teams; by account key: users)."""

    rng: random.Random
    faker: Faker
    beneficiaries: int
    today: datetime.date
    write: Callable[[str], None] = print
    sectors: dict = field(default_factory=dict)
    organisations: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)  # label → count, printed at the end

    @classmethod
    def create(cls, *, beneficiaries=DEFAULT_BENEFICIARIES, seed=DEFAULT_SEED, today=None, write=print):
        faker = Faker("fr_FR")
        faker.seed_instance(seed)
        return cls(
            rng=random.Random(seed),
            faker=faker,
            beneficiaries=beneficiaries,
            today=today or timezone.localdate(),
            write=write,
        )


def demo_modules():
    """(app label, module) of the installed project apps that have a `demo` module, in step order."""
    for label in DEMO_APPS:
        if not apps.is_installed(label):
            continue
        if module_has_submodule(apps.get_app_config(label).module, "demo"):
            yield label, import_module(f"{label}.demo")


def existing_demo_data():
    """Labels of the apps that already hold demo data."""
    return [label for label, module in demo_modules() if hasattr(module, "exists") and module.exists()]


def run(context, *, reset_first=False):
    """Seeds every app in order (after undoing the previous demo data, in reverse order, if asked).
    The caller holds the transaction."""
    modules = list(demo_modules())
    if reset_first:
        for label, module in reversed(modules):
            if hasattr(module, "reset"):
                context.write(f"Effacement des données de démonstration : {label}")
                module.reset(context)
    for label, module in modules:
        started = time.monotonic()
        context.write(f"Données de démonstration : {label}…")
        module.seed(context)
        context.write(f"  {label} : terminé en {time.monotonic() - started:.1f} s")
    return context


class TableWriter:
    """Appends rows to one table, in batches, with ids chosen here so that rows of other tables can point at
    them before anything is written (foreign keys are checked at commit).

    Rows are tuples in the order of `fields`; no model instance is built, no signal sent, no audit row
    written. On PostgreSQL a batch is one COPY (measured: five times faster than bulk_create for the
    journey's two million interviews), psycopg adapts dates, times and decimals itself and JSON goes as
    text; elsewhere (SQLite) a batch is one executemany and each value goes through its field's
    `get_db_prep_save`. `close()` writes the last batch and moves the table's id sequence past the ids used.
    """

    def __init__(self, model, fields, *, batch_size=50_000):
        meta = model._meta
        self.model = model
        self.batch_size = batch_size
        self.fields = [meta.pk, *(meta.get_field(name) for name in fields)]
        self.postgresql = connection.vendor == "postgresql"
        self.prepare = []  # (column index, converter) of the values the driver cannot take as they are
        for index, model_field in enumerate(self.fields):
            if self.postgresql and model_field.get_internal_type() == "JSONField":
                self.prepare.append((index, partial(json.dumps, cls=model_field.encoder)))
            elif not self.postgresql:
                self.prepare.append((index, partial(model_field.get_db_prep_save, connection=connection)))
        self.next_id = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.rows = []
        self.count = 0

    def add(self, *values):
        """Queues a row (values in the order of `fields`) and returns its id."""
        pk = self.next_id
        self.next_id += 1
        self.rows.append((pk, *values))
        if len(self.rows) >= self.batch_size:
            self.flush()
        return pk

    def flush(self):
        if not self.rows:
            return
        rows = self.rows
        if self.prepare:
            rows = [self._prepared(row) for row in rows]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in self.fields)
        with connection.cursor() as cursor:
            if self.postgresql:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
        self.count += len(rows)
        self.rows = []
        reset_queries()  # with DEBUG on, Django would keep every statement in memory

    def _prepared(self, row):
        row = list(row)
        for index, convert in self.prepare:
            row[index] = convert(row[index])
        return row

    def close(self):
        self.flush()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                cursor.execute(statement)
        return self.count


@contextmanager
def foreign_keys_checked_once(*models):
    """On PostgreSQL, drops the foreign keys of these tables for a bulk load and adds them back afterwards:
    adding a key checks every row in one join, where a key in place checks each row as it is inserted (a
    lookup and a row lock per key and row, measured at 20 µs here: minutes for the journey's rows). The
    definitions are read from the catalogue and restored as they were; the transaction holds the tables
    meanwhile, and a failure rolls everything back, keys included. Elsewhere, nothing to do.

    PostgreSQL alters no table while the transaction still has checks pending on it or on the tables it
    points at: the checks the earlier steps left for the commit run first (the same work, done earlier),
    and the keys are deferred again at the end, as Django creates them."""
    if connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conrelid::regclass::text, conname",
            [tables],
        )
        keys = cursor.fetchall()
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# The accompaniment step ----------------------------------------------------------------------------------
PARIS = ZoneInfo("Europe/Paris")
RIGHTS_HISTORY_DAYS = 456  # rights opened over the last ~15 months
SOURCE = "Données de démonstration"

# Composition of RSA households (weights): single person, single parent, couple, couple with children.
COMPOSITIONS = (("single", 47), ("single_parent", 30), ("couple", 8), ("couple_children", 15))
CHILDREN_COUNT = ((1, 45), (2, 32), (3, 15), (4, 6), (5, 2))
AGE_BANDS = (((18, 24), 5), ((25, 34), 32), ((35, 49), 40), ((50, 64), 23))
RIGHTS_STATES = (
    (RightsState.OPEN_PAYABLE, 86),
    (RightsState.OPEN_SUSPENDED, 3),
    (RightsState.PAYMENT_SUSPENDED, 6),
    (RightsState.CLOSED, 5),
)
OUTSIDE_EVERY = 30  # one household in 30 lives in another Département: its files are unassigned
MSA_SHARE = 0.02  # outside Marseille, some households depend on the MSA
APPLICANT_RIGHTS_AND_DUTIES = 0.95
SPOUSE_RIGHTS_AND_DUTIES = 0.65

# RSA households are concentrated in Marseille, above all in its northern and central arrondissements.
RSA_WEIGHT = {
    "13201": 2.5, "13202": 2.2, "13203": 2.8, "13204": 1.4, "13205": 1.4, "13206": 1.1, "13207": 0.8,
    "13208": 0.7, "13209": 1.0, "13210": 1.4, "13211": 1.2, "13212": 0.7, "13213": 1.6, "13214": 2.2,
    "13215": 2.6, "13216": 2.0,
}  # fmt: skip
# Towns with priority neighbourhoods (QPV) weigh more than villages.
TOWNS_WITH_QPV = {
    "13001", "13004", "13005", "13014", "13028", "13039", "13047", "13054", "13056", "13063", "13077",
    "13103", "13108", "13117", "13041",
}  # fmt: skip
QPV_SHARE = {"marseille_north": 0.6, "marseille": 0.25, "town": 0.3, "other": 0.02}

# Where households that moved in from another Département live (no commune of ours: unassigned).
OUTSIDE_PLACES = (
    ("Toulon", "83000"),
    ("La Seyne-sur-Mer", "83500"),
    ("Hyères", "83400"),
    ("Avignon", "84000"),
    ("Cavaillon", "84300"),
    ("Nîmes", "30000"),
    ("Montpellier", "34000"),
    ("Nice", "06000"),
    ("Lyon", "69008"),
    ("Paris", "75019"),
)

STREET_TYPES = ("rue", "rue", "rue", "avenue", "boulevard", "chemin", "traverse", "impasse", "allée", "place")
STREET_NAMES = (
    "de la République", "Jean Jaurès", "Victor Hugo", "Pasteur", "Gambetta", "de la Gare", "des Écoles",
    "du Moulin", "des Lilas", "de la Liberté", "Émile Zola", "Jules Ferry", "du Général de Gaulle",
    "Paul Cézanne", "Frédéric Mistral", "Marcel Pagnol", "des Oliviers", "des Pins", "de la Mer",
    "du Port", "Saint-Louis", "Sainte-Marthe", "de la Rose", "des Platanes", "de la Fontaine", "du Stade",
    "Albert Camus", "Louise Michel", "Jean Moulin", "de Lyon", "de Marseille", "d'Aix", "Nationale",
    "des Chartreux", "de la Belle de Mai", "Félix Pyat", "Capitaine Gèze", "de Saint-Just", "des Calanques",
    "du Prado", "de la Capelette", "de l'Étang", "des Salins", "de la Camargue", "des Alpilles",
    "Antoine de Saint-Exupéry", "Pierre Brossolette", "du 8 Mai 1945", "Lamartine", "Voltaire",
)  # fmt: skip
RESIDENCES = ("Les Flamants", "Le Clos", "Les Oliviers", "La Castellane", "Les Lauriers", "Le Parc", "Les Cèdres")

# Names common in the Bouches-du-Rhône that Faker's French locale lacks.
EXTRA_MALE_NAMES = (
    "Mohamed", "Karim", "Yassine", "Mehdi", "Sofiane", "Bilal", "Nabil", "Rachid", "Samir", "Ibrahim",
    "Moussa", "Saïd", "Ali", "Ahmed", "Youssef", "Hamza", "Amine", "Anis", "Djamel", "Farid", "Mamadou",
    "Ismaël", "Kader", "Walid", "Nordine", "Antonio", "José", "Giovanni", "Tuan", "Ayoub",
)  # fmt: skip
EXTRA_FEMALE_NAMES = (
    "Fatima", "Nadia", "Samira", "Yasmina", "Leïla", "Amina", "Sarah", "Inès", "Myriam", "Karima",
    "Soraya", "Nawel", "Farida", "Zohra", "Hanane", "Aïcha", "Mariama", "Fatoumata", "Naïma", "Sabrina",
    "Malika", "Houria", "Salima", "Djamila", "Linh", "Maria", "Ana", "Rosa", "Kenza", "Lina",
)  # fmt: skip
EXTRA_LAST_NAMES = (
    "Benali", "Haddad", "Mansouri", "Belkacem", "Cherif", "Hamidi", "Bouzid", "Amrani", "Benaïssa", "Saïd",
    "Ahamada", "Mohamed", "Soilihi", "Abdallah", "Diallo", "Traoré", "Nguyen", "Tran", "Garcia",
    "Martinez", "Lopez", "Fernandez", "Sanchez", "Da Silva", "Pereira", "Ferreira", "Santos", "Rossi",
    "Esposito", "Giordano", "Gomez", "Perez", "Navarro", "Kaci", "Meziane", "Ouali", "Touati", "Zerrouki",
    "Camara", "Keita", "Sissoko", "Ndiaye", "Bensaïd", "Boumediene", "Hadj", "Ait Ali", "Said Ali",
    "Mdahoma", "Attoumani", "Belaïd",
)  # fmt: skip
EXTRA_NAMES_SHARE = 0.4

# Birthplaces in NIRs: the Département (commune numbers of its larger towns), another Département,
# or abroad (99 + INSEE country code).
BIRTH_COMMUNES_13 = ("055", "055", "055", "055", "001", "004", "005", "028", "047", "054", "056", "117", "103")
COUNTRIES = ("350", "351", "352", "397", "341", "335", "326", "322", "208", "139", "134", "127", "333", "243")
DEPARTEMENTS = tuple(f"{n:02d}" for n in range(1, 96) if n not in (13, 20))


def exists():
    return Beneficiary.objects.exists() or Household.objects.exists()


def reset(context):
    """Deletes every file and household (a demo database holds nothing else), dependants first so that
    each delete is a single statement."""
    from .deadline_engine import purge_deadlines

    purge_deadlines()
    for model in (
        BeneficiaryUserObjectPermission,
        BeneficiaryGroupObjectPermission,
        FileShare,
        RightsStateChange,
        HouseholdMember,
    ):
        model.objects.all().delete()
    Beneficiary.objects.only("pk").delete()
    Household.objects.only("pk").delete()


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "-")


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return values, weights


@contextmanager
def _explicit_creation_dates(*models):
    """Lets bulk_create keep the `created_at` we set (the flux date) instead of "now"."""
    fields = [model._meta.get_field("created_at") for model in models]
    for model_field in fields:
        model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field in fields:
            model_field.auto_now_add = True


class Population:
    """Generates households, their members and files from pools built once."""

    def __init__(self, context):
        self.rng = rng = context.rng
        self.today = context.today
        faker = context.faker
        self.male_names = sorted({faker.first_name_male() for _ in range(1000)})
        self.female_names = sorted({faker.first_name_female() for _ in range(1000)})
        self.last_names = sorted({faker.last_name() for _ in range(3000)})
        self.streets = [f"{kind} {name}" for kind in sorted(set(STREET_TYPES)) for name in STREET_NAMES]
        self.stems = set()
        self.next_matricule = 1_200_000 + rng.randrange(100_000)
        self._load_territory(context)

    # Territory -------------------------------------------------------------------------------------
    def _load_territory(self, context):
        communes = list(
            Commune.objects.filter(departement="13", population__isnull=False)
            .exclude(insee_code="13055")
            .order_by("insee_code")
        )
        memberships = SectorCommune.objects.values_list("commune_id", "kind", "sector_id", "sector__code")
        self.sector_of, area_of = {}, {}
        for insee, kind, sector_id, code in memberships:
            if kind == PRIMARY_SECTOR_KIND:
                self.sector_of[insee] = sector_id
            elif kind == SectorKind.FRANCE_TRAVAIL_AREA:
                area_of[insee] = code
        self.communes = communes
        self.commune_weights = [
            commune.population
            * RSA_WEIGHT.get(commune.insee_code, 1.2 if commune.insee_code in TOWNS_WITH_QPV else 0.5)
            for commune in communes
        ]

        # Who creates files: the district's insertion team, the agency's counsellors, the CCAS, the CAF.
        team_sector = context.extra.get("team_sector", {})
        members = defaultdict(list)
        for key, team in context.teams.items():
            members[team_sector.get(key) or key] = sorted(team.members.values_list("id", flat=True))
        self.district_referents = {
            context.sectors[code].pk: ids
            for code, ids in members.items()
            if code in context.sectors and context.sectors[code].kind == PRIMARY_SECTOR_KIND and ids
        }
        self.agency_counsellors = {insee: members.get(code, []) for insee, code in area_of.items()}
        self.ccas_workers = members.get("CCAS-MARSEILLE", [])
        self.caf_agents = sorted(user.pk for user in context.users.values() if user.has_role(Role.CAF_AGENT))

    def place(self, *, outside):
        rng = self.rng
        if outside:
            city, postal_code = rng.choice(OUTSIDE_PLACES)
            return {"commune": None, "sector_id": None, "city": city, "postal_code": postal_code, "qpv": False}
        commune = rng.choices(self.communes, weights=self.commune_weights)[0]
        insee = commune.insee_code
        marseille = insee.startswith("132")
        if insee in ("13202", "13203", "13213", "13214", "13215", "13216"):
            qpv = QPV_SHARE["marseille_north"]
        elif marseille:
            qpv = QPV_SHARE["marseille"]
        else:
            qpv = QPV_SHARE["town" if insee in TOWNS_WITH_QPV else "other"]
        return {
            "commune": commune,
            "sector_id": self.sector_of.get(insee),
            "city": "Marseille" if marseille else commune.name,
            "postal_code": rng.choice(commune.postal_codes.split()),
            "qpv": rng.random() < qpv,
        }

    def address(self, qpv):
        rng = self.rng
        street = f"{rng.randint(1, 180)} {rng.choice(self.streets)}"
        complement = ""
        if qpv or rng.random() < 0.15:
            complement = f"Résidence {rng.choice(RESIDENCES)}, bât. {rng.choice('ABCDEFGH')}, apt {rng.randint(1, 120)}"
        return street, complement

    # People ----------------------------------------------------------------------------------------
    def first_name(self, sex, extra):
        rng = self.rng
        if extra and rng.random() < 0.8:
            return rng.choice(EXTRA_FEMALE_NAMES if sex == Sex.FEMALE else EXTRA_MALE_NAMES)
        return rng.choice(self.female_names if sex == Sex.FEMALE else self.male_names)

    def last_name(self, extra):
        return self.rng.choice(EXTRA_LAST_NAMES if extra else self.last_names)

    def birth_date(self, age_range):
        """A birth date of someone aged between the two bounds (in whole years) today."""
        low, high = age_range
        latest = _years_before(self.today, low) - datetime.timedelta(days=1 if low == 0 else 0)
        earliest = _years_before(self.today, high + 1) + datetime.timedelta(days=1)
        return earliest + datetime.timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def adult_birth_date(self):
        return self.birth_date(self.rng.choices(*_weighted(AGE_BANDS))[0])

    def nir_stem(self, sex, birth_date):
        """A fresh, well-formed 13-character NIR stem consistent with sex and birth date."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.45:
            place = "13" + rng.choice(BIRTH_COMMUNES_13)
        elif draw < 0.75:
            place = rng.choice(DEPARTEMENTS) + f"{rng.randint(1, 400):03d}"
        else:
            place = "99" + rng.choice(COUNTRIES)
        prefix = f"{1 if sex == Sex.MALE else 2}{birth_date.year % 100:02d}{birth_date.month:02d}{place}"
        while True:
            stem = f"{prefix}{rng.randint(1, 999):03d}"
            if stem not in self.stems:
                self.stems.add(stem)
                return stem

    def nir(self, sex, birth_date, *, with_key):
        """(encrypted, hash) of a generated NIR; a file typed by hand carries the 15-digit form."""
        stem = self.nir_stem(sex, birth_date)
        value = f"{stem}{nir_lib.key_of(stem):02d}" if with_key else stem
        return nir_lib.encrypt(value), nir_lib.stem_hash(stem)

    def phone(self):
        # The range ARCEP reserves for fiction: 06 39 98 00 00 - 06 39 98 99 99.
        return f"06 39 98 {self.rng.randint(0, 99):02d} {self.rng.randint(0, 99):02d}"

    def email(self, first_name, last_name):
        domain = self.rng.choice(("example.org", "example.com", "example.net"))
        return f"{_ascii(first_name)}.{_ascii(last_name)}{self.rng.randint(1, 99)}@{domain}"

    def france_travail_id(self):
        return f"{self.rng.randrange(10**7):07d}{self.rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}"

    # Relations ------------------------------------------------------------------------------------
    def author(self, place):
        """Who created the file (None for most flux files): access at this stage follows authorship."""
        rng = self.rng
        commune = place["commune"]
        if commune is None:
            return None
        draw = rng.random()
        referents = self.district_referents.get(place["sector_id"])
        if draw < 0.40:
            return rng.choice(referents) if referents else None
        counsellors = self.agency_counsellors.get(commune.insee_code)
        if draw < 0.52:
            return rng.choice(counsellors) if counsellors else None
        if draw < 0.55:
            marseille = commune.insee_code.startswith("132")
            return rng.choice(self.ccas_workers) if marseille and self.ccas_workers else None
        if draw < 0.555:
            return rng.choice(self.caf_agents) if self.caf_agents else None
        return None

    def created_at(self, day):
        return datetime.datetime.combine(
            day, datetime.time(self.rng.randint(8, 17), self.rng.randint(0, 59)), tzinfo=PARIS
        )

    # A household ---------------------------------------------------------------------------------
    def household(self, index):
        """A household with its members, files and rights history (unsaved)."""
        rng, today = self.rng, self.today
        place = self.place(outside=index % OUTSIDE_EVERY == OUTSIDE_EVERY // 2)
        composition = rng.choices(*_weighted(COMPOSITIONS))[0]
        couple = composition.startswith("couple")
        with_children = composition in ("single_parent", "couple_children")
        extra = rng.random() < EXTRA_NAMES_SHARE

        opened_on = today - datetime.timedelta(days=rng.randint(0, RIGHTS_HISTORY_DAYS))
        flux_date = min(today, opened_on + datetime.timedelta(days=rng.randint(2, 12)))
        state = rng.choices(*_weighted(RIGHTS_STATES))[0]
        author = self.author(place)
        manual = author is not None and rng.random() < 0.3
        if manual:
            flux_date = min(today, opened_on + datetime.timedelta(days=rng.randint(5, 40)))
        fund_type = FundType.MSA if place["commune"] and rng.random() < MSA_SHARE else FundType.CAF
        self.next_matricule += rng.randint(1, 40)
        matricule = f"{self.next_matricule:07d}"
        street, complement = self.address(place["qpv"])

        household = Household(
            fund_type=fund_type,
            fund_number="131" if fund_type == FundType.CAF else "013",
            matricule=matricule,
            rights_requested_on=opened_on,
            rights_state=state,
            flux_reference_date=max(flux_date, today - datetime.timedelta(days=rng.randint(0, 27))),
            family_situation=rng.choice(("MAR", "VIM", "PAC") if couple else ("CEL", "CEL", "DIV", "SEP", "VEU")),
            created_at=self.created_at(flux_date),
        )

        # The adults.
        if composition == "single_parent":
            applicant_sex = Sex.FEMALE if rng.random() < 0.9 else Sex.MALE
        else:
            applicant_sex = Sex.MALE if rng.random() < (0.6 if couple else 0.55) else Sex.FEMALE
        family_name = self.last_name(extra)
        adults = [(MemberRole.APPLICANT, applicant_sex, family_name, self.adult_birth_date())]
        if couple:
            spouse_sex = Sex.FEMALE if applicant_sex == Sex.MALE else Sex.MALE
            spouse_birth = adults[0][3] + datetime.timedelta(days=rng.randint(-6 * 365, 6 * 365))
            spouse_birth = min(max(spouse_birth, self.birth_date((64, 64))), self.birth_date((18, 18)))
            spouse_name = family_name if rng.random() < 0.5 else self.last_name(extra)
            adults.append((MemberRole.SPOUSE, spouse_sex, spouse_name, spouse_birth))

        files, members = [], []
        for role, sex, last_name, birth_date in adults:
            applicant = role == MemberRole.APPLICANT
            first_name = self.first_name(sex, extra)
            rights_and_duties = rng.random() < (APPLICANT_RIGHTS_AND_DUTIES if applicant else SPOUSE_RIGHTS_AND_DUTIES)
            has_nir = rng.random() < 0.92
            nir_encrypted, nir_hash = self.nir(sex, birth_date, with_key=manual) if has_nir else ("", "")
            beneficiary = None
            if applicant or rights_and_duties:
                created_at = self.created_at(flux_date)
                beneficiary = Beneficiary(
                    household=household,
                    first_name=first_name,
                    last_name=last_name,
                    birth_name=self.last_name(extra) if sex == Sex.FEMALE and rng.random() < 0.15 else "",
                    birth_date=birth_date,
                    sex=sex,
                    nir_encrypted=nir_encrypted,
                    nir_hash=nir_hash,
                    caf_number=matricule,
                    france_travail_id=self.france_travail_id() if rng.random() < 0.6 else "",
                    france_travail_uid=uuid.UUID(int=rng.getrandbits(128), version=4) if rng.random() < 0.35 else None,
                    address=street,
                    address_complement=complement,
                    postal_code=place["postal_code"],
                    city=place["city"],
                    commune=place["commune"],
                    sector_id=place["sector_id"],
                    qpv=place["qpv"],
                    phone=self.phone() if rng.random() < 0.85 else "",
                    email=self.email(first_name, last_name) if rng.random() < 0.4 else "",
                    rights_opened_on=opened_on,
                    flux_date=flux_date,
                    rights_state=state,
                    rights_and_duties=rights_and_duties,
                    # No journey yet: the status follows the rights (the journey step refreshes it).
                    status_code=(
                        Status.TO_ORIENT
                        if rights_and_duties and state not in OUT_OF_SCOPE_RIGHTS_STATES
                        else Status.OUT_OF_SCOPE
                    ),
                    single_parent=composition == "single_parent" and applicant,
                    last_contact_on=None,  # the date of the latest held interview: set by the journey step
                    origin=FileOrigin.MANUAL if manual else FileOrigin.FLUX,
                    created_by_id=author,
                    created_at=created_at,
                )
                files.append(beneficiary)
            members.append(
                HouseholdMember(
                    household=household,
                    role=role,
                    first_name=first_name,
                    last_name=last_name,
                    birth_date=birth_date,
                    sex=sex,
                    nir_encrypted=nir_encrypted,
                    nir_hash=nir_hash,
                    rights_and_duties=rights_and_duties,
                    beneficiary=beneficiary,
                )
            )

        # The children (household members, no file), born when their parent was at least 16.
        if with_children:
            youngest_parent = min(birth for *_, birth in adults)
            oldest_child_age = min(17, max(0, (today - youngest_parent).days // 365 - 16))
            for _ in range(rng.choices(*_weighted(CHILDREN_COUNT))[0]):
                sex = rng.choice((Sex.FEMALE, Sex.MALE))
                members.append(
                    HouseholdMember(
                        household=household,
                        role=MemberRole.CHILD,
                        first_name=self.first_name(sex, extra and rng.random() < 0.5),
                        last_name=family_name,
                        birth_date=self.birth_date((0, oldest_child_age)),
                        sex=sex,
                    )
                )

        changes = [RightsStateChange(household=household, state=RightsState.OPEN_PAYABLE, effective_on=opened_on)]
        if state != RightsState.OPEN_PAYABLE:
            changed_on = opened_on + datetime.timedelta(days=rng.randint(0, (today - opened_on).days))
            closed = state == RightsState.CLOSED
            changes.append(
                RightsStateChange(
                    household=household,
                    state=state,
                    effective_on=changed_on,
                    suspended_on=None if closed else changed_on,
                    closed_on=changed_on if closed else None,
                )
            )
        for change in changes:
            change.source = f"{SOURCE} ({fund_type})"
        return household, files, members, changes


def seed(context):
    target = context.beneficiaries
    population = Population(context)
    started = time.monotonic()
    totals = Counter()
    batch = {"households": [], "files": [], "members": [], "changes": []}

    def flush():
        Household.objects.bulk_create(batch["households"], batch_size=BATCH_SIZE)
        Beneficiary.objects.bulk_create(batch["files"], batch_size=BATCH_SIZE)
        HouseholdMember.objects.bulk_create(batch["members"], batch_size=BATCH_SIZE)
        RightsStateChange.objects.bulk_create(batch["changes"], batch_size=BATCH_SIZE)
        for key, rows in batch.items():
            totals[key] += len(rows)
            rows.clear()
        reset_queries()  # with DEBUG on, Django keeps every statement (and these are big) in memory
        context.write(f"  {totals['files']:>7} / {target} dossiers ({time.monotonic() - started:.0f} s)")

    with (
        _explicit_creation_dates(Household, Beneficiary),
        foreign_keys_checked_once(Household, Beneficiary, HouseholdMember, RightsStateChange),
    ):
        while totals["files"] + len(batch["files"]) < target:
            household, files, members, changes = population.household(totals["households"] + len(batch["households"]))
            room = target - totals["files"] - len(batch["files"])
            if len(files) > room:  # the last household: keep its applicant's file only
                files = files[:room]
                for member in members:
                    if member.beneficiary is not None and member.beneficiary not in files:
                        member.beneficiary = None
            batch["households"].append(household)
            batch["files"].extend(files)
            batch["members"].extend(members)
            batch["changes"].extend(changes)
            if len(batch["files"]) >= BATCH_SIZE:
                flush()
        flush()

    unassigned = Beneficiary.objects.filter(sector__isnull=True).count()
    context.summary.update(
        {
            "foyers": totals["households"],
            "membres de foyer": totals["members"],
            "dossiers": totals["files"],
            "dossiers non affectés": unassigned,
        }
    )


def visibility_report(context):
    """How many files each named demo account sees through `for_user()`, and for referents how many they are
    the current referent of, by status (printed after seeding)."""
    labels = dict(Status.choices)
    lines = []
    for key in context.extra.get("named_accounts", []):
        user = context.users[key]
        line = f"  {user.email:<40} {Beneficiary.objects.for_user(user).count():>7} dossiers visibles"
        if user.has_role(Role.REFERENT):
            followed = Beneficiary.objects.filter(
                referent_assignments__agent=user, referent_assignments__ended_on__isnull=True
            )
            by_status = dict(followed.order_by().values_list("status_code").annotate(count=Count("pk")))
            detail = ", ".join(
                f"{labels[code].lower()} {by_status[code]}" for code in Status.values if code in by_status
            )
            line += f", référent de {sum(by_status.values())}" + (f" ({detail})" if detail else "")
        lines.append(line)
    return lines
