// The program pages of the back office: the live example beside a program's form (asked of the
// server, which computes it with the rule the bookings use), and fields shown only with the choice
// they belong to.
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

  // A field marked data-shown-when="expiry=rolling_months year_end" is shown only while the
  // form's field `expiry` has one of these values (without JavaScript every field shows).
  document.querySelectorAll("[data-shown-when]").forEach((input) => {
    const [name, values] = input.dataset.shownWhen.split("=");
    const field = input.closest(".field");
    const controls = input.form.querySelectorAll(`[name="${name}"]`);
    function show() {
      const control = [...controls].find((element) => element.type !== "radio" || element.checked);
      field.hidden = Boolean(control) && !values.split(" ").includes(control.value);
    }
    controls.forEach((control) => control.addEventListener("change", show));
    show();
  });
})();
