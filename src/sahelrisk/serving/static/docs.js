// Starts Swagger UI on /docs: a file of the app, since its Content-Security-Policy runs no inline script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("swagger-ui");
  if (element && window.SwaggerUIBundle) {
    window.SwaggerUIBundle({url: element.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true});
  }
});
