"""The app factory: the one place where settings become a running HTTP application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from concord import __version__, collector
from concord.api import errors, routers
from concord.api import map_data as map_data_api
from concord.api import messages as messages_api
from concord.api.drain import Drain
from concord.api.middleware import BodyLimit, InputLimits, Metrics, RequestContext, SecurityHeaders
from concord.api.web import mount_web
from concord.centre import Centre, StartupError
from concord.cot.metrics import CotCollector
from concord.services import validation_pool
from concord.services.federation import PeerCollector
from concord.services.follow import FollowerCollector
from concord.settings import Settings
from concord.supervisor import SupervisorCollector
from concord.taxii import server as taxii_server

log = logging.getLogger("concord.app")


def create_app(settings: Settings | None = None, *, centre: Centre | None = None) -> FastAPI:
    """Build an app. Pass `centre` to share one (tests, the demo); otherwise one is built from settings."""
    settings = settings or (centre.settings if centre else Settings())
    owned = centre is None
    the_centre = centre or Centre(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await the_centre.start()
        except StartupError as exc:
            log.critical("the centre cannot start: %s", exc)  # one clear line, before the traceback
            raise
        try:
            yield
        finally:
            await the_centre.stop()
            if owned:
                the_centre.close()

    app = FastAPI(
        title="Concord",
        version=__version__,
        description="Joint security coordination centre API.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # concord/api/docs.py: Swagger UI from a package, behind sign-in
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.centre = the_centre
    app.state.drain = Drain()  # set going by `concord serve`'s server on SIGTERM (concord/api/drain.py)
    app.state.metrics = Metrics()
    app.state.metrics.registry.register(CotCollector(the_centre.cot.listener))
    app.state.metrics.registry.register(SupervisorCollector(the_centre.supervisor))
    app.state.metrics.registry.register(FollowerCollector(the_centre.followers))
    app.state.metrics.registry.register(PeerCollector(the_centre.federation))
    errors.install(app)
    for router in routers():
        app.include_router(router, responses=errors.ERROR_RESPONSES)
    app.include_router(taxii_server.router)  # TAXII 2.1 renders its own errors (§3.6.1)
    mount_web(app, tile_origins=the_centre.map_data.tile_origins)
    app.add_middleware(InputLimits)
    app.add_middleware(RequestContext, metrics=app.state.metrics, log_access=settings.log_access)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    # A message with attachments may carry each file at its limit, plus the message and form framing.
    with_files = settings.attachment_max_bytes * settings.attachment_max_count + 1024 * 1024
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, exempt=("/taxii2/",),
                       wider=((messages_api.WITH_ATTACHMENTS, max(with_files, settings.max_body_bytes)),
                              (map_data_api.UPLOAD, max(settings.map_data_max_bytes + 1024 * 1024,
                                                        settings.max_body_bytes))))
    if settings.trusted_proxies:
        # Outermost: X-Forwarded-For is believed only from the proxies named here, so the sign-in
        # throttle sees each client's own address, and no client can claim another's.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


def app_from_environment() -> FastAPI:
    """Uvicorn factory for `concord serve` (settings read once, here, at start-up). The modules,
    routes and services built here live as long as the process: the collector settles around them
    (concord/collector.py)."""
    settings = Settings()
    app = create_app(settings)
    if settings.intel_validation_worker:
        validation_pool.warm()
    collector.settle_served_process()
    return app
