"""Re-encrypts every stored NIR with the current primary key and re-hashes it with the current hash key.

Rotation: put the new Fernet key first in NIR_ENCRYPTION_KEYS (keep the old one after it), set the new
NIR_HASH_KEY and the old one in NIR_HASH_PREVIOUS_KEY, deploy, run this command, then remove the old keys.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accompaniment import nir as nir_lib
from accompaniment.models import Beneficiary, HouseholdMember
from audit.context import acting_as

BATCH = 2000


class Command(BaseCommand):
    help = "Rechiffre les NIR avec la clé courante et recalcule leur empreinte de rapprochement."

    def handle(self, *args, **options):
        with acting_as(None):
            for model in (Beneficiary, HouseholdMember):
                count = self._rotate(model)
                self.stdout.write(f"{model._meta.verbose_name_plural} : {count} NIR rechiffrés")

    def _rotate(self, model):
        count = 0
        last_id = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update()
                    .filter(pk__gt=last_id)
                    .exclude(nir_encrypted="")
                    .order_by("pk")
                    .only("pk", "nir_encrypted", "nir_hash")[:BATCH]
                )
                if not rows:
                    return count
                for row in rows:
                    value = nir_lib.decrypt(row.nir_encrypted)
                    row.nir_encrypted = nir_lib.rotate(row.nir_encrypted)
                    row.nir_hash = nir_lib.stem_hash(value)
                model.objects.bulk_update(rows, ["nir_encrypted", "nir_hash"])
                count += len(rows)
                last_id = rows[-1].pk
