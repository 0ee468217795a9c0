/* The till: scan or type a card number, book with one amount field and one button per action,
   and never lose or double a booking when the network fails (a retry sends the same
   idempotency key, so the server books it once). Plain JavaScript, no build step. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("till-config").textContent);
  const texts = config.texts;
  const byId = (id) => document.getElementById(id);
  const cardInput = byId("card-number");
  const amountInput = byId("amount");
  const statusLine = byId("till-status");
  const resultBox = byId("result");
  const cardBox = byId("card");
  const registerForm = byId("register");

  // Waits before the 2nd, 3rd, … attempt; after the last one the cashier sends it again by hand.
  const RETRY_DELAYS = [1000, 2000, 4000, 8000];
  const TIMEOUT = 10000;

  let card = null; // the card on screen, as the server last described it
  let busy = false; // a booking is on its way: no second one meanwhile
  let shown = 0; // counts the cards put on screen, so that a late refresh never shows an old one

  function idempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Not a secure context (plain http on a LAN): a random version-4 UUID all the same.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (name === "dataset") Object.assign(node.dataset, value);
      else if (name === "onclick") node.addEventListener("click", value);
      else node[name] = value;
    });
    children.forEach((child) => node.append(child));
    return node;
  }

  function setStatus(text, ...controls) {
    statusLine.replaceChildren(text, ...controls);
    statusLine.className = text ? "till-status warning" : "till-status";
  }

  // One attempt; resolves to {status, data}, rejects on network errors and timeouts.
  async function send(method, url, body, key) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT);
    const headers = { Accept: "application/json", "X-CSRFToken": config.csrf };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    try {
      const response = await fetch(url, {
        method, headers, credentials: "same-origin", signal: controller.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      return { status: response.status, data };
    } finally {
      clearTimeout(timer);
    }
  }

  // Attempts until an answer below 500 arrives; null when the network stays away.
  async function request(method, url, body, key) {
    for (let attempt = 0; ; attempt += 1) {
      let answer = null;
      try {
        answer = await send(method, url, body, key);
      } catch (error) {
        answer = null;
      }
      if (answer && answer.status < 500) {
        setStatus("");
        return answer;
      }
      if (attempt >= RETRY_DELAYS.length) return null;
      setStatus(texts.retrying);
      await sleep(RETRY_DELAYS[attempt]);
    }
  }

  // The answer's data, or null after showing why it was refused.
  function accepted(answer) {
    if (answer.status === 401) {
      window.location.assign(config.urls.login);
      return null;
    }
    if (answer.status >= 400) {
      showError(answer.data.message || texts.error);
      return null;
    }
    return answer.data;
  }

  function showError(message) {
    resultBox.replaceChildren(element("p", { className: "till-headline", textContent: message }));
    resultBox.className = "till-result failed";
    resultBox.hidden = false;
  }

  function showResult(result) {
    resultBox.replaceChildren(
      element("p", { className: "till-headline", textContent: result.headline }),
      ...result.balances.map((line) => element("p", { className: "till-balance" },
        `${line.program}: `, element("strong", { textContent: line.balance_text }))),
      ...result.reached.map((text) => element("p", { className: "till-reached", textContent: text })),
    );
    resultBox.className = "till-result ok";
    resultBox.hidden = false;
  }

  function actionsOf(data) {
    return data.programs.flatMap((program) => program.actions);
  }

  function showCard(data) {
    shown += 1;
    card = data;
    cardBox.dataset.cardNumber = data.number;
    byId("card-holder").textContent = data.first_name || texts.anonymous;
    byId("card-shown-number").textContent = data.number;
    const state = byId("card-state");
    state.hidden = data.status === "active";
    state.textContent = data.status_text;

    const actions = actionsOf(data);
    byId("amount-row").hidden = !actions.some((action) => action.amount_field);
    byId("programs").replaceChildren(...data.programs.map((program) => element("div", { className: "till-program" },
      element("h3", { textContent: program.name }),
      element("p", { className: "till-program-balance", textContent: program.balance_text }),
      program.claim_text ? element("p", { className: "till-program-claim", textContent: program.claim_text }) : "",
      element("div", { className: "till-actions" }, ...program.actions.map((action) => element("button", {
        type: "button", textContent: action.label, className: action.primary ? "primary" : "",
        dataset: { action: action.action }, onclick: () => book(action),
      }))),
    )));

    registerForm.hidden = !data.can_register;
    const bookings = byId("bookings");
    if (!data.bookings.length) {
      bookings.replaceChildren(element("li", { className: "muted", textContent: texts.no_bookings }));
    } else {
      bookings.replaceChildren(...data.bookings.map((booking) => element("li", {},
        element("span", { className: "till-booking-time", textContent: booking.time }), " ",
        element("span", { textContent: [booking.kind, booking.purchase, booking.change].filter(Boolean).join(" · ") }),
        booking.reversed ? element("em", { textContent: ` (${texts.reversed})` }) : "",
        booking.reversible ? element("button", {
          type: "button", className: "link", textContent: texts.reverse, dataset: { booking: booking.id },
          onclick: () => reverse(booking.id),
        }) : "",
      )));
    }
    cardBox.hidden = false;
  }

  async function lookUp(number) {
    number = number.trim();
    if (!number) return;
    shown += 1; // a refresh still on its way is out of date now
    const answer = await request("GET", `${config.urls.card}${encodeURIComponent(number)}/`);
    cardInput.value = "";
    if (!answer) {
      showError(texts.offline);
      cardInput.focus();
      return;
    }
    const data = accepted(answer);
    if (!data) {
      cardBox.hidden = true;
      card = null;
      cardInput.focus();
      return;
    }
    resultBox.hidden = true;
    amountInput.value = "";
    showCard(data);
    // The next step: the amount, or the holder's name for a card to hand out.
    if (!byId("amount-row").hidden) amountInput.focus();
    else if (data.can_register) byId("register-first-name").focus();
    else cardInput.focus();
  }

  // After a booking: the card's buttons and last bookings as they are now; the result stays.
  // Not waited for: if the next card is scanned meanwhile, this answer is dropped.
  async function refreshCard(number) {
    const before = shown;
    const answer = await request("GET", `${config.urls.card}${encodeURIComponent(number)}/`);
    if (answer && answer.status === 200 && shown === before) showCard(answer.data);
  }

  // "12", "12,5", "12.50" → {cents}; otherwise {problem}, the text that says what is wrong.
  function cents(text) {
    text = text.trim();
    if (!text) return { problem: texts.amount_missing };
    if (/^[-−]/.test(text)) return { problem: texts.amount_negative };
    const match = /^(\d+)(?:[.,](\d{1,2}))?$/.exec(text);
    if (!match) return { problem: texts.amount_malformed };
    if (match[1].length > 6) return { problem: texts.amount_too_large };
    const value = Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
    return value > 0 ? { cents: value } : { problem: texts.amount_zero };
  }

  function book(action) {
    if (busy || !card) return;
    const body = Object.assign({ card_number: card.number }, action.payload);
    if (action.amount_field) {
      const amount = cents(amountInput.value);
      if (amount.problem) {
        showError(amount.problem);
        amountInput.focus();
        return;
      }
      body[action.amount_field] = amount.cents;
    }
    submit({ action: action.action, body, key: idempotencyKey() });
  }

  function reverse(bookingId) {
    if (busy || !window.confirm(texts.confirm_reverse)) return;
    submit({ action: "reversal", body: { booking_id: bookingId }, key: idempotencyKey() });
  }

  // A booking, retried with its one key until the server answers; if it never does, the cashier
  // may send it again (still the same key) or discard it.
  async function submit(booking) {
    busy = true;
    cardBox.classList.add("busy");
    try {
      const answer = await request("POST", `${config.urls.book}${booking.action}/`, booking.body, booking.key);
      if (!answer) {
        const again = element("button", { type: "button", textContent: texts.resend, onclick: () => submit(booking) });
        const discard = element("button", { type: "button", className: "link", textContent: texts.discard, onclick: () => setStatus("") });
        setStatus(`${texts.not_confirmed} `, again, " ", discard);
        again.focus();
        return;
      }
      const result = accepted(answer);
      cardInput.focus(); // ready for the next customer
      if (result) {
        amountInput.value = "";
        showResult(result);
        // The buttons and the last bookings as they are now, under the result.
        refreshCard(result.card_number);
      }
    } finally {
      busy = false;
      cardBox.classList.remove("busy");
    }
  }

  byId("scan").addEventListener("submit", (event) => {
    event.preventDefault();
    lookUp(cardInput.value);
  });

  // Enter in the amount field books the primary action (a purchase earns points).
  byId("book").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = amountInput.value.trim();
    if (/^\d{13}$/.test(typed)) {
      // A scanner typed the next card into the amount field: that is a look-up, not 100 billion €.
      amountInput.value = "";
      lookUp(typed);
      return;
    }
    const primary = card && actionsOf(card).find((action) => action.primary);
    if (primary) book(primary);
  });

  registerForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || !card) return;
    busy = true;
    const body = {
      first_name: byId("register-first-name").value,
      email: byId("register-email").value,
      consent: byId("register-consent").checked,
    };
    try {
      // Once only: a card is handed out once, a repeat would only be refused.
      const answer = await send("POST", `${config.urls.card}${encodeURIComponent(card.number)}/register/`, body)
        .catch(() => null);
      if (!answer || answer.status >= 500) {
        showError(texts.offline);
        return;
      }
      const data = accepted(answer);
      if (data) {
        registerForm.reset();
        showCard(data);
        resultBox.replaceChildren(element("p", { className: "till-headline", textContent: texts.registered }));
        resultBox.className = "till-result ok";
        resultBox.hidden = false;
        cardInput.focus();
      }
    } finally {
      busy = false;
    }
  });

  cardInput.focus();
})();
