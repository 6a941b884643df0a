"""Sign-in, sign-out, the signed-in person, TOTP enrolment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, Response
from pydantic import BaseModel, Field

from concord.api.deps import CSRF_COOKIE, SESSION_COOKIE, ActorDep, AuthDep, CentreDep
from concord.api.models import Strict
from concord.api.people import PersonOut
from concord.api.read_audit import api_router
from concord.clock import iso

router = api_router(prefix="/api", tags=["session"])


class SignInBody(Strict):
    username: Annotated[str, Field(min_length=1, max_length=63)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    totp: Annotated[str | None, Field(pattern=r"^\d{6}$")] = None


class SignInOut(BaseModel):
    token: str
    csrf_token: str
    expires_at: str
    person: PersonOut


class TotpStartOut(BaseModel):
    secret: str
    uri: str


class PasswordBody(Strict):
    password: Annotated[str, Field(min_length=1, max_length=256, description="the current password")]


class PasswordChangeBody(Strict):
    password: Annotated[str, Field(min_length=1, max_length=256, description="the current password")]
    new_password: Annotated[str, Field(min_length=1, max_length=256)]


class TotpConfirmBody(Strict):
    password: Annotated[str, Field(min_length=1, max_length=256, description="the current password")]
    secret: Annotated[str, Field(pattern=r"^[A-Z2-7]{32}$", description="the secret from POST /api/me/totp")]
    code: Annotated[str, Field(pattern=r"^\d{6}$")]


class LanguageBody(Strict):
    language: Annotated[str, Field(pattern="^(en|tr|ar)$")]


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/session", response_model=SignInOut, summary="Sign in (password, then TOTP if enabled)")
def sign_in(body: SignInBody, request: Request, response: Response, centre: CentreDep) -> dict[str, Any]:
    signed = centre.auth.sign_in(body.username, body.password, body.totp, _client_address(request))
    max_age = centre.settings.session_ttl_minutes * 60
    secure = centre.settings.secure_cookies
    response.set_cookie(SESSION_COOKIE, signed.token, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, signed.csrf_token, max_age=max_age, httponly=False, samesite="strict",
                        secure=secure, path="/")
    person = centre.people.get(signed.actor.person_id)
    return {"token": signed.token, "csrf_token": signed.csrf_token, "expires_at": iso(signed.expires_at),
            "person": PersonOut.of(person, centre.clock.now())}


@router.delete("/session", status_code=204, summary="Sign out of this session")
def sign_out(auth: AuthDep, response: Response, centre: CentreDep) -> Response:
    centre.auth.sign_out(auth)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.delete("/sessions", summary="Sign out everywhere (every session of this person)")
def sign_out_everywhere(actor: ActorDep, centre: CentreDep) -> dict[str, int]:
    return {"revoked": centre.auth.sign_out_everywhere(actor)}


@router.delete("/sessions/others", summary="Sign out of every other session (this one stays)")
def sign_out_elsewhere(auth: AuthDep, centre: CentreDep) -> dict[str, int]:
    return {"revoked": centre.auth.sign_out_elsewhere(auth)}


@router.get("/me", response_model=PersonOut, summary="The signed-in person, with current roles")
def me(actor: ActorDep, centre: CentreDep) -> PersonOut:
    return PersonOut.of(centre.people.get(actor.person_id), centre.clock.now())


@router.put("/me/language", status_code=204, summary="Set the interface language")
def set_language(body: LanguageBody, actor: ActorDep, centre: CentreDep) -> Response:
    centre.people.set_language(actor, body.language)
    return Response(status_code=204)


@router.post("/me/totp", response_model=TotpStartOut, summary="Start TOTP enrolment (confirm with a code)")
def start_totp(actor: ActorDep, centre: CentreDep) -> dict[str, str]:
    secret, uri = centre.auth.start_totp(actor)
    return {"secret": secret, "uri": uri}


@router.post("/me/totp/confirm", status_code=204, summary="Turn TOTP on with a code from the new secret")
def confirm_totp(body: TotpConfirmBody, auth: AuthDep, centre: CentreDep) -> Response:
    """Needs the current password; every other session of the person ends."""
    centre.auth.confirm_totp(auth, body.password, body.secret, body.code)
    return Response(status_code=204)


@router.delete("/me/totp", status_code=204, summary="Turn TOTP off (with the current password)")
def disable_totp(body: PasswordBody, auth: AuthDep, centre: CentreDep) -> Response:
    """Needs the current password; every other session of the person ends."""
    centre.auth.disable_totp(auth, body.password)
    return Response(status_code=204)


@router.put("/me/password", status_code=204, summary="Change one's own password")
def change_password(body: PasswordChangeBody, auth: AuthDep, centre: CentreDep) -> Response:
    """Needs the current password; every other session and remembered credential ends."""
    centre.auth.change_password(auth, body.password, body.new_password)
    return Response(status_code=204)
