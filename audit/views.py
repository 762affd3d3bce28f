"""The DPO's audit journal: who read or changed what, when. It holds no beneficiary data (ids only)."""

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from partners.decorators import role_required
from partners.enums import Role

from .filters import AuditLogFilter
from .models import Action, AuditLog
from .services import record

AUDIT_READERS = (Role.DPO, Role.ADMIN)
EXPORT_LIMIT = 200_000


def _filtered(request):
    queryset = AuditLog.objects.select_related("user", "organisation").order_by("-at", "-id")
    return AuditLogFilter(request.GET or None, queryset=queryset)


@role_required(*AUDIT_READERS)
def audit_log(request):
    filterset = _filtered(request)
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {"filter": filterset, "page": page, "query": query.urlencode(), "nav_active": "audit"},
    )


class _Echo:
    def write(self, value):
        return value


@role_required(Role.DPO)
def audit_export(request):
    """CSV export of the filtered journal, for the DPO; the export itself is journaled."""
    filterset = _filtered(request)
    queryset = (filterset.qs if filterset.is_bound else filterset.queryset)[:EXPORT_LIMIT]
    count = queryset.count()
    record(Action.EXPORT, model=AuditLog, count=count)
    writer = csv.writer(_Echo(), delimiter=";")
    header = [
        "date",
        "utilisateur",
        "organisation",
        "action",
        "canal",
        "type d'objet",
        "identifiant",
        "nombre",
        "champs",
    ]

    def rows():
        yield "\ufeff" + writer.writerow(header)
        for entry in queryset.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    timezone.localtime(entry.at).strftime("%d/%m/%Y %H:%M:%S"),
                    entry.user.email if entry.user else "",
                    entry.organisation.name if entry.organisation else "",
                    entry.get_action_display(),
                    entry.get_channel_display(),
                    entry.object_type,
                    entry.object_id,
                    entry.count if entry.count is not None else "",
                    ", ".join(entry.fields),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journal-acces-{timezone.localdate():%Y%m%d}.csv"'
    return response
