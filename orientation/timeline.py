"""Orientation events in the file's timeline (one query)."""

from accompaniment.timeline import Event, on_day, person, register


@register
def orientations(beneficiary):
    events = []
    for orientation in beneficiary.orientations.select_related("organisation", "decided_by", "notified_by"):
        events.append(
            Event(
                at=on_day(orientation.decided_on),
                title=f"Orientation : {orientation.get_pathway_display()}",
                actor=person(orientation.decided_by),
                details=(f"Organisme référent : {orientation.organisation}",),
                kind="orientation",
                date_only=True,
            )
        )
        if orientation.notified_on:
            events.append(
                Event(
                    at=on_day(orientation.notified_on),
                    title="Courrier de notification envoyé",
                    actor=person(orientation.notified_by),
                    kind="orientation",
                    date_only=True,
                )
            )
        if orientation.ended_on:
            reason = orientation.get_end_reason_display()
            events.append(
                Event(
                    at=on_day(orientation.ended_on),
                    title=f"Orientation close : {reason}",
                    details=(orientation.end_comment,) if orientation.end_comment else (),
                    kind="orientation",
                    date_only=True,
                )
            )
    return events
