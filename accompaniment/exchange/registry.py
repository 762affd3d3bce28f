"""The registry of files received: store, register, run, report.

A file is first received — copied into the private storage (nominative: never served directly), its SHA-256
computed on the way, registered as a `DataImport` with an expiry — then run, by a management command at once or
by a Celery task given only the import's id (SPEC §1: task arguments carry ids, never names):

    data_import = import_receive(source=upload, file_name=upload.name, kind=ImportKind.CAF, by=request.user)
    run_data_import.delay(data_import.pk)        # accompaniment.tasks → import_run(data_import=…)

The « Imports » page calls `import_submit()`, which does both: it receives the upload and sends the task once
the registration is committed (or settles at once a file already imported).

While it runs, the record's `total` and `processed` are committed after every chunk, so a page can show the
progress; `progress(processed, total)` is also called for a caller that reports it elsewhere.
"""

import codecs
import datetime
import functools
import hashlib
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from audit.models import Action
from audit.services import record

from ..enums import FLUX_IMPORT_KINDS, FundType, ImportKind, ImportStatus
from ..models import DataImport, ImportRejection
from . import caf_flux, france_travail
from .common import READ_SIZE, UnreadableFile, french_date

logger = logging.getLogger(__name__)


class _Hashing:
    """Wraps a binary stream: computes the SHA-256 and size of what is read through it."""

    def __init__(self, stream):
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.stream.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self.stream, name)


def import_receive(*, source, file_name, kind, by=None):
    """Copies `source` (a binary file object) into the private storage and registers it, with its checksum and the
    date its stored copy expires (IMPORT_RETENTION_DAYS). Nothing else is read yet."""
    if kind not in ImportKind.values:
        raise ValueError(f"Nature d'import inconnue : {kind}")
    if hasattr(source, "seek"):
        source.seek(0)
    hashing = _Hashing(source)
    data_import = DataImport(
        kind=kind,
        file_name=(file_name or "fichier")[-255:],
        checksum="",
        imported_by=by if getattr(by, "pk", None) else None,
        expires_on=timezone.localdate() + datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS),
    )
    data_import.stored_file.save(file_name or "fichier", File(_Chunked(hashing), name=file_name), save=False)
    data_import.checksum = hashing.digest.hexdigest()
    data_import.size = hashing.size
    data_import.save()
    return data_import


class _Chunked:
    """A file-like object whose reads are bounded, so that storing a large upload never loads it whole."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, size=-1):
        return self.stream.read(READ_SIZE if size is None or size < 0 else min(size, READ_SIZE))

    def chunks(self, chunk_size=None):
        while True:
            data = self.read(chunk_size or READ_SIZE)
            if not data:
                return
            yield data

    def __iter__(self):
        return self.chunks()

    @property
    def size(self):
        return None


HEAD_SIZE = 4096  # bytes read to tell a flux from an extract


def detect_kind(head):
    """The kind of file that begins with the bytes `head`: a flux (XML: CAF or MSA, told apart by its funds when
    it runs), a France Travail extract (a `;` CSV header), or None when it looks like neither."""
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"<"):
        return ImportKind.CAF
    header = text.split(b"\n", 1)[0].decode("latin-1").lower()
    if "identifiant_unique_de" in header or header.count(";") >= 5:
        return ImportKind.FRANCE_TRAVAIL
    return None


def _checksum(source):
    source.seek(0)
    digest = hashlib.sha256()
    while block := source.read(READ_SIZE):
        digest.update(block)
    source.seek(0)
    return digest.hexdigest()


@transaction.atomic
def import_submit(*, source, file_name, kind, by):
    """A file uploaded on the « Imports » page: received into the private storage, then run by the Celery task,
    sent once the registration is committed and given the import's id only. A file identical to one already
    imported is settled at once (a duplicate: nothing changes, and it says so); a file identical to one still
    being imported is refused (ValidationError on `file`) and nothing of it is stored. Returns the import."""
    checksum = _checksum(source)
    running = DataImport.objects.in_progress().filter(checksum=checksum, kind__in=_same_family(kind)).first()
    if running is not None:
        raise ValidationError(
            {
                "file": f"Ce fichier est déjà en cours d'import (import n° {running.pk}) : suivez-le sur sa page "
                "plutôt que de l'envoyer à nouveau."
            }
        )
    data_import = import_receive(source=source, file_name=file_name, kind=kind, by=by)
    if _previous_import_of_the_same_file(data_import) is not None:
        return import_run(data_import=data_import)
    from ..tasks import run_data_import

    transaction.on_commit(functools.partial(run_data_import.delay, data_import.pk))
    return data_import


def _claim(data_import):
    """Marks a received import as running; False when another worker already took it (a task run twice)."""
    now = timezone.now()
    claimed = DataImport.objects.filter(pk=data_import.pk, status=ImportStatus.RECEIVED).update(
        status=ImportStatus.RUNNING, started_at=now
    )
    if claimed:
        data_import.status, data_import.started_at = ImportStatus.RUNNING, now
    return bool(claimed)


def _same_family(kind):
    return list(FLUX_IMPORT_KINDS) if kind in FLUX_IMPORT_KINDS else [kind]


def _previous_import_of_the_same_file(data_import):
    return (
        DataImport.objects.completed()
        .filter(checksum=data_import.checksum, kind__in=_same_family(data_import.kind))
        .exclude(pk=data_import.pk)
        .order_by("received_at", "id")
        .first()
    )


def _finish(data_import, status, message=""):
    data_import.status = status
    data_import.message = message
    data_import.finished_at = timezone.now()
    data_import.save()
    # One audit entry per import, with its counts: the households and files it wrote are bulk statements that do
    # not log themselves (see caf_flux), and the import is the agent's action.
    record(
        Action.CREATE,
        obj=data_import,
        count=data_import.processed,
        fields=[
            f"created={data_import.created}",
            f"updated={data_import.updated}",
            f"unchanged={data_import.unchanged}",
            f"rejected={data_import.rejected}",
        ],
        user=data_import.imported_by,
    )
    return data_import


def import_run(*, data_import, progress=None):
    """Runs a received import to its end: done (with counts), duplicate (the same file was already imported:
    nothing changes), refused (the file cannot be read whole: nothing written) or failed (an unexpected error,
    re-raised after the record says so). Returns the import."""
    if not _claim(data_import):
        data_import.refresh_from_db()
        return data_import
    previous = _previous_import_of_the_same_file(data_import)
    if previous is not None:
        data_import.duplicate_of = previous
        data_import.total = previous.total
        data_import.processed = previous.processed
        data_import.unchanged = previous.processed - previous.rejected
        data_import.rejected = previous.rejected
        for name in ("flux_type", "flux_created_on", "reference_date"):
            setattr(data_import, name, getattr(previous, name))
        if previous.kind != data_import.kind:
            data_import.kind = previous.kind
        when = french_date(timezone.localtime(previous.received_at))
        # The same bytes as an earlier import: nothing of this copy needs keeping (it holds NIRs).
        data_import.stored_file.delete(save=False)
        return _finish(
            data_import,
            ImportStatus.DUPLICATE,
            f"Ce fichier a déjà été importé le {when} (import n° {previous.pk}) : son contenu est identique, "
            "rien n'a changé.",
        )
    try:
        if data_import.is_flux:
            _run_flux(data_import, progress)
        else:
            france_travail.ExtractImport(data_import=data_import, progress=progress).run()
    except UnreadableFile as error:
        _discard_partial_counts(data_import)
        return _finish(data_import, ImportStatus.REFUSED, error.message)
    except Exception:
        logger.exception("L'import n° %s s'est interrompu", data_import.pk)
        _finish(
            data_import,
            ImportStatus.FAILED,
            "L'import s'est interrompu sur une erreur inattendue ; les foyers ou lignes déjà traités sont "
            "enregistrés. Relancez-le : les données déjà appliquées ne seront pas dupliquées.",
        )
        raise
    return _finish(data_import, ImportStatus.DONE)


def _discard_partial_counts(data_import):
    for name in ("processed", "created", "updated", "unchanged", "rejected", "files_created", "outdated", "queued"):
        setattr(data_import, name, 0)


def _run_flux(data_import, progress):
    with data_import.stored_file.open("rb") as stream:
        info = caf_flux.check_document(stream)
    data_import.flux_type = info.flux_type
    data_import.flux_created_on = info.created_on
    data_import.reference_date = info.reference_date
    data_import.total = info.households
    data_import.warnings = list(info.warnings)
    if info.fund_types == {FundType.MSA}:
        data_import.kind = ImportKind.MSA
    data_import.save(update_fields=["flux_type", "flux_created_on", "reference_date", "total", "warnings", "kind"])
    if progress:
        progress(0, info.households)
    with data_import.stored_file.open("rb") as stream:
        caf_flux.FluxImport(data_import=data_import, info=info, progress=progress).run(stream)
    if data_import.outdated:
        data_import.warnings.append(
            f"{data_import.outdated} foyer(s) avaient déjà reçu un flux plus récent que celui-ci (référence du "
            f"{french_date(info.reference_date)}) : leur état n'a pas été modifié."
        )


def import_file(*, path, kind, by=None, progress=None):
    """Receives and runs a file from the disk (the management commands)."""
    import pathlib

    path = pathlib.Path(path)
    with path.open("rb") as source:
        data_import = import_receive(source=source, file_name=path.name, kind=kind, by=by)
    return import_run(data_import=data_import, progress=progress)


@transaction.atomic
def purge_expired_imports(today=None):
    """Deletes the stored copies of files past their expiry and their rejected households or rows (SPEC §1:
    imported files and rejected-row reports are nominative; 90 days by default). The registry row and its counts
    stay. Returns how many copies were deleted."""
    today = today or timezone.localdate()
    ImportRejection.objects.filter(data_import__in=DataImport.objects.expired(today).values("id")).delete()
    count = 0
    for data_import in DataImport.objects.with_stored_file_expired(today).select_for_update():
        data_import.stored_file.delete(save=False)
        data_import.save(update_fields=["stored_file"])
        count += 1
    return count
