"""A TAK data package (mission package zip) that enrols a client: import it in ATAK/WinTAK/iTAK
and the client trusts the centre's CA, presents its own certificate and connects to the TLS
listener.

Layout (MissionPackageManifest version 2, as TAK Server's and taky's enrolment packages):

    MANIFEST/manifest.xml
    certs/<server>.pref       cot_streams connection + where the certificates are
    certs/truststore.p12      the CA certificate
    certs/<username>.p12      the client certificate and key
"""

from __future__ import annotations

import io
import uuid
import zipfile
from xml.etree.ElementTree import Element, SubElement, tostring

from cryptography import x509

from concord.cot.ca import IssuedCertificate, truststore_p12


def connect_string(host: str, port: int) -> str:
    return f"{host}:{port}:ssl"


def build_data_package(issued: IssuedCertificate, ca: x509.Certificate, username: str, host: str,
                       port: int, password: str, description: str = "Concord") -> bytes:
    client_p12 = f"{_safe(username)}.p12"
    pref_name = f"{_safe(description)}.pref"
    prefs = {
        "cot_streams": {
            "count": 1,
            "description0": description,
            "enabled0": True,
            "connectString0": connect_string(host, port),
        },
        "com.atakmap.app_preferences": {
            "displayServerConnectionWidget": True,
            "caLocation": "cert/truststore.p12",
            "caPassword": password,
            "clientPassword": password,
            "certificateLocation": f"cert/{client_p12}",
        },
    }
    files = {
        f"certs/{pref_name}": _preferences(prefs),
        "certs/truststore.p12": truststore_p12(ca, password),
        f"certs/{client_p12}": issued.pkcs12(password, ca),
    }
    files["MANIFEST/manifest.xml"] = _manifest(f"{_safe(username)}-{_safe(description)}", list(files))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _preferences(prefs: dict[str, dict[str, object]]) -> bytes:
    root = Element("preferences")
    for name, entries in prefs.items():
        preference = SubElement(root, "preference", {"version": "1", "name": name})
        for key, value in entries.items():
            java = "Boolean" if isinstance(value, bool) else "Integer" if isinstance(value, int) else "String"
            entry = SubElement(preference, "entry", {"key": key, "class": f"class java.lang.{java}"})
            entry.text = str(value).lower() if isinstance(value, bool) else str(value)
    body: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return b"<?xml version='1.0' standalone='yes'?>\n" + body


def _manifest(name: str, entries: list[str]) -> bytes:
    root = Element("MissionPackageManifest", {"version": "2"})
    configuration = SubElement(root, "Configuration")
    for key, value in (("uid", str(uuid.uuid4())), ("name", name), ("onReceiveDelete", "true")):
        SubElement(configuration, "Parameter", {"name": key, "value": value})
    contents = SubElement(root, "Contents")
    for entry in entries:
        SubElement(contents, "Content", {"ignore": "false", "zipEntry": entry})
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "client"
