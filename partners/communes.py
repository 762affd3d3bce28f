"""Loading the reference communes (INSEE codes, names, postal codes) from a CSV data file."""

import csv
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "communes_13.csv"


def read_communes(path=DATA_FILE, departement=None):
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if departement and row["departement"] != departement:
                continue
            yield {
                "insee_code": row["insee_code"],
                "name": row["name"],
                "departement": row["departement"],
                "kind": row["kind"],
                "postal_codes": row["postal_codes"],
                "population": int(row["population"]) if row["population"] else None,
            }


def load_communes(commune_model, path=DATA_FILE, departement=None):
    """Creates or updates the communes of the file; returns (created, updated)."""
    rows = list(read_communes(path, departement))
    existing = set(
        commune_model.objects.filter(insee_code__in=[r["insee_code"] for r in rows]).values_list(
            "insee_code", flat=True
        )
    )
    commune_model.objects.bulk_create(
        [commune_model(**row) for row in rows],
        update_conflicts=True,
        unique_fields=["insee_code"],
        update_fields=["name", "departement", "kind", "postal_codes", "population"],
    )
    return len(rows) - len(existing), len(existing)
