// Swagger UI over the spec this mock was built from, its requests sent to this mock (the page's
// own base: the parent of /_mock/) and authorised with the seed's first apikey and user.
"use strict";
(async () => {
  const config = JSON.parse(document.getElementById("page-config").textContent);
  const headers = config.namespace === "default" ? {} : {"X-Mock-Namespace": config.namespace};
  const spec = await (await fetch("openapi.json", {headers})).json();
  spec.servers = [{url: new URL("..", location.href).href.replace(/\/$/, ""), description: "this mock"}];
  const login = config.login;
  let ui = null;
  const authorize = () => {
    ui.preauthorizeApiKey("apikey", login.apikey);
    ui.preauthorizeBasic("basicAuth", login.email, login.password);
  };
  ui = SwaggerUIBundle({
    spec,
    dom_id: "#swagger-ui",
    validatorUrl: null,  // no badge fetched from the validator's site: works offline
    deepLinking: true,
    requestInterceptor: (req) => { Object.assign(req.headers, headers); return req; },
    // onComplete may run before SwaggerUIBundle returns: authorise once `ui` is set
    onComplete: () => setTimeout(authorize),
  });
  window.ui = ui;
})();
