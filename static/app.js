// keyconsole's only script: loaded from our own origin (the CSP allows no
// inline script). The console works without it; htmx and this enhance it.
(function () {
  "use strict";

  // htmx sends the CSRF token of the page with every request it makes.
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      evt.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });
})();
