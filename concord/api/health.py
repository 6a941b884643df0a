"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from concord.api.deps import CentreDep
from concord.api.read_audit import api_router
from concord.storage import migrate

router = api_router(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Not draining, the database and the bus answer, the schema is current and every "
           "background task runs")
def readyz(request: Request, centre: CentreDep) -> JSONResponse:
    if request.app.state.drain.draining:
        # SIGTERM: the balancer takes this process out while it finishes its work (concord/api/drain.py).
        return JSONResponse({"status": "draining"}, status_code=503)
    if not centre.bus.connected:
        return JSONResponse({"status": "unavailable", "reason": "bus unreachable"}, status_code=503)
    try:
        centre.db.ping()
        current = migrate.is_current(centre.db)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    if not current:
        return JSONResponse({"status": "unavailable", "reason": "schema not migrated"}, status_code=503)
    degraded = centre.supervisor.degraded()
    if degraded:
        # A loop that is down or just failed (see concord/supervisor.py): say which, and why.
        tasks = [{"task": d.task, "reason": d.reason, "restarts": d.restarts, "running": d.running} for d in degraded]
        return JSONResponse({"status": "degraded", "tasks": tasks}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
