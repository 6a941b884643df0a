// Starts Swagger UI on /api/docs (a file, not an inline script: the page's CSP allows no inline script).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Requests from "Try it out" carry the session cookie; state changes also need the CSRF token.
    requestInterceptor: function (request) {
      var match = document.cookie.match(/(?:^|; )concord_csrf=([^;]+)/);
      if (match) request.headers["X-CSRF-Token"] = decodeURIComponent(match[1]);
      return request;
    },
  });
});
