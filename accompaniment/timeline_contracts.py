"""Contract events of the file's timeline: one query per provider, registered with the contract views.

Who did what: the agent who recorded the contract, added the activity, changed its status or recorded the
hours, with their organisation.
"""

from .models import Activity, ActivityHours, ActivityStatusChange, Contract, format_hours
from .timeline import Event, on_day, person, register


def contract_events(beneficiary):
    contracts = Contract.objects.filter(beneficiary=beneficiary).select_related("created_by__organisation")
    events = []
    for contract in contracts:
        author = contract.created_by
        details = [f"Du {contract.starts_on:%d/%m/%Y} au {contract.ends_on:%d/%m/%Y}"]
        if contract.hours_reduction_reason:
            details.append(f"Heures réduites : {contract.get_hours_reduction_reason_display()}")
        events.append(
            Event(
                at=on_day(contract.signed_on),
                title=f"Contrat signé ({contract.short_kind}, {format_hours(contract.weekly_hours)} h/semaine)",
                actor=person(author, author.organisation),
                details=tuple(details),
                kind="contract",
                date_only=True,
            )
        )
    return events


def activity_events(beneficiary):
    activities = Activity.objects.filter(contract__beneficiary=beneficiary).select_related(
        "created_by__organisation", "provider_organisation"
    )
    events = []
    for activity in activities:
        author = activity.created_by
        details = [
            f"Du {activity.starts_on:%d/%m/%Y} au {activity.ends_on:%d/%m/%Y}, "
            f"{format_hours(activity.weekly_planned_hours)} h prévues par semaine"
        ]
        if activity.provider_label:
            details.append(f"Organisme : {activity.provider_label}")
        events.append(
            Event(
                at=activity.created_at,
                title=f"Activité ajoutée : {activity.title} ({activity.get_kind_display()})",
                actor=person(author, author.organisation),
                details=tuple(details),
                kind="activity",
            )
        )
    return events


def activity_status_events(beneficiary):
    changes = ActivityStatusChange.objects.filter(activity__contract__beneficiary=beneficiary).select_related(
        "activity", "changed_by__organisation"
    )
    return [
        Event(
            at=on_day(change.changed_on),
            title=f"Activité {change.get_status_display().lower()} : {change.activity.title}",
            actor=person(change.changed_by, change.changed_by.organisation),
            kind="activity",
            date_only=True,
        )
        for change in changes
    ]


def hours_events(beneficiary):
    records = ActivityHours.objects.filter(activity__contract__beneficiary=beneficiary).select_related(
        "activity", "recorded_by__organisation"
    )
    return [
        Event(
            at=record.recorded_at,
            title=f"{format_hours(record.hours)} h réalisées la semaine du {record.week_of:%d/%m/%Y} — "
            f"{record.activity.title}",
            actor=person(record.recorded_by, record.recorded_by.organisation),
            kind="hours",
        )
        for record in records
    ]


def register_providers():
    register(contract_events)
    register(activity_events)
    register(activity_status_events)
    register(hours_events)
