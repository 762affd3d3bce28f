"""The DPO's audit journal: who read or changed what, when. It holds no beneficiary data (types and ids only).

Reading the journal is not itself journaled; exporting it is (an export leaves the application).
"""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format

from partners.decorators import role_required
from partners.enums import Role

from .filters import AuditLogFilter, object_type_label
from .models import AuditLog
from .services import log_export

AUDIT_READERS = (Role.DPO, Role.ADMIN)
AUDIT_EXPORTERS = (Role.DPO,)
PAGE_SIZE = 50
# Beyond this many entries the export is refused: the DPO narrows the period instead.
EXPORT_LIMIT = 200_000


def _filterset(request):
    queryset = AuditLog.objects.select_related("user", "organisation").order_by("-at", "-id")
    return AuditLogFilter(request.GET or None, queryset=queryset)


@role_required(*AUDIT_READERS)
def audit_log(request):
    filterset = _filterset(request)
    page = Paginator(filterset.results, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.object_type_label = object_type_label(entry.object_type) if entry.object_type else ""
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_export": request.user.has_role(*AUDIT_EXPORTERS),
            "nav_active": "audit",
        },
    )


class _Echo:
    """A file-like object whose `write` returns the line: the csv writer then feeds a streaming response."""

    def write(self, value):
        return value


# A cell starting with one of these is read as a formula by spreadsheets: it is prefixed with a quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSV_HEADER = [
    "date",
    "utilisateur",
    "e-mail",
    "organisation",
    "action",
    "canal",
    "type d'objet",
    "code du type",
    "identifiant",
    "nombre d'enregistrements",
    "champs modifiés",
    "page",
]


def _cell(value):
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _csv_row(entry):
    user = entry.user
    return [
        _cell(value)
        for value in (
            timezone.localtime(entry.at).strftime("%d/%m/%Y %H:%M:%S"),
            user.get_full_name() if user else "Système",
            user.email if user else "",
            entry.organisation.name if entry.organisation else "",
            entry.get_action_display(),
            entry.get_channel_display(),
            object_type_label(entry.object_type) if entry.object_type else "",
            entry.object_type,
            entry.object_id,
            entry.count,
            ", ".join(entry.fields),
            entry.path,
        )
    ]


@role_required(*AUDIT_EXPORTERS)
def audit_export(request):
    """CSV (`;`, UTF-8 with BOM for spreadsheets) of the filtered journal, streamed; the export is journaled."""
    filterset = _filterset(request)
    back = reverse("audit:log") + (f"?{request.GET.urlencode()}" if request.GET else "")
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, "Corrigez les filtres avant d'exporter le journal.")
        return redirect(back)
    queryset = filterset.results
    count = queryset.count()
    if count > EXPORT_LIMIT:
        limit, found = (number_format(n, force_grouping=True) for n in (EXPORT_LIMIT, count))
        messages.error(request, f"L'export est limité à {limit} entrées ({found} correspondent) : réduisez la période.")
        return redirect(back)
    log_export(AuditLog, count=count)
    writer = csv.writer(_Echo(), delimiter=";")

    def lines():
        yield "\ufeff" + writer.writerow(CSV_HEADER)
        for entry in queryset.iterator(chunk_size=2000):
            yield writer.writerow(_csv_row(entry))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journal-acces-{timezone.localdate():%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response
