// Progress bars of background jobs (a cardholder import, a print order's files): each box with
// data-progress-url asks that status endpoint every second, shows what it answers, and reloads the
// page once the job has finished, which then shows the result. No inline script (CSP).
//
// The box: data-progress-url, data-done-key and data-total-key (the answer's fields to count by);
// inside it a <progress>, an element with data-progress-status (the status in words) and one with
// data-progress-count whose data-template has __done__ and __total__.
(function () {
  "use strict";
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function watch(box) {
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-progress-status]");
    var count = box.querySelector("[data-progress-count]");
    var doneKey = box.dataset.doneKey, totalKey = box.dataset.totalKey;

    function show(progress) {
      bar.max = progress[totalKey] || 1;
      bar.value = progress[doneKey];
      bar.textContent = progress.percent + " %";
      status.textContent = progress.status_text;
      count.textContent = count.dataset.template
        .replace("__done__", format.format(progress[doneKey]))
        .replace("__total__", format.format(progress[totalKey]));
    }

    function poll() {
      fetch(box.dataset.progressUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
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

  document.querySelectorAll('[data-progress-url][data-finished="false"]').forEach(watch);
})();
