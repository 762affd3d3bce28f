import itertools
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from accompaniment.enums import ImportKind
from accompaniment.exchange.registry import import_file
from accompaniment.models import DataImport

SAMPLES = Path("/work/shared/formats/caf-vrsb0801")
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    """Stored copies of imported files go to a temporary folder, never to the project's var/private."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(DataImport._meta.get_field("stored_file"), "storage", storage)
    return storage


@pytest.fixture
def run_flux(tmp_path, db):
    """Imports bytes (or a path) as a CAF/MSA flux file; returns the DataImport."""

    def run(content, *, name=None, by=None, progress=None):
        if isinstance(content, Path):
            path = content
        else:
            path = tmp_path / (name or f"flux-{next(_names)}.xml")
            path.write_bytes(content)
        return import_file(path=path, kind=ImportKind.CAF, by=by, progress=progress)

    return run


@pytest.fixture
def run_extract(tmp_path, db):
    """Imports text (encoded as asked) or bytes as a France Travail extract; returns the DataImport."""

    def run(content, *, encoding="utf-8", by=None):
        path = tmp_path / f"extrait-{next(_names)}.csv"
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return import_file(path=path, kind=ImportKind.FRANCE_TRAVAIL, by=by)

    return run
