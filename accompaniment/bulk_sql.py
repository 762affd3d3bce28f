"""The few SQL helpers the deadline engine needs to work with a constant number of statements on SQLite
and PostgreSQL alike, whatever the number of rows:

- `DayStart(date)`: the first instant of a date in the project's time zone, as a timezone-aware datetime
  (PostgreSQL: `AT TIME ZONE`; SQLite, which has no time zones: a Python function registered on each
  connection, as Django registers its own). Dates are only converted, never added to: due dates are
  computed in Python.
- `insert_rows(model, fields, rows)`: one INSERT for any number of new rows (PostgreSQL: one array per
  column through UNNEST; SQLite: one JSON array, instead of batches of 999 parameters).
- `insert_from_select(model, queryset, columns)`: INSERT … SELECT, for rows computed by the database.

Both inserts skip rows that a unique constraint already holds (ON CONFLICT DO NOTHING): rerunning is
harmless, and concurrent runs cannot duplicate.
"""

import datetime
import json
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import DateTimeField, Func

SQLITE_DAY_START = "parcours_day_start"


def _sqlite_day_start(value, tzname):
    """'2026-03-29' → '2026-03-28 23:00:00': midnight in `tzname`, stored the way Django stores datetimes on
    SQLite (naive UTC text)."""
    if value is None:
        return None
    day = datetime.date.fromisoformat(str(value)[:10])
    midnight = datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(tzname))
    return str(midnight.astimezone(datetime.UTC).replace(tzinfo=None))


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_DAY_START, 2, _sqlite_day_start, deterministic=True)


connection_created.connect(register_sqlite_functions, dispatch_uid="parcours_sqlite_day_start")


class DayStart(Func):
    """The first instant of a date in the project's time zone (Europe/Paris), as an aware datetime."""

    arity = 1
    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):  # pragma: no cover - both vendors below
        raise NotImplementedError(f"DayStart n'est pas disponible pour {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql})::timestamp AT TIME ZONE %s)", (*params, settings.TIME_ZONE)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{SQLITE_DAY_START}({sql}, %s)", (*params, settings.TIME_ZONE)


def insert_rows(model, field_names, rows):
    """Inserts `rows` (tuples of values for `field_names`, Python values) in ONE statement, skipping rows a
    unique constraint already holds. No model instance is built: a first check inserts 400,000 rows. An
    empty `rows` still runs the (empty) statement: a caller's statement count does not depend on the data."""
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    table = quote(model._meta.db_table)
    if connection.vendor == "postgresql":
        # One array per column (Django's own bulk insert does the same with UNNEST).
        types = [field.db_type(connection).split("(")[0] for field in fields]
        arrays = ", ".join(f"%s::{db_type}[]" for db_type in types)
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING"
        params = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in fields]
    elif connection.vendor == "sqlite":
        values = ", ".join(f"json_extract(value, '$[{index}]')" for index in range(len(fields)))
        sql = f"INSERT INTO {table} ({names}) SELECT {values} FROM json_each(%s) WHERE true ON CONFLICT DO NOTHING"
        adapted = [
            [field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True)]
            for row in rows
        ]
        params = [json.dumps(adapted, default=str)]
    else:  # pragma: no cover - the project runs on these two
        raise NotImplementedError(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_from_select(model, queryset, columns):
    """INSERT INTO model (columns…) SELECT the expressions of `columns` ({column: expression}) over
    `queryset`. Returns the number of rows inserted."""
    aliases = {f"insert_{index}": expression for index, expression in enumerate(columns.values())}
    sql, params = queryset.values(**aliases).order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    target = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    source = ", ".join(f"source.{quote(alias)}" for alias in aliases)
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({target}) "
        f"SELECT {source} FROM ({sql}) AS source WHERE true ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount
