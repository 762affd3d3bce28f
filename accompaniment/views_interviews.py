"""Interviews, accompaniment episodes and the exit, from the file page.

Every file comes from `Beneficiary.objects.for_user(user)` (404 out of reach), every interview from the
files the user may see; the role is checked after (403). Referents, orientation officers and managers
record every kind of interview and the exit; CAF agents record CAF rights interviews only. The rules
(held date, complementary rights, episodes, exits) live in accompaniment.services.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from audit.services import log_list, log_read
from partners.enums import Role
from partners.http import add_service_errors, is_partial, require
from partners.models import User

from . import sections, services
from .enums import ComplementaryRight, InterviewKind, InterviewStatus, Status
from .forms import QUICK_STATUSES, ExitForm, InterviewForm, InterviewStatusForm
from .models import Beneficiary, Episode, Interview
from .views import file_url, visible_file

# Who records interviews of every kind and exits (among the users who may see the file).
CASEWORKER_ROLES = (Role.REFERENT, Role.ORIENTATION_OFFICER, Role.MANAGER)
# How many interviews of each group the file page shows; the others are on the file's interview list.
SECTION_LIMIT = 10


def interview_kinds_for(user):
    """The kinds of interview `user` may record and edit: all for caseworkers, the CAF rights interview
    for CAF agents, none for the others."""
    if user.has_role(*CASEWORKER_ROLES):
        return tuple(InterviewKind.values)
    if user.has_role(Role.CAF_AGENT):
        return (InterviewKind.CAF_RIGHTS.value,)
    return ()


def may_record_interviews(user):
    return bool(interview_kinds_for(user))


def may_edit_interview(user, interview):
    return interview.kind in interview_kinds_for(user)


def may_record_exits(user):
    return user.has_role(*CASEWORKER_ROLES)


def _visible_interview(user, pk):
    visible = Beneficiary.objects.for_user(user).values("id")
    interviews = Interview.objects.filter(beneficiary__in=visible).select_related("beneficiary", "opened_episode")
    return get_object_or_404(interviews, pk=pk)


# Service field names that the forms call otherwise.
FORM_FIELD_OF = {"scheduled_for": "scheduled_date"}


def _scheduled(interview):
    return f"{timezone.localtime(interview.scheduled_for):%d/%m/%Y à %H:%M}"


def _entry_message(episode):
    return f" Entrée en accompagnement le {episode.started_on:%d/%m/%Y}." if episode else ""


def _episode_opened_by(interview):
    return Episode.objects.filter(opening_interview=interview).first()


# The file page's sections --------------------------------------------------------------------------------
@dataclass
class InterviewRow:
    """An interview as the file page shows it, with what the user may do on it."""

    interview: Interview
    may_edit: bool
    notice: str = ""  # what a quick status change did (or why it did not)
    succeeded: bool = False

    @property
    def quick_statuses(self):
        if self.may_edit and self.interview.status == InterviewStatus.PLANNED:
            return list(QUICK_STATUSES.items())
        return []

    @property
    def rights_labels(self):
        labels = dict(ComplementaryRight.choices)
        return [labels.get(code, code) for code in self.interview.complementary_rights or []]

    @property
    def is_late(self):
        """Planned for a moment already past: someone should say what happened."""
        return self.interview.status == InterviewStatus.PLANNED and self.interview.scheduled_for < timezone.now()


@dataclass
class InterviewSections:
    file: Beneficiary
    planned: list
    past: list
    planned_count: int
    total: int
    open_episode: Episode | None
    history: list = field(default_factory=list)  # closed episodes and exits without one, most recent first
    may_record: bool = False
    may_exit: bool = False

    @property
    def hidden_count(self):
        return self.total - len(self.planned) - len(self.past)


@dataclass(frozen=True)
class HistoryEntry:
    """A closed episode with its exit, or an exit of a file that never entered accompaniment."""

    exit: object
    episode: Episode | None = None

    @property
    def day(self):
        return self.exit.exited_on if self.exit else self.episode.ended_on


def file_sections_context(request, beneficiary):
    """The context of _file_episodes.html and _file_interviews.html, under `interview_sections`: five
    queries whatever the file's history (the planned and the past interviews, their counts, the episodes
    with their exits, the exits without an episode)."""
    user = request.user
    kinds = interview_kinds_for(user)
    interviews = beneficiary.interviews.select_related("opened_episode")
    planned = interviews.filter(status=InterviewStatus.PLANNED).order_by("scheduled_for", "id")[:SECTION_LIMIT]
    past = interviews.exclude(status=InterviewStatus.PLANNED).order_by("-scheduled_for", "-id")[:SECTION_LIMIT]
    counts = beneficiary.interviews.aggregate(
        total=Count("id"), planned=Count("id", filter=Q(status=InterviewStatus.PLANNED))
    )
    episodes = list(beneficiary.episodes.select_related("exit", "opening_interview"))
    exits_alone = list(beneficiary.exits.filter(episode__isnull=True))
    history = [HistoryEntry(exit=getattr(e, "exit", None), episode=e) for e in episodes if e.ended_on]
    history += [HistoryEntry(exit=exit_) for exit_ in exits_alone]
    history.sort(key=lambda entry: entry.day, reverse=True)
    status = getattr(beneficiary, "status_code", None) or beneficiary.status
    return {
        "interview_sections": InterviewSections(
            file=beneficiary,
            planned=[InterviewRow(i, may_edit=i.kind in kinds) for i in planned],
            past=[InterviewRow(i, may_edit=i.kind in kinds) for i in past],
            planned_count=counts["planned"],
            total=counts["total"],
            open_episode=next((e for e in episodes if e.ended_on is None), None),
            history=history,
            may_record=bool(kinds),
            may_exit=may_record_exits(user) and status != Status.EXITED,
        )
    }


sections.register(
    file_sections_context,
    main=["accompaniment/_file_episodes.html", "accompaniment/_file_interviews.html"],
    order=30,
)


# The file's interviews ---------------------------------------------------------------------------------
@login_required
def interview_list(request, pk):
    file = visible_file(request.user, pk)
    participants = User.objects.select_related("organisation").order_by("last_name", "first_name")
    interviews = file.interviews.select_related("created_by__organisation", "opened_episode").prefetch_related(
        Prefetch("participants", queryset=participants)
    )
    page = Paginator(interviews.order_by("-scheduled_for", "-id"), settings.PARCOURS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    kinds = interview_kinds_for(request.user)
    rows = [InterviewRow(interview, may_edit=interview.kind in kinds) for interview in page.object_list]
    log_read(file)
    log_list(Interview, page.object_list)
    context = {
        "file": file,
        "page_obj": page,
        "rows": rows,
        "may_record": bool(kinds),
        "nav_active": "files",
    }
    return render(request, "accompaniment/interview_list.html", context)


@login_required
def interview_create(request, pk):
    file = visible_file(request.user, pk)
    kinds = interview_kinds_for(request.user)
    require(kinds, "Seuls les référents, chargés d'orientation, responsables et agents CAF saisissent des entretiens.")
    initial = {"participants": [request.user], "scheduled_date": timezone.localdate()}
    if InterviewKind.FOLLOW_UP in kinds and file.status == Status.IN_ACCOMPANIMENT:
        initial["kind"] = InterviewKind.FOLLOW_UP
    elif InterviewKind.ACCOMPANIMENT in kinds and file.status == Status.ORIENTED:
        initial["kind"] = InterviewKind.ACCOMPANIMENT
    form = InterviewForm(request.POST or None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.interview_record(
                beneficiary=file,
                by=request.user,
                participants=list(form.cleaned_data["participants"]),
                **form.interview_fields(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            episode = _episode_opened_by(interview) if interview.status == InterviewStatus.HELD else None
            messages.success(
                request,
                f"Entretien enregistré : {interview.get_kind_display()} du {_scheduled(interview)} "
                f"({interview.get_status_display().lower()}).{_entry_message(episode)}",
            )
            return redirect(file_url(file, "#accompagnement" if episode else "#entretiens"))
    log_read(file)
    context = {"file": file, "form": form, "interview": None, "nav_active": "files"}
    return render(request, "accompaniment/interview_form.html", context)


@login_required
def interview_edit(request, interview_pk):
    interview = _visible_interview(request.user, interview_pk)
    file = interview.beneficiary
    kinds = interview_kinds_for(request.user)
    require(interview.kind in kinds, "Vous ne pouvez pas modifier ce type d'entretien.")
    title = f"{interview.get_kind_display()} du {_scheduled(interview)}"  # the service changes the instance
    had_episode = hasattr(interview, "opened_episode")
    form = InterviewForm(request.POST or None, kinds=kinds, interview=interview)
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.interview_update(
                interview=interview,
                by=request.user,
                participants=list(form.cleaned_data["participants"]),
                **form.interview_fields(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            episode = None
            if not had_episode and interview.status == InterviewStatus.HELD:
                episode = _episode_opened_by(interview)
            messages.success(
                request,
                f"Entretien modifié : {interview.get_kind_display()} du {_scheduled(interview)} "
                f"({interview.get_status_display().lower()}).{_entry_message(episode)}",
            )
            return redirect(file_url(file, "#accompagnement" if episode else "#entretiens"))
    log_read(interview)
    context = {"file": file, "form": form, "interview": interview, "title": title, "nav_active": "files"}
    return render(request, "accompaniment/interview_form.html", context)


@login_required
@require_POST
def interview_status(request, interview_pk):
    """The quick status change of a planned interview from the file page: htmx swaps its row; without
    JavaScript, back to the file page with a message. When the interview opens the accompaniment, the whole
    page is reloaded (status, sections and timeline change)."""
    interview = _visible_interview(request.user, interview_pk)
    require(may_edit_interview(request.user, interview), "Vous ne pouvez pas modifier ce type d'entretien.")
    file = interview.beneficiary
    form = InterviewStatusForm(request.POST)
    row = InterviewRow(interview, may_edit=True)
    level = messages.SUCCESS
    if interview.status != InterviewStatus.PLANNED:
        row.notice = f"Cet entretien n'est plus prévu : son statut est « {interview.get_status_display()} »."
        level = messages.WARNING
    elif not form.is_valid():
        row.notice = "Choisissez un des statuts proposés."
        level = messages.ERROR
    else:
        status = form.cleaned_data["status"]
        held_on = timezone.localdate() if status == InterviewStatus.HELD else None
        try:
            interview = services.interview_update(interview=interview, by=request.user, status=status, held_on=held_on)
        except ValidationError as error:
            row.notice = " ".join(error.messages)
            level = messages.ERROR
        else:
            episode = _episode_opened_by(interview) if status == InterviewStatus.HELD else None
            row.notice = f"Entretien du {_scheduled(interview)} : {interview.get_status_display().lower()}"
            row.notice += f" le {interview.held_on:%d/%m/%Y}." if interview.held_on else "."
            row.succeeded = True
            if episode is not None:
                messages.success(request, row.notice + _entry_message(episode))
                if is_partial(request):
                    # Not to the page's own URL with another #anchor: that would only scroll, not reload.
                    return HttpResponseClientRedirect(file_url(file))
                return redirect(file_url(file, "#accompagnement"))
    if is_partial(request):
        response = render(request, "accompaniment/_interview_row.html", {"row": row})
        patch_vary_headers(response, ["HX-Request"])
        return response
    messages.add_message(request, level, row.notice)
    return redirect(file_url(file, "#entretiens"))


# Exit -------------------------------------------------------------------------------------------------
@login_required
def exit_create(request, pk):
    file = visible_file(request.user, pk)
    require(may_record_exits(request.user), "Seuls les référents, chargés d'orientation et responsables.")
    episode = file.open_episode
    form = ExitForm(request.POST or None, in_accompaniment=episode is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exit_ = services.exit_record(
                beneficiary=file,
                exited_on=data["exited_on"],
                reason=data["reason"],
                comment=data["comment"].strip(),
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = f"Sortie enregistrée le {exit_.exited_on:%d/%m/%Y} : {exit_.get_reason_display()}."
            if exit_.episode is not None:
                text += f" L'accompagnement commencé le {exit_.episode.started_on:%d/%m/%Y} est clos."
            messages.success(request, text)
            return redirect(file_url(file, "#accompagnement"))
    log_read(file)
    exited = file.status == Status.EXITED
    context = {
        "file": file,
        "form": form,
        "episode": episode,
        "last_exit": file.exits.order_by("-exited_on", "-id").first() if exited else None,
        "nav_active": "files",
    }
    return render(request, "accompaniment/exit_form.html", context)
