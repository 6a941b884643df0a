"""People and appointments. Administrators manage only their own nation's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Response
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, NationCode, Strict, UtcDateTime
from concord.api.privileged_requests import PrivilegedRequestOut
from concord.api.read_audit import api_router
from concord.clock import iso
from concord.domain.markings import Level
from concord.domain.people import Role
from concord.domain.privileged_requests import needs_second_person
from concord.services.people import PersonView

router = api_router(prefix="/api", tags=["people"])


class AppointmentOut(BaseModel):
    id: int
    role: Role
    nation: str
    starts_at: str
    ends_at: str | None
    current: bool


class PersonOut(BaseModel):
    id: int
    username: str
    display_name: str
    nation: str
    clearance: str
    disabled: bool
    language: str
    totp_enabled: bool
    roles: list[Role]
    appointments: list[AppointmentOut]

    @classmethod
    def of(cls, view: PersonView, now: datetime) -> PersonOut:
        return cls(
            id=view.id, username=view.username, display_name=view.display_name, nation=view.nation,
            clearance=view.clearance.name, disabled=view.disabled, language=view.language,
            totp_enabled=view.totp_enabled, roles=view.current_roles,
            appointments=[AppointmentOut(id=a.id, role=a.role, nation=a.nation, starts_at=iso(a.starts_at),
                                         ends_at=iso(a.ends_at) if a.ends_at else None,
                                         current=a.is_current(now)) for a in view.appointments],
        )


class PersonIn(Strict):
    username: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]
    display_name: Annotated[str, Field(min_length=1, max_length=120)]
    nation: NationCode
    clearance: Annotated[str, Field(pattern="^(UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET)$")]
    password: Annotated[str | None, Field(min_length=12, max_length=256)] = None
    language: Annotated[str, Field(pattern="^(en|tr|ar)$")] = "en"


class PersonCreated(BaseModel):
    person: PersonOut
    password: str | None = Field(None, description="the generated password, shown once")


class PasswordOut(BaseModel):
    password: str


class AppointmentIn(Strict):
    person_id: Id
    role: Role
    starts_at: UtcDateTime | None = None
    ends_at: UtcDateTime | None = None


class DirectoryEntry(BaseModel):
    id: int
    username: str
    display_name: str
    nation: str
    roles: list[Role]


@router.get("/people", response_model=list[DirectoryEntry], summary="Directory of the centre's people")
def directory(actor: ActorDep, centre: CentreDep, nation: NationCode | None = None) -> list[DirectoryEntry]:
    return [DirectoryEntry(id=p.id, username=p.username, display_name=p.display_name, nation=p.nation,
                           roles=p.current_roles)
            for p in centre.people.directory(nation) if not p.disabled]


@router.get("/admin/people", response_model=list[PersonOut], summary="Own nation's accounts (administrators)")
def own_people(actor: ActorDep, centre: CentreDep) -> list[PersonOut]:
    actor.require_admin_of(actor.nation)
    now = centre.clock.now()
    return [PersonOut.of(p, now) for p in centre.people.directory(actor.nation)]


@router.post("/people", response_model=PersonCreated, status_code=201, summary="Create an account (own nation)")
def create_person(body: PersonIn, actor: ActorDep, centre: CentreDep) -> PersonCreated:
    from concord.services.people import generate_password

    password = body.password or generate_password()
    person_id = centre.people.create(actor, username=body.username, display_name=body.display_name,
                                     nation=body.nation, clearance=Level[body.clearance], password=password,
                                     language=body.language)
    return PersonCreated(person=PersonOut.of(centre.people.get(person_id), centre.clock.now()),
                         password=None if body.password else password)


@router.post("/people/{person_id}/disable", status_code=204, summary="Disable an account and end its sessions")
def disable(person_id: Id, actor: ActorDep, centre: CentreDep) -> Response:
    centre.people.set_disabled(actor, person_id, True)
    return Response(status_code=204)


@router.post("/people/{person_id}/enable", status_code=204, summary="Enable an account")
def enable(person_id: Id, actor: ActorDep, centre: CentreDep) -> Response:
    centre.people.set_disabled(actor, person_id, False)
    return Response(status_code=204)


@router.post("/people/{person_id}/unlock", status_code=204,
             summary="Lift the sign-in delay that failed guesses put on an account (own nation)")
def unlock(person_id: Id, actor: ActorDep, centre: CentreDep) -> Response:
    centre.people.lift_sign_in_delay(actor, person_id)
    return Response(status_code=204)


@router.post("/people/{person_id}/reset-password", response_model=PasswordOut | PrivilegedRequestOut,
             summary="Generate a new password",
             responses={202: {"model": PrivilegedRequestOut,
                              "description": "a commander's password: a request for a second person to confirm"}})
def reset_password(person_id: Id, actor: ActorDep, centre: CentreDep, response: Response) -> Any:
    if centre.privileged.holds(person_id, Role.COMMANDER):
        response.status_code = 202
        return PrivilegedRequestOut.of(centre.privileged.request_password_reset(actor, person_id))
    return PasswordOut(password=centre.people.reset_password(actor, person_id))


@router.post("/appointments", response_model=AppointmentOut | PrivilegedRequestOut, status_code=201,
             summary="Appoint a person to a role",
             responses={202: {"model": PrivilegedRequestOut,
                              "description": "a commander or administrator: a request for a second person of "
                                             "the nation to confirm (POST /api/privileged-requests/{id}/confirm)"}})
def appoint(body: AppointmentIn, actor: ActorDep, centre: CentreDep, response: Response) -> Any:
    if needs_second_person(body.role):
        response.status_code = 202
        return PrivilegedRequestOut.of(centre.privileged.request_appointment(
            actor, person_id=body.person_id, role=body.role, starts_at=body.starts_at, ends_at=body.ends_at))
    appointment_id = centre.people.appoint(actor, person_id=body.person_id, role=body.role,
                                           starts_at=body.starts_at, ends_at=body.ends_at)
    view = centre.people.get(body.person_id)
    now = centre.clock.now()
    made = next(a for a in view.appointments if a.id == appointment_id)
    return AppointmentOut(id=made.id, role=made.role, nation=made.nation, starts_at=iso(made.starts_at),
                          ends_at=iso(made.ends_at) if made.ends_at else None, current=made.is_current(now))


@router.delete("/appointments/{appointment_id}", status_code=204, summary="End an appointment now")
def end_appointment(appointment_id: Id, actor: ActorDep, centre: CentreDep) -> Response:
    centre.people.end_appointment(actor, appointment_id)
    return Response(status_code=204)
