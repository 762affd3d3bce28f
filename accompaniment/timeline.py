"""The timeline of a file: a registry of providers, each giving the events of one kind for one file.

A provider is a function `provider(beneficiary) -> iterable of Event` that runs at most ONE query, so that
the file page runs the same number of queries whatever the number of events. Later apps register theirs
(orientation decisions, interviews, childcare requests…) from their `AppConfig.ready()`:

    from accompaniment.timeline import register

    @register
    def orientations(beneficiary):
        return [Event(...) for decision in beneficiary.orientations.select_related("decided_by")]
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils import timezone

from audit.models import Action, AuditLog

from .models import Beneficiary, FileShare, RightsStateChange


@dataclass(frozen=True)
class Event:
    at: datetime.datetime  # timezone-aware; for a date-only event, midnight of that day (Europe/Paris)
    title: str
    actor: str = ""
    details: tuple[str, ...] = ()
    kind: str = "info"  # creation, change, rights, share… (a CSS modifier)
    date_only: bool = False


_providers = []


def register(provider):
    """Adds a provider to the registry (usable as a decorator). Registering twice is harmless."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def providers():
    return tuple(_providers)


def events_for(beneficiary):
    """Every event of the file, most recent first."""
    events = [event for provider in _providers for event in provider(beneficiary)]
    return sorted(events, key=lambda event: event.at, reverse=True)


def on_day(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def person(user, organisation=None):
    if user is None:
        return ""
    name = user.get_full_name() or user.email
    return f"{name} ({organisation})" if organisation else name


# Field names the audit log keeps that are not plain verbose names (the NIR is two columns, one fact).
FIELD_LABEL_OVERRIDES = {"nir_encrypted": "NIR", "nir_hash": "NIR"}


def field_labels(model, names):
    labels = []
    for name in names:
        label = FIELD_LABEL_OVERRIDES.get(name)
        if label is None:
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name
        label = label[:1].upper() + label[1:]
        if label not in labels:
            labels.append(label)
    return labels


# The providers of this app ------------------------------------------------------------------------------
@register
def file_created(beneficiary):
    """No query: the file carries its creator (select it with the file)."""
    if beneficiary.created_by_id:
        actor = person(beneficiary.created_by)
    else:
        actor = beneficiary.get_origin_display()
    return [
        Event(
            at=beneficiary.created_at,
            title="Dossier créé",
            actor=actor,
            details=(f"Origine : {beneficiary.get_origin_display()}",),
            kind="creation",
        )
    ]


@register
def file_changes(beneficiary):
    entries = (
        AuditLog.objects.about(beneficiary)
        .filter(action=Action.UPDATE)
        .select_related("user", "organisation")
        .order_by("-at", "-id")
    )
    events = []
    for entry in entries:
        labels = field_labels(Beneficiary, entry.fields)
        events.append(
            Event(
                at=entry.at,
                title="Dossier modifié",
                actor=person(entry.user, entry.organisation),
                details=(("Champs modifiés : " + ", ".join(labels)),) if labels else (),
                kind="change",
            )
        )
    return events


@register
def rights_changes(beneficiary):
    subject = Q(beneficiary=beneficiary)
    if beneficiary.household_id:
        subject |= Q(household_id=beneficiary.household_id)
    events = []
    for change in RightsStateChange.objects.filter(subject):
        details = []
        if change.source:
            details.append(f"Source : {change.source}")
        if change.suspended_on:
            details.append(f"Suspendu le {change.suspended_on:%d/%m/%Y}")
        if change.closed_on:
            details.append(f"Clos le {change.closed_on:%d/%m/%Y}")
        events.append(
            Event(
                at=on_day(change.effective_on),
                title=f"État du droit : {change.get_state_display()}",
                details=tuple(details),
                kind="rights",
                date_only=True,
            )
        )
    return events


@register
def shares(beneficiary):
    events = []
    for share in FileShare.objects.filter(beneficiary=beneficiary).select_related("user", "organisation", "created_by"):
        holder = person(share.user) if share.user_id else str(share.organisation)
        events.append(
            Event(
                at=share.created_at,
                title=f"Dossier partagé avec {holder} jusqu'au {share.ends_on:%d/%m/%Y}",
                actor=person(share.created_by),
                details=(f"Motif : {share.reason}",),
                kind="share",
            )
        )
        if share.revoked_at:
            events.append(Event(at=share.revoked_at, title=f"Partage avec {holder} retiré", kind="share"))
    return events
