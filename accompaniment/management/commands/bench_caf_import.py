"""`python manage.py bench_caf_import --households 50000`: generates flux and imports them on the current database,
reporting wall time and peak memory (SPEC §9: a 50,000-household flux in under 2 minutes on PostgreSQL, with
memory that does not grow with the file).

Each size is imported in a child process of its own, so that each peak (resource.getrusage's maximum resident
set) is that import's; the growth during the import (peak minus the resident set before it) is what the file's
size could make grow. `--tracemalloc` also measures the peak of Python allocations (slower). The households are
new ones (numbered after those already stored): run it on a database of its own, never a real one.
"""

import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from accompaniment.enums import ImportKind
from accompaniment.exchange.generator import generate_flux
from accompaniment.exchange.registry import import_file
from accompaniment.models import Household
from audit.context import acting_as


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Command(BaseCommand):
    help = (
        "Mesure l'import d'un flux VRSB0801 généré (temps et mémoire maximale) pour 10 000 foyers et pour N foyers, "
        "sur la base courante. Refuse les réglages de production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=50_000, help="taille mesurée (défaut : 50 000)")
        parser.add_argument("--baseline", type=int, default=10_000, help="taille de comparaison (0 : aucune)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--tracemalloc", action="store_true", help="mesure aussi le pic des allocations Python")
        parser.add_argument("--keep", metavar="DIR", help="garde les fichiers générés dans ce dossier")
        parser.add_argument(
            "--reimport",
            action="store_true",
            help="mesure aussi le flux du mois suivant des mêmes foyers (tous déjà connus, inchangés)",
        )
        parser.add_argument("--child", metavar="FILE", help=argparse_suppress())

    def handle(self, *args, households, baseline, seed, tracemalloc, keep, child, reimport, **options):
        if settings.PRODUCTION:
            raise CommandError("bench_caf_import écrit des foyers fictifs : il refuse les réglages de production.")
        if child:
            self._child(child, tracemalloc)
            return
        sizes = [size for size in (baseline, households) if size]
        folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench-caf-"))
        folder.mkdir(parents=True, exist_ok=True)
        start = Household.objects.count() + 1_000
        self.stdout.write(f"Base : {connection.vendor} ; fichiers dans {folder}")
        results = []
        today = timezone.localdate()
        for size in sizes:
            path = folder / f"flux-{size}-{start}.xml"
            began = time.monotonic()
            generate_flux(path, households=size, seed=seed, start=start, anchor=today)
            generated = time.monotonic() - began
            result = self._measure(path, tracemalloc, size=size, generated=generated, keep=keep)
            results.append(result)
            self.stdout.write(self._line(result))
            if reimport:
                # The next month's flux of the same households: every one is looked up and found unchanged.
                later = today + datetime.timedelta(days=31)
                path = folder / f"flux-{size}-{start}-suivant.xml"
                generate_flux(path, households=size, seed=seed, start=start, anchor=today, created_on=later)
                again = self._measure(path, tracemalloc, size=size, generated=0, keep=keep)
                self.stdout.write(self._line(again, label="mêmes foyers, flux du mois suivant"))
            start += size
        if len(results) == 2:
            small, large = results
            ratio = large["peak_mb"] / small["peak_mb"]
            growth = (large["growth_mb"] - small["growth_mb"]) / max(small["peak_mb"], 1)
            self.stdout.write(
                f"Pic mémoire {large['size']} / {small['size']} foyers : {ratio:.2f} "
                f"(écart de croissance pendant l'import : {growth:+.0%} du pic à {small['size']} foyers)"
            )
            if "traced_peak_mb" in large:
                traced = large["traced_peak_mb"] / small["traced_peak_mb"]
                self.stdout.write(f"Pic des allocations Python {large['size']} / {small['size']} : {traced:.2f}")

    @staticmethod
    def _measure(path, traced, *, size, generated, keep):
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "bench_caf_import", "--child", str(path)]
        if traced:
            command.append("--tracemalloc")
        # As in production: DEBUG off (Django would otherwise keep every statement it runs).
        environment = {**os.environ, "DJANGO_DEBUG": "0"}
        output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
        result = json.loads(output.strip().splitlines()[-1])
        result.update(size=size, megabytes=path.stat().st_size / 1e6, generated=generated)
        if not keep:
            path.unlink()
        return result

    @staticmethod
    def _line(r, label=""):
        traced = f", allocations Python {r['traced_peak_mb']:.1f} Mo" if "traced_peak_mb" in r else ""
        made = f"généré en {r['generated']:.1f} s" if not label else label
        return (
            f"{r['size']:>7} foyers ({r['megabytes']:.0f} Mo, {made}) : importé en "
            f"{r['seconds']:.1f} s ({r['size'] / r['seconds']:.0f} foyers/s) — {r['summary']} ; "
            f"mémoire max {r['peak_mb']:.1f} Mo (dont {r['growth_mb']:.1f} Mo pendant l'import){traced}"
        )

    def _child(self, path, traced):
        before = _rss_mb()
        if traced:
            tracemalloc.start()
        began = time.monotonic()
        with acting_as(None):
            data_import = import_file(path=path, kind=ImportKind.CAF)
        seconds = time.monotonic() - began
        result = {"seconds": seconds, "summary": data_import.summary, "status": data_import.status}
        if traced:
            result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        peak = _rss_mb()
        result.update(peak_mb=peak, growth_mb=peak - before)
        self.stdout.write(json.dumps(result))


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS
