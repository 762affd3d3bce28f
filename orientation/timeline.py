"""Orientation events of the file's timeline: one query per provider, registered by OrientationConfig.ready().

Diagnostic events never carry barrier comments (some are sensitive): only levels are counted.
"""

from django.db.models import Count, Q

from accompaniment.timeline import Event, on_day, person, register

from .enums import BarrierLevel, PrescriptionStatus
from .models import Diagnostic, Orientation


def orientation_events(beneficiary):
    """Decided, notified and closed, with who did each (the closing one: whoever decided the next)."""
    orientations = Orientation.objects.filter(beneficiary=beneficiary).select_related(
        "organisation", "decided_by__organisation", "notified_by__organisation", "next__decided_by__organisation"
    )
    events = []
    for orientation in orientations:
        decided_by = orientation.decided_by
        details = [f"Organisme référent : {orientation.organisation}"]
        if orientation.previous_id:
            details.insert(0, "Réorientation")
        events.append(
            Event(
                at=on_day(orientation.decided_on),
                title=f"Orientation décidée : {orientation.get_pathway_display()}",
                actor=person(decided_by, decided_by.organisation),
                details=tuple(details),
                kind="orientation",
                date_only=True,
            )
        )
        if orientation.notified_on:
            notified_by = orientation.notified_by
            events.append(
                Event(
                    at=on_day(orientation.notified_on),
                    title="Courrier de notification envoyé",
                    actor=person(notified_by, notified_by.organisation) if notified_by else "",
                    kind="orientation",
                    date_only=True,
                )
            )
        if orientation.ended_on:
            following = getattr(orientation, "next", None)
            closer = following.decided_by if following else None
            events.append(
                Event(
                    at=on_day(orientation.ended_on),
                    title=f"Orientation close : {orientation.get_end_reason_display()}",
                    actor=person(closer, closer.organisation) if closer else "",
                    details=(f"Motif : {orientation.end_comment}",) if orientation.end_comment else (),
                    kind="orientation",
                    date_only=True,
                )
            )
    return events


def diagnostic_events(beneficiary):
    diagnostics = (
        Diagnostic.objects.filter(beneficiary=beneficiary)
        .select_related("created_by__organisation")
        .annotate(
            strong=Count("barriers", filter=Q(barriers__level=BarrierLevel.STRONG)),
            medium=Count("barriers", filter=Q(barriers__level=BarrierLevel.MEDIUM)),
        )
        .order_by("-held_on", "-id")
    )
    events = []
    for diagnostic in diagnostics:
        details = [f"Freins forts : {diagnostic.strong}, freins moyens : {diagnostic.medium}"]
        if diagnostic.suggested_pathway:
            details.append(f"Parcours proposé : {diagnostic.get_suggested_pathway_display()}")
        if diagnostic.place:
            details.append(f"Lieu : {diagnostic.place}")
        author = diagnostic.created_by
        events.append(
            Event(
                at=on_day(diagnostic.held_on),
                title="Diagnostic tripartite" if diagnostic.tripartite else "Diagnostic socio-professionnel",
                actor=person(author, author.organisation),
                details=tuple(details),
                kind="diagnostic",
                date_only=True,
            )
        )
    return events


def prescription_events(beneficiary):
    """Prescribed, answered (accepted or refused with its reason) and followed up; expired ones say so."""
    from .models_offer import Prescription

    prescriptions = Prescription.objects.filter(beneficiary=beneficiary).select_related(
        "action__operator", "prescribed_by__organisation", "answered_by__organisation"
    )
    events = []
    for prescription in prescriptions:
        action = prescription.action
        by = prescription.prescribed_by
        events.append(
            Event(
                at=prescription.prescribed_at,
                title=f"Prescription sur « {action.title} »",
                actor=person(by, by.organisation),
                details=(f"Opérateur : {action.operator}", f"Axe : {action.get_axis_display()}"),
                kind="prescription",
            )
        )
        answered_by = prescription.answered_by
        if prescription.status == PrescriptionStatus.ACCEPTED and prescription.answered_at:
            events.append(
                Event(
                    at=prescription.answered_at,
                    title=f"Prescription acceptée : « {action.title} »",
                    actor=person(answered_by, answered_by.organisation) if answered_by else "",
                    kind="prescription",
                )
            )
        elif prescription.status == PrescriptionStatus.REFUSED and prescription.answered_at:
            events.append(
                Event(
                    at=prescription.answered_at,
                    title=f"Prescription refusée : « {action.title} »",
                    actor=person(answered_by, answered_by.organisation) if answered_by else "",
                    details=(f"Motif : {prescription.get_refusal_reason_display()}",),
                    kind="prescription",
                )
            )
        elif prescription.display_status == PrescriptionStatus.EXPIRED:
            events.append(
                Event(
                    at=prescription.expires_at,
                    title=f"Prescription expirée sans réponse : « {action.title} »",
                    kind="prescription",
                )
            )
        if prescription.followed_up_at:
            details = [f"Assiduité : {prescription.get_attendance_display()}"]
            if prescription.outcome:
                details.append(f"Issue : {prescription.get_outcome_display()}")
            events.append(
                Event(
                    at=prescription.followed_up_at,
                    title=f"Suivi de l'action « {action.title} »",
                    actor=person(answered_by, answered_by.organisation) if answered_by else "",
                    details=tuple(details),
                    kind="prescription",
                )
            )
    return events


def register_providers():
    register(orientation_events)
    register(diagnostic_events)
    register(prescription_events)
