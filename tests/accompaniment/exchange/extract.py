"""Builders of France Travail extracts for tests (columns of ../shared/formats/france-travail/README.md)."""

from accompaniment.exchange.france_travail import COLUMNS

# The README's example row (invented data).
EXAMPLE = dict(
    zip(
        COLUMNS,
        (
            "0f6c1d2e-8a41-4b1e-9d0a-2b7e5c3a9f10;MME;MARTIN;CLAIRE;TOULON;83137;1988-04-12 00:00:00.0;;"
            "12 RUE DES LILAS;;NULL;83000 TOULON;83;093;K1302;Assistant / Assistante de vie aux familles;NULL;NULL;"
            "ELABORAT. PROJET PRO.;NULL;2026-03-02 00:00:00.0;2026-09-14 00:00:00.0;2025-11-20 00:00:00.0;14;"
            "FIN DE CDD OU DE CONTRAT AIDE;1;TOULON MAYOL;M.;DURAND;Paul;paul.durand@example.org;83021;GLOBAL;"
            "TOULON MAYOL;2026-01-05 00:00:00.0;2026-12-31 00:00:00.0;NULL;NULL;NULL;O;O;NULL;O;O"
        ).split(";"),
        strict=True,
    )
)


def row(**values):
    return {**EXAMPLE, **values}


def extract(*rows, columns=COLUMNS):
    lines = [";".join(columns)]
    for values in rows:
        lines.append(";".join(values.get(column, "NULL") for column in columns))
    return "\r\n".join(lines) + "\r\n"
