"""Timeline events of interviews, accompaniment episodes and exits: one query per provider.

Interview notes never reach the timeline (they may be sensitive); the outcome does.
"""

from django.db.models import Count
from django.utils import timezone

from .enums import ComplementaryRight, InterviewStatus
from .models import Episode, Exit, Interview
from .timeline import Event, on_day, person, register

INTERVIEW_TITLES = {
    InterviewStatus.PLANNED: "Entretien programmé",
    InterviewStatus.HELD: "Entretien tenu",
    InterviewStatus.EXCUSED: "Absence excusée à l'entretien",
    InterviewStatus.NO_SHOW: "Absence non excusée à l'entretien",
    InterviewStatus.CANCELLED: "Entretien annulé",
}


def _participants(count):
    return "1 professionnel présent" if count == 1 else f"{count} professionnels présents"


def _rights_labels(codes):
    labels = dict(ComplementaryRight.choices)
    return ", ".join(labels.get(code, code) for code in codes)


def interview_events(beneficiary):
    """A planned interview is dated when it was scheduled; the others on the day they were held or planned."""
    interviews = (
        Interview.objects.filter(beneficiary=beneficiary)
        .select_related("created_by__organisation")
        .annotate(participant_count=Count("participants"))
        .order_by("-scheduled_for", "-id")
    )
    events = []
    for interview in interviews:
        scheduled = timezone.localtime(interview.scheduled_for)
        details = [f"Modalité : {interview.get_medium_display().lower()}"]
        if interview.status == InterviewStatus.PLANNED:
            details.insert(0, f"Prévu le {scheduled:%d/%m/%Y à %H:%M}")
            at, date_only = interview.created_at, False
        elif interview.status == InterviewStatus.HELD:
            at, date_only = on_day(interview.held_on), True
        else:
            details.insert(0, f"Prévu le {scheduled:%d/%m/%Y à %H:%M}")
            at, date_only = interview.scheduled_for, False
        if interview.status == InterviewStatus.HELD:
            if interview.participant_count:
                details.append(_participants(interview.participant_count))
            if interview.outcome:
                details.append(f"Conclusion : {interview.outcome}")
            if interview.complementary_rights:
                details.append(f"Droits complémentaires ouverts : {_rights_labels(interview.complementary_rights)}")
        author = interview.created_by
        events.append(
            Event(
                at=at,
                title=f"{INTERVIEW_TITLES[interview.status]} : {interview.get_kind_display()}",
                actor=person(author, author.organisation),
                details=tuple(details),
                kind="interview",
                date_only=date_only,
            )
        )
    return events


def episode_events(beneficiary):
    """The entry, with who held the opening interview; the end, with who recorded the exit."""
    episodes = Episode.objects.filter(beneficiary=beneficiary).select_related(
        "opening_interview__created_by__organisation", "exit__created_by__organisation"
    )
    events = []
    for episode in episodes:
        opening = episode.opening_interview
        entry = Event(
            at=on_day(episode.started_on),
            title="Entrée en accompagnement",
            actor=person(opening.created_by, opening.created_by.organisation),
            details=(f"Premier entretien : {opening.get_kind_display()} tenu le {opening.held_on:%d/%m/%Y}",),
            kind="episode",
            date_only=True,
        )
        if episode.ended_on:
            exit_ = getattr(episode, "exit", None)
            days = episode.duration_days
            details = [f"Durée : {days} jour{'s' if days > 1 else ''}"]
            if exit_ is not None:
                details.insert(0, f"Motif : {exit_.get_reason_display()}")
            events.append(
                Event(
                    at=on_day(episode.ended_on),
                    title="Fin de l'accompagnement",
                    actor=person(exit_.created_by, exit_.created_by.organisation) if exit_ else "",
                    details=tuple(details),
                    kind="episode",
                    date_only=True,
                )
            )
        events.append(entry)  # after the end: on the same day, the most recent event reads first
    return events


def exit_events(beneficiary):
    events = []
    for exit_ in Exit.objects.filter(beneficiary=beneficiary).select_related("created_by__organisation"):
        details = []
        if exit_.episode_id is None:
            details.append("Le dossier n'était pas entré en accompagnement.")
        if exit_.comment:
            details.append(f"Précision : {exit_.comment}")
        events.append(
            Event(
                at=on_day(exit_.exited_on),
                title=f"Sortie : {exit_.get_reason_display()}",
                actor=person(exit_.created_by, exit_.created_by.organisation),
                details=tuple(details),
                kind="exit",
                date_only=True,
            )
        )
    return events


# Registered in this order so that, on the same day, the timeline (most recent first) reads: the exit, the end
# of the episode, the entry, the interview that opened it.
register(exit_events)
register(episode_events)
register(interview_events)
