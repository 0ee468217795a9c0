// The program pages of the back office: the live example beside a program's form (asked of the
// server, which computes it with the rule the bookings use), and a bonus action's form showing
// the fields of the chosen kind only.
"use strict";

(function () {
  const form = document.querySelector("form[data-example-url]");
  if (form) {
    const list = document.getElementById("program-example");
    let timer = null;
    let asked = 0;

    async function ask() {
      const mine = ++asked;
      const query = new URLSearchParams(new FormData(form));
      query.delete("csrfmiddlewaretoken");
      let answer;
      try {
        const response = await fetch(`${form.dataset.exampleUrl}?${query}`, {
          headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        if (!response.ok) return;
        answer = await response.json();
      } catch (error) {
        return; // offline: the example stays as it was
      }
      if (mine !== asked) return; // a later question is on its way
      list.classList.toggle("stale", !answer.valid);
      if (!answer.valid) return;
      list.replaceChildren(...answer.lines.map((line) => {
        const item = document.createElement("li");
        item.textContent = line;
        return item;
      }));
    }

    function soon() {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    }
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
  }

  const byKind = document.querySelectorAll("[data-kinds]");
  const kinds = document.querySelectorAll("input[name=kind]");
  if (byKind.length && kinds.length) {
    function show() {
      const chosen = document.querySelector("input[name=kind]:checked");
      byKind.forEach((element) => {
        element.hidden = Boolean(chosen) && !element.dataset.kinds.split(" ").includes(chosen.value);
      });
    }
    kinds.forEach((input) => input.addEventListener("change", show));
    show();
  }
})();
