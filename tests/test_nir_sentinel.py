"""A sentinel NIR typed into a file appears in no page, no log line, and nowhere in plaintext in the database."""

import io
import logging
import zipfile

from django.db import connection
from django.urls import reverse

from accompaniment import nir as nir_lib
from accompaniment.models import Beneficiary, Export
from partners.enums import Role
from tests.factories import UserFactory

SENTINEL_STEM = "2870613208042"
SENTINEL = f"{SENTINEL_STEM}{nir_lib.key_of(SENTINEL_STEM):02d}"
# The forms a NIR may take in a page or a log: whole, stem, spaced as on a card.
SENTINEL_FORMS = (SENTINEL, SENTINEL_STEM, "2 87 06 13 208 042")


def _assert_no_sentinel(text, where):
    for form in SENTINEL_FORMS:
        assert form not in text, f"Le NIR sentinelle apparaît dans {where}"


def _every_text_value_in_the_database():
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # table names come from introspection
            for row in cursor.fetchall():
                for value in row:
                    if value is not None:
                        yield table, str(value)


def test_sentinel_nir_appears_in_no_page_no_log_and_not_in_plaintext_in_the_database(
    client, referent, departement, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    client.force_login(referent)
    response = client.post(
        reverse("accompaniment:create"),
        {
            "first_name": "Sentinelle",
            "last_name": "Témoin",
            "birth_date": "1987-06-15",
            "sex": "F",
            "nir": SENTINEL,
            "caf_number": "7654321",
            "address": "12 rue Paradis",
            "postal_code": "13008",
            "city": "Marseille",
            "commune": "13208",
            "rights_opened_on": "2026-10-01",
            "rights_and_duties": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    file = Beneficiary.objects.get(last_name="Témoin")
    assert file.nir_hash == nir_lib.stem_hash(SENTINEL_STEM)

    pages = [
        reverse("accompaniment:list"),
        reverse("accompaniment:list") + "?q=Témoin",
        reverse("accompaniment:detail", kwargs={"pk": file.pk}),
        reverse("accompaniment:edit", kwargs={"pk": file.pk}),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        _assert_no_sentinel(page.content.decode(), url)
    client.force_login(officer)
    for url in pages[:3]:
        _assert_no_sentinel(client.get(url).content.decode(), f"{url} (chargé d'orientation)")

    # Exports of the list, in both formats, never carry it.
    client.force_login(referent)
    for export_format in ("csv", "xlsx"):
        client.post(reverse("accompaniment:export_create"), {"format": export_format, "query": "q=Témoin"})
    for export in Export.objects.filter(user=referent):
        assert export.row_count == 1
        with export.file.open("rb") as stored:
            content = stored.read()
        if export.format == "xlsx":
            with zipfile.ZipFile(io.BytesIO(content)) as workbook:
                content = b"".join(workbook.read(name) for name in workbook.namelist())
        _assert_no_sentinel(content.decode("utf-8", errors="replace"), f"l'export {export.format}")

    # A NIR typed with a wrong key is refused without echoing what was typed.
    wrong = SENTINEL[:-2] + f"{(int(SENTINEL[-2:]) + 1) % 97:02d}"
    refused = client.post(reverse("accompaniment:edit", kwargs={"pk": file.pk}), {"nir": wrong})
    assert wrong not in refused.content.decode()

    _assert_no_sentinel(caplog.text, "les journaux applicatifs")
    captured = capsys.readouterr()
    _assert_no_sentinel(captured.out + captured.err, "la sortie standard")
    for table, value in _every_text_value_in_the_database():
        _assert_no_sentinel(value, f"la table {table}")
