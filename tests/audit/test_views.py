from django.urls import reverse

from audit.models import Action, AuditLog
from audit.services import log_read
from partners.enums import Role
from tests.factories import UserFactory


def test_the_dpo_reads_the_journal_and_filters_it_by_action(client, departement, followed_file, referent):
    dpo = UserFactory(organisation=departement, roles=[Role.DPO])
    client.force_login(referent)
    client.get(reverse("accompaniment:detail", kwargs={"pk": followed_file.pk}))
    client.force_login(dpo)
    page = client.get(reverse("audit:log"), {"action": Action.READ})
    assert page.status_code == 200
    content = page.content.decode()
    assert referent.email in content
    assert "Consultation" in content
    assert followed_file.last_name not in content  # the journal holds ids, never names


def test_a_referent_cannot_read_the_journal(client, referent):
    client.force_login(referent)
    assert client.get(reverse("audit:log")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403


def test_the_csv_export_holds_the_filtered_rows_and_is_itself_journaled(client, departement, followed_file, referent):
    dpo = UserFactory(organisation=departement, roles=[Role.DPO])
    log_read(followed_file, fields=[])
    client.force_login(dpo)
    response = client.get(reverse("audit:export"), {"object_id": str(followed_file.pk)})
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeffdate;utilisateur")
    assert "accompaniment.beneficiary" in body
    assert AuditLog.objects.filter(action=Action.EXPORT, user=dpo, object_type="audit.auditlog").exists()


def test_a_functional_admin_reads_the_journal_but_does_not_export_it(client, departement):
    admin = UserFactory(organisation=departement, roles=[Role.ADMIN])
    client.force_login(admin)
    assert client.get(reverse("audit:log")).status_code == 200
    assert client.get(reverse("audit:export")).status_code == 403
