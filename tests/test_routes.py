"""Generated from the URL configuration: every route, requested by every persona, answers as expected.

A new route fails `test_every_route_has_declared_expectations` until its expected answers are declared in
ROUTES below, and `test_every_route_reading_nominative_data_writes_an_audit_entry` until it either writes an
audit entry or is listed in NON_NOMINATIVE_ROUTES.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.models import AuditLog
from partners.enums import Role
from tests.factories import OrganisationFactory, UserFactory

ANONYMOUS, REFERENT, OTHER, STRANGER = "anonymous", "referent", "other_organisation_user", "stranger"
PERSONAS = (ANONYMOUS, REFERENT, OTHER, STRANGER)
LOGIN = 302  # anonymous users are sent to the login page

# url name → expected status per persona (REFERENT is the referent who created `followed_file`; OTHER is a
# France Travail referent of another organisation; STRANGER has no role). A set allows several answers.
ROUTES = {
    "home": {ANONYMOUS: LOGIN, REFERENT: 302, OTHER: 302, STRANGER: 200},
    "healthz": {ANONYMOUS: {200, 503}, REFERENT: {200, 503}, OTHER: {200, 503}, STRANGER: {200, 503}},
    "theme_css": {ANONYMOUS: 200, REFERENT: 200, OTHER: 200, STRANGER: 200},
    "login": {ANONYMOUS: 200, REFERENT: 302, OTHER: 302, STRANGER: 302},
    "logout": {ANONYMOUS: 405, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "accessibility": {ANONYMOUS: 200, REFERENT: 200, OTHER: 200, STRANGER: 200},
    "privacy": {ANONYMOUS: 200, REFERENT: 200, OTHER: 200, STRANGER: 200},
    "legal_notice": {ANONYMOUS: 200, REFERENT: 200, OTHER: 200, STRANGER: 200},
    "accompaniment:list": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "accompaniment:unassigned": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "accompaniment:create": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "accompaniment:detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:edit": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:share": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "accompaniment:revoke_share": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "accompaniment:exports": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "accompaniment:export_create": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "accompaniment:export_download": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 403},
    "accompaniment:portfolio": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "accompaniment:team_portfolio": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "accompaniment:referent_designate": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 404, STRANGER: 404},
    "accompaniment:interviews": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:interview_create": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:interview_edit": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:interview_status": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "accompaniment:exit_create": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:contract_sign": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:contract_detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:contract_hours": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "accompaniment:activity_create": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:activity_edit": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "accompaniment:activity_status": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "accompaniment:ft_review": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "accompaniment:imports": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "accompaniment:import_detail": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "accompaniment:import_rejections_csv": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "accompaniment:my_deadlines": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "accompaniment:late_files": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "accompaniment:alerts": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "accompaniment:alerts_read_all": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "accompaniment:alert_read": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "orientation:worklist": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "orientation:diagnostic_create": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "orientation:diagnostic_detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "orientation:decide": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 404, STRANGER: 404},
    "orientation:reorient": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 404, STRANGER: 404},
    "orientation:notify": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 404, STRANGER: 404},
    "orientation:letter": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "childcare:worklist": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "childcare:request_create": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "childcare:request_detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "childcare:eligibility": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "childcare:place": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "childcare:decline": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "childcare:review": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "childcare:providers": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "childcare:provider_edit": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "orientation:service_list": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "orientation:service_create": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "orientation:service_detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "orientation:service_edit": {ANONYMOUS: LOGIN, REFERENT: 404, OTHER: 404, STRANGER: 403},
    "orientation:action_list": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "orientation:action_create": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "orientation:action_detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 403},
    "orientation:action_edit": {ANONYMOUS: LOGIN, REFERENT: 404, OTHER: 404, STRANGER: 403},
    "orientation:file_actions": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "orientation:prescribe": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "orientation:prescription_list": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "orientation:prescription_detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "orientation:prescription_accept": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "orientation:prescription_refuse": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "orientation:prescription_follow_up": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "audit:log": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "audit:export": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "admin:index": {ANONYMOUS: 302, REFERENT: 302, OTHER: 302, STRANGER: 302},
    # Conventions and COPIL meetings: the referent's organisation is a party / attended; editing is for owners.
    "partners:convention_list": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 200},
    "partners:convention_create": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "partners:convention_detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "partners:convention_edit": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 404, STRANGER: 404},
    "partners:convention_renewal": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "partners:convention_document_upload": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    "partners:convention_document": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "partners:copil_list": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 200, STRANGER: 200},
    "partners:copil_create": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "partners:copil_detail": {ANONYMOUS: LOGIN, REFERENT: 200, OTHER: 404, STRANGER: 404},
    "partners:copil_edit": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 404, STRANGER: 404},
    "partners:copil_action_status": {ANONYMOUS: LOGIN, REFERENT: 405, OTHER: 405, STRANGER: 405},
    # Aggregates only, for managers and COPIL members (tests/reporting/test_views.py reads them as those).
    "reporting:dashboard": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "reporting:report_download": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "reporting:report_list": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "reporting:report_freeze": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
    "reporting:frozen_download": {ANONYMOUS: LOGIN, REFERENT: 403, OTHER: 403, STRANGER: 403},
}

# Routes that never show nominative data (no audit entry expected on a GET).
NON_NOMINATIVE_ROUTES = {
    "home",
    "healthz",
    "theme_css",
    "login",
    "logout",
    "accessibility",
    "privacy",
    "legal_notice",
    "accompaniment:create",  # an empty form
    "accompaniment:exports",  # the user's own exports: dates, formats and counts, no names
    "accompaniment:imports",  # files received and their counts, no beneficiary's name
    "audit:log",  # the DPO's journal holds no beneficiary data
    "admin:index",  # configuration only
    "childcare:providers",  # childcare providers: configuration, no beneficiary's name
    "childcare:provider_edit",
    # Partnerships: organisations, their signatories and COPIL meetings, never a beneficiary.
    "partners:convention_list",
    "partners:convention_create",
    "partners:convention_detail",
    "partners:convention_edit",
    "partners:convention_document",
    "partners:copil_list",
    "partners:copil_create",
    "partners:copil_detail",
    "partners:copil_edit",
    # The directory and the insertion offer: services and actions, no person.
    "orientation:service_list",
    "orientation:service_create",
    "orientation:service_detail",
    "orientation:service_edit",
    "orientation:action_list",
    "orientation:action_create",
    "orientation:action_detail",
    "orientation:action_edit",
    "reporting:dashboard",  # aggregates (and, for a manager, the names of their teams' agents)
    "reporting:report_download",  # aggregates only
    "reporting:report_list",
    "reporting:report_freeze",
    "reporting:frozen_download",
}

# Routes that only accept POST: their audit coverage is tested with their own view tests.
POST_ONLY_ROUTES = {
    "logout",
    "accompaniment:share",
    "accompaniment:revoke_share",
    "accompaniment:export_create",
    "accompaniment:interview_status",
    "accompaniment:contract_hours",
    "accompaniment:activity_status",
    "accompaniment:alerts_read_all",
    "accompaniment:alert_read",
    "childcare:eligibility",
    "childcare:place",
    "childcare:decline",
    "childcare:review",
    "partners:convention_renewal",
    "partners:convention_document_upload",
    "partners:copil_action_status",
    "orientation:prescription_accept",
    "orientation:prescription_refuse",
    "orientation:prescription_follow_up",
}

# Admin routes are reached only by functional administrators and hold configuration data: tested apart.
SKIPPED_PREFIXES = ("admin:",)


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def all_routes():
    routes = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        if name.startswith(SKIPPED_PREFIXES) and name != "admin:index":
            continue
        routes[name] = pattern
    return routes


def _kwargs_for(pattern, objects):
    kwargs = {}
    for key in pattern.pattern.converters:
        if key in ("pk", "beneficiary_pk"):
            kwargs[key] = objects["file"].pk
        elif key == "share_pk":
            kwargs[key] = objects["share"].pk
        elif key == "orientation_pk":
            kwargs[key] = objects["orientation"].pk
        elif key == "diagnostic_pk":
            kwargs[key] = objects["diagnostic"].pk
        elif key == "export_pk":
            kwargs[key] = objects["export"].pk
        elif key == "interview_pk":
            kwargs[key] = objects["interview"].pk
        elif key == "contract_pk":
            kwargs[key] = objects["contract"].pk
        elif key == "activity_pk":
            kwargs[key] = objects["activity"].pk
        elif key == "import_pk":
            kwargs[key] = objects["data_import"].pk
        elif key == "notification_pk":
            kwargs[key] = objects["notification"].pk
        elif key == "request_pk":
            kwargs[key] = objects["childcare_request"].pk
        elif key == "placement_pk":
            kwargs[key] = objects["placement"].pk
        elif key == "provider_pk":
            kwargs[key] = objects["provider"].pk
        elif key in ("convention_pk", "document_pk", "meeting_pk", "copil_action_pk"):
            kwargs[key] = objects[key.removesuffix("_pk")].pk
        elif key in ("service_pk", "action_pk", "prescription_pk"):
            kwargs[key] = objects[key.removesuffix("_pk")].pk
        elif key == "report_pk":  # refused by role before any lookup
            kwargs[key] = 1
        else:
            raise AssertionError(f"Déclarez une valeur d'exemple pour le paramètre {key!r} dans tests/test_routes.py")
    return kwargs


@pytest.fixture
def objects(followed_file, referent):
    import datetime

    from django.utils import timezone

    from accompaniment import deadline_engine
    from accompaniment.enums import ImportKind, ImportStatus
    from accompaniment.exports import request as export_request
    from accompaniment.models import DataImport, DeadlineAlert, ImportRejection, Notification
    from accompaniment.permissions import share_file
    from accompaniment.services import activity_add, contract_sign, interview_record
    from orientation.services import diagnostic_record, orientation_decide

    share = share_file(
        beneficiary=followed_file,
        by=referent,
        reason="Suivi conjoint",
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
        user=UserFactory(organisation=referent.organisation, roles=[Role.REFERENT]),
    )
    orientation = orientation_decide(
        beneficiary=followed_file,
        pathway="social_pro",
        organisation=referent.organisation,
        decided_on=timezone.localdate(),
        by=UserFactory(organisation=referent.organisation, roles=[Role.ORIENTATION_OFFICER]),
    )
    diagnostic = diagnostic_record(
        beneficiary=followed_file,
        by=referent,
        barriers={"health": {"level": "medium", "comment": "Suivi médical en cours"}},
        held_on=timezone.localdate(),
        place="Agence",
        beneficiary_present=True,
        suggested_pathway="social_pro",
    )
    export = export_request(user=referent, query="", format="csv")
    interview = interview_record(
        beneficiary=followed_file,
        by=referent,
        kind="accompaniment",
        scheduled_for=timezone.now() + datetime.timedelta(days=7),
    )
    today = timezone.localdate()
    contract = contract_sign(beneficiary=followed_file, by=referent, signed_on=today, starts_on=today)
    activity = activity_add(
        contract=contract,
        by=referent,
        kind="cv_workshop",
        title="Atelier CV",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=14),
        weekly_planned_hours=3,
    )
    data_import = DataImport.objects.create(
        kind=ImportKind.CAF,
        file_name="RSABEM.xml",
        checksum="0" * 64,
        status=ImportStatus.DONE,
        processed=1,
        rejected=1,
        expires_on=today + datetime.timedelta(days=90),
    )
    ImportRejection.objects.create(
        data_import=data_import,
        position=1,
        identifier="CAF 131 n° 0001234",
        element="Identification/DTNAI",
        reason="Foyer CAF 131 n° 0001234 (1er foyer du fichier) : date de naissance invalide.",
    )
    service, action, prescription = _offer(followed_file, referent)
    deadline_engine.run_check()
    notification = Notification.objects.create(
        alert=DeadlineAlert.objects.filter(deadline__beneficiary=followed_file).first(),
        recipient=referent,
        created_at=timezone.now(),
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.partners.factories import ConventionFactory, CopilActionFactory, CopilMeetingFactory

    convention = ConventionFactory(parties=[referent.organisation, OrganisationFactory(code="CAF-ROUTES")])
    document = convention.documents.create(title="Convention", file=SimpleUploadedFile("c.pdf", b"%PDF-1.4\n"))
    meeting = CopilMeetingFactory(organisations=[referent.organisation])
    copil_action = CopilActionFactory(meeting=meeting)
    childcare_request, placement, provider = _childcare_objects(followed_file, referent)
    return {
        "childcare_request": childcare_request,
        "placement": placement,
        "provider": provider,
        "convention": convention,
        "document": document,
        "meeting": meeting,
        "copil_action": copil_action,
        "file": followed_file,
        "data_import": data_import,
        "share": share,
        "orientation": orientation,
        "diagnostic": diagnostic,
        "export": export,
        "interview": interview,
        "contract": contract,
        "activity": activity,
        "notification": notification,
        "service": service,
        "action": action,
        "prescription": prescription,
    }


def _childcare_objects(file, referent):
    import datetime

    from childcare.enums import ProviderKind, Purpose, RequestKind, RequestStatus
    from childcare.models import ChildcareRequest, Placement, Provider

    provider = Provider.objects.create(
        name="Crèche AVIP",
        kind=ProviderKind.CRECHE,
        organisation=referent.organisation,
        total_places=10,
        avip_places=2,
        label_starts_on=datetime.date(2025, 1, 1),
        label_ends_on=datetime.date(2030, 12, 31),
    )
    today = datetime.date.today()
    request = ChildcareRequest.objects.create(
        beneficiary=file,
        child_first_name="Inès",
        child_birth_date=today - datetime.timedelta(days=400),
        kind=RequestKind.PERENNE,
        provider_kind=ProviderKind.CRECHE,
        purpose=Purpose.EMPLOI,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=180),
        hours="De 8 h à 17 h",
        status=RequestStatus.PLACED,
        requested_by=referent,
    )
    placement = Placement.objects.create(
        request=request, provider=provider, starts_on=today, ends_on=request.ends_on, created_by=referent
    )
    return request, placement, provider


def _offer(file, referent):
    """A service of the directory, an insertion action starting today and the file prescribed to it."""
    import datetime

    from django.utils import timezone

    from orientation.models import InsertionAction, Service
    from orientation.services_offer import prescription_prescribe
    from partners.enums import OrganisationType
    from tests.factories import OrganisationFactory

    provider = OrganisationFactory(code="ACI-ROUTES", type=OrganisationType.INSERTION_OPERATOR)
    service = Service.objects.create(provider=provider, name="Accueil logement")
    today = timezone.localdate()
    action = InsertionAction.objects.create(
        operator=provider,
        title="Atelier logement",
        axis="lift_barriers",
        places=3,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
    )
    return service, action, prescription_prescribe(beneficiary=file, action=action, by=referent)


def test_every_route_has_declared_expectations():
    missing = sorted(set(all_routes()) - set(ROUTES))
    assert not missing, f"Routes sans réponses attendues déclarées dans ROUTES : {missing}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_answers_each_persona_as_declared(
    name, persona, client, objects, referent, other_organisation_user, stranger
):
    routes = all_routes()
    assert name in routes, f"{name} n'existe plus : retirez-le de ROUTES"
    users = {REFERENT: referent, OTHER: other_organisation_user, STRANGER: stranger}
    if persona != ANONYMOUS:
        client.force_login(users[persona])
    url = reverse(name, kwargs=_kwargs_for(routes[name], objects))
    response = client.get(url)
    expected = ROUTES[name][persona]
    expected = expected if isinstance(expected, set) else {expected}
    assert response.status_code in expected, f"GET {url} as {persona}: {response.status_code}, expected {expected}"
    if response.status_code == 302 and persona == ANONYMOUS and LOGIN in expected and name != "admin:index":
        assert response["Location"].startswith(reverse("login"))


def _privileged_user_for(name, referent, departement):
    """The persona that may read the route: the referent, or a Département orientation officer."""
    if name in (
        "accompaniment:unassigned",
        "accompaniment:ft_review",
        "accompaniment:import_detail",
        "accompaniment:import_rejections_csv",
        "orientation:worklist",
        "orientation:decide",
        "orientation:reorient",
        "orientation:notify",
        "accompaniment:referent_designate",
    ):
        return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    if name == "accompaniment:team_portfolio":
        manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
        referent.teams.update(manager=manager)
        return manager
    if name == "orientation:prescription_list":  # the operator's staff of the prescribed action
        from orientation.models import InsertionAction

        return UserFactory(organisation=InsertionAction.objects.get().operator, roles=[Role.OPERATOR])
    if name == "accompaniment:late_files":
        return UserFactory(organisation=departement, roles=[Role.MANAGER])
    return referent


@pytest.mark.parametrize(
    "name",
    sorted(set(ROUTES) - NON_NOMINATIVE_ROUTES - POST_ONLY_ROUTES - {n for n in ROUTES if n.startswith("audit:")}),
)
def test_every_route_reading_nominative_data_writes_an_audit_entry(name, client, objects, referent, departement):
    routes = all_routes()
    client.force_login(_privileged_user_for(name, referent, departement))
    url = reverse(name, kwargs=_kwargs_for(routes[name], objects))
    before = AuditLog.objects.count()
    response = client.get(url)
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    entries = AuditLog.objects.filter(path=url)
    assert AuditLog.objects.count() > before and entries.exists(), f"{name} n'écrit pas dans le journal d'accès"
