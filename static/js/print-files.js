// The print files' progress bars in the console: each asks its status endpoint every second and
// reloads the page once the files are built (or the build failed), which then shows the links or
// the error. No inline script (CSP).
(function () {
  "use strict";
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function watch(box) {
    var bar = box.querySelector("progress");
    var status = box.querySelector(".print-files-status");
    var count = box.querySelector(".print-files-count");

    function show(progress) {
      bar.max = progress.files_total || 1;
      bar.value = progress.files_done;
      bar.textContent = progress.percent + " %";
      status.textContent = progress.status_text;
      count.textContent = count.dataset.template
        .replace("__done__", format.format(progress.files_done))
        .replace("__total__", format.format(progress.files_total));
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
  }

  document.querySelectorAll('.print-files[data-busy="true"]').forEach(watch);
})();
