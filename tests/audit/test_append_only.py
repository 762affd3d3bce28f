"""The audit log is append-only: neither the ORM nor, on PostgreSQL, raw SQL can change or erase an entry."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from audit.models import AuditLog


@pytest.fixture
def entry(client, referent, followed_file):
    client.force_login(referent)
    client.get(reverse("accompaniment:detail", kwargs={"pk": followed_file.pk}))
    return AuditLog.objects.latest("id")


def test_an_entry_cannot_be_changed_or_erased_through_the_orm(entry):
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=entry.pk).update(object_type="autre")
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=entry.pk).delete()
    entry.object_type = "autre"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditLog.objects.get(pk=entry.pk).object_type == "accompaniment.beneficiary"


@pytest.mark.postgresql
def test_the_database_refuses_to_change_or_erase_an_entry_even_in_raw_sql(entry):
    for statement in (
        "UPDATE audit_auditlog SET object_type = 'autre' WHERE id = %s",
        "DELETE FROM audit_auditlog WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    assert AuditLog.objects.filter(pk=entry.pk, object_type="accompaniment.beneficiary").exists()
