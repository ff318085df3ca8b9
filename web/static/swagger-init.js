/* Starts Swagger UI on the API docs page (web/templates/swagger_ui.html): the page names the OpenAPI document
   and flask-smorest's OPENAPI_SWAGGER_UI_CONFIG in data attributes, as no inline script may run there. */
"use strict";

window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = {
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    validatorUrl: null  // no badge fetched from validator.swagger.io: the docs stay offline, as the CSP wants
  };
  var extra = JSON.parse(container.dataset.config || "{}");
  Object.keys(extra).forEach(function (name) { config[name] = extra[name]; });
  window.ui = SwaggerUIBundle(config);
});
