"""What `import_caf_flux` and `import_france_travail` share (SPEC §8): one summary line per file on the standard
output, `created=N updated=N unchanged=N rejected=N`; notes and refusals on the error output; exit code 0 when
every file was read (even with rejected households or rows), 1 when one could not be read at all (nothing of it
was written)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accompaniment.enums import ImportStatus
from accompaniment.exchange.registry import import_file
from audit.context import acting_as
from audit.models import Channel
from partners.models import User


class ImportCommand(BaseCommand):
    kind = None
    many = True

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+" if self.many else 1, metavar="PATH", help="fichier(s) à importer")
        parser.add_argument(
            "--user",
            metavar="EMAIL",
            help="l'agent au nom duquel l'import est fait (inscrit au registre et au journal d'accès)",
        )

    def handle(self, *args, paths, user=None, **options):
        agent = None
        if user:
            agent = User.objects.filter(email__iexact=user, is_active=True).first()
            if agent is None:
                raise CommandError(f"Aucun utilisateur actif n'a l'adresse {user}.")
        unreadable = []
        with acting_as(agent, channel=Channel.COMMAND):
            for raw in paths:
                path = Path(raw)
                if not path.is_file():
                    self.stderr.write(f"{raw} : fichier introuvable.")
                    unreadable.append(raw)
                    continue
                data_import = import_file(path=path, kind=self.kind, by=agent)
                if data_import.status == ImportStatus.REFUSED:
                    self.stderr.write(f"{path.name} : {data_import.message}")
                    unreadable.append(raw)
                    continue
                self.stdout.write(data_import.summary)
                notes = [data_import.message] if data_import.message else []
                notes += list(data_import.warnings)
                if data_import.queued:
                    notes.append(f"{data_import.queued} ligne(s) à rapprocher par un chargé d'orientation.")
                for note in notes:
                    self.stderr.write(f"{path.name} : {note}")
        if unreadable:
            raise CommandError(f"{len(unreadable)} fichier(s) illisible(s) : rien n'en a été importé.")
