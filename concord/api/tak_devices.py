"""TAK devices over HTTP: an administrator enrols a person's TAK client (certificate and data
package, returned once), lists and revokes them. Own nation's people only."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id
from concord.api.read_audit import api_router
from concord.clock import iso
from concord.services.tak_devices import Device

router = api_router(prefix="/api/people/{person_id}/tak-devices", tags=["people"])

Serial = Annotated[str, Path(pattern="^[0-9a-fA-F]{1,40}$", description="certificate serial, hexadecimal")]


class DeviceOut(BaseModel):
    serial: str
    issued_at: str
    expires_at: str
    revoked: bool

    @classmethod
    def of(cls, d: Device) -> DeviceOut:
        return cls(serial=d.serial, issued_at=iso(d.issued_at), expires_at=iso(d.expires_at), revoked=d.revoked)


class EnrolmentOut(BaseModel):
    device: DeviceOut
    password: str = Field(description="the data package's certificate password: shown once, kept nowhere")
    package_filename: str
    package_base64: str = Field(description="TAK data package (zip) to import in ATAK/WinTAK/iTAK")
    certificate_pem: str


@router.get("", response_model=list[DeviceOut], summary="A person's TAK devices (own nation's administrators)")
def devices(person_id: Id, actor: ActorDep, centre: CentreDep) -> list[DeviceOut]:
    return [DeviceOut.of(d) for d in centre.tak_devices.devices(actor, person_id)]


@router.post("", response_model=EnrolmentOut, status_code=201,
             summary="Enrol a TAK device: a client certificate and a data package, returned once")
def enrol(person_id: Id, actor: ActorDep, centre: CentreDep) -> EnrolmentOut:
    made = centre.tak_devices.enrol(actor, person_id)
    return EnrolmentOut(device=DeviceOut.of(made.device), password=made.password,
                        package_filename=f"{made.username}-concord.zip",
                        package_base64=base64.b64encode(made.package).decode("ascii"),
                        certificate_pem=made.certificate_pem.decode("ascii"))


@router.post("/{serial}/revoke", response_model=DeviceOut,
             summary="Revoke a TAK device: its client is refused from the next connection")
def revoke(person_id: Id, serial: Serial, actor: ActorDep, centre: CentreDep) -> DeviceOut:
    return DeviceOut.of(centre.tak_devices.revoke(actor, person_id, serial))
