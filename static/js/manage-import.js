// The import's progress bar: asks the status endpoint every second and reloads the page, which
// then shows the result, once the import has finished. No inline script (CSP).
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "true") return;
  var bar = document.getElementById("import-bar");
  var status = document.getElementById("import-status");
  var rows = document.getElementById("import-rows");
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function show(progress) {
    bar.max = progress.rows_total || 1;
    bar.value = progress.rows_done;
    bar.textContent = progress.percent + " %";
    status.textContent = progress.status_text;
    rows.textContent = rows.dataset.template
      .replace("__done__", format.format(progress.rows_done))
      .replace("__total__", format.format(progress.rows_total));
  }

  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (progress) show(progress);
        if (progress && progress.finished) window.location.reload();
        else window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 500);
})();
