/* The till: scan or type a card number, book with one amount field and one button per action,
   and never lose or double a booking when the network fails (a retry sends the same
   idempotency key, so the server books it once; a booking not confirmed yet is kept in the
   browser's storage and sent again after a reload). Plain JavaScript, no build step. */
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
  // A booking kept from before a reload is tried again this often until the server answers.
  const PENDING_RETRY = 3000;
  const PENDING = "stammkunde.till.pending";
  const euros = new Intl.NumberFormat(config.language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

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
  const money = (cents) => `${euros.format(cents / 100)} €`;
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => values[name]);

  // Bookings sent but not confirmed by the server yet: {action, body, key, card, label}, kept
  // from before the first attempt until a definitive answer, so that a reload loses none.
  function pendingAll() {
    try {
      return JSON.parse(window.localStorage.getItem(PENDING)) || [];
    } catch (error) {
      return [];
    }
  }

  function pendingStore(bookings) {
    try {
      if (bookings.length) window.localStorage.setItem(PENDING, JSON.stringify(bookings));
      else window.localStorage.removeItem(PENDING);
    } catch (error) {
      // Storage refused (private mode, full): the booking is still retried while the page lives.
    }
  }

  const pendingKeep = (booking) => pendingStore([...pendingAll().filter((b) => b.key !== booking.key), booking]);
  const pendingDone = (booking) => pendingStore(pendingAll().filter((b) => b.key !== booking.key));

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

  // Above the owner's plausibility limit: the amount, and the same booking again on "yes".
  function askToConfirm(booking, message) {
    const yes = element("button", {
      type: "button", id: "confirm-yes", className: "primary", textContent: texts.confirm_yes,
      onclick: () => submit(Object.assign({}, booking, { body: Object.assign({}, booking.body, { confirmed: true }) })),
    });
    const no = element("button", {
      type: "button", id: "confirm-no", textContent: texts.confirm_no,
      onclick: () => { resultBox.hidden = true; amountInput.focus(); },
    });
    resultBox.replaceChildren(element("p", { className: "till-headline", textContent: message }),
      element("div", { className: "till-actions" }, yes, no));
    resultBox.className = "till-result ask";
    resultBox.hidden = false;
    yes.focus();
  }

  function showResult(result) {
    resultBox.replaceChildren(
      element("p", { className: "till-headline", textContent: result.headline }),
      ...result.balances.map((line) => element("p", { className: "till-balance" },
        `${line.program}: `, element("strong", { textContent: line.balance_text }))),
      ...result.reached.map((text) => element("p", { className: "till-reached", textContent: text })),
      ...(result.notes || []).map((text) => element("p", { className: "till-note", textContent: text })),
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
        booking.returnable ? element("button", {
          type: "button", className: "link return", textContent: texts.return, dataset: { returnSale: booking.id },
          onclick: (event) => openReturn(event.target.closest("li"), booking),
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
    if (action.voucher) {
      openVoucherSale(action);
      return;
    }
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
    const label = [action.label, body[action.amount_field] ? money(body[action.amount_field]) : ""];
    submit(booking(action.action, body, label));
  }

  // A booking to send: what, under which key, and how the till names it while it waits.
  function booking(action, body, label) {
    const number = body.card_number || (card && card.number) || "";
    return { action, body, key: idempotencyKey(), card: number, staff: config.staff,
      label: [...label, number].filter(Boolean).join(" · ") };
  }

  function reverse(bookingId) {
    if (busy || !window.confirm(texts.confirm_reverse)) return;
    submit(booking("reversal", { booking_id: bookingId }, [texts.reverse]));
  }

  // The return of a sale from the last bookings: the amount returned, prefilled with what is left.
  function openReturn(line, sale) {
    if (busy || line.querySelector("form")) return;
    const input = element("input", { type: "text", id: "return-amount", inputMode: "decimal", autocomplete: "off",
      value: sale.return_left });
    const form = element("form", { className: "till-return", autocomplete: "off" },
      element("label", { htmlFor: "return-amount", textContent: texts.return_amount }),
      element("div", { className: "till-row" }, input,
        element("button", { type: "submit", className: "primary", textContent: texts.return_book }),
        element("button", { type: "button", className: "link", textContent: texts.cancel, onclick: () => form.remove() })));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const amount = cents(input.value);
      if (amount.problem) {
        showError(amount.problem);
        input.focus();
        return;
      }
      submit(booking("return", { sale_id: sale.id, return_amount_cents: amount.cents },
        [texts.return, money(amount.cents)]));
    });
    line.append(form);
    input.select();
    input.focus();
  }

  // Selling a gift voucher: a value (a preset or typed), then a confirmation with what the
  // customer gets, then the booking.
  function openVoucherSale(action) {
    const panel = byId("voucher-sale");
    const terms = action.voucher;
    const typed = element("input", { type: "text", id: "voucher-amount", inputMode: "decimal", autocomplete: "off",
      value: amountInput.value, placeholder: "25,00" });
    const close = () => { panel.hidden = true; panel.replaceChildren(); cardInput.focus(); };
    const chosen = (value) => confirmVoucherSale(action, value, close);
    const other = element("form", { className: "till-row", autocomplete: "off" }, typed,
      element("button", { type: "submit", textContent: texts.next }));
    other.addEventListener("submit", (event) => {
      event.preventDefault();
      const amount = cents(typed.value);
      if (amount.problem) {
        showError(amount.problem);
        typed.focus();
        return;
      }
      chosen(amount.cents);
    });
    panel.replaceChildren(
      element("h3", { textContent: action.label }),
      element("div", { className: "till-actions" }, ...terms.presets.map((preset) => element("button", {
        type: "button", textContent: preset.text, dataset: { preset: preset.cents }, onclick: () => chosen(preset.cents),
      }))),
      element("label", { htmlFor: "voucher-amount", textContent: texts.voucher_other }),
      other,
      element("button", { type: "button", className: "link", textContent: texts.cancel, onclick: close }),
    );
    panel.hidden = false;
    if (!terms.presets.length || typed.value) typed.focus();
    else panel.querySelector("button").focus();
  }

  function confirmVoucherSale(action, value, close) {
    const panel = byId("voucher-sale");
    const terms = action.voucher;
    const sell = element("button", {
      type: "button", id: "voucher-confirm", className: "primary", textContent: texts.voucher_sell,
      onclick: () => {
        const body = Object.assign({ card_number: card.number }, action.payload, { amount_cents: value });
        close();
        submit(booking(action.action, body, [action.label, money(value)]));
      },
    });
    panel.replaceChildren(
      element("h3", { textContent: action.label }),
      element("p", { className: "till-voucher-value", textContent: fill(texts.voucher_value, { amount: money(value) }) }),
      terms.valid_until ? element("p", { textContent: fill(texts.valid_until, { date: terms.valid_until }) }) : "",
      element("p", { className: "till-voucher-purpose", textContent: terms.purpose }),
      element("div", { className: "till-actions" }, sell,
        element("button", { type: "button", textContent: texts.back, onclick: () => openVoucherSale(action) }),
        element("button", { type: "button", className: "link", textContent: texts.cancel, onclick: close })),
    );
    sell.focus();
  }

  // A booking, retried with its one key until the server answers; if it never does, the cashier
  // may send it again (still the same key) or discard it.
  async function submit(booking) {
    busy = true;
    cardBox.classList.add("busy");
    pendingKeep(booking); // before it leaves: a reload from now on sends it again
    try {
      const answer = await request("POST", `${config.urls.book}${booking.action}/`, booking.body, booking.key);
      if (!answer) {
        const again = element("button", { type: "button", textContent: texts.resend, onclick: () => submit(booking) });
        setStatus(`${texts.not_confirmed} `, again, " ", discardButton(booking));
        again.focus();
        return;
      }
      answered(booking, answer);
    } finally {
      busy = false;
      cardBox.classList.remove("busy");
    }
  }

  function discardButton(booking) {
    return element("button", { type: "button", className: "link", textContent: texts.discard,
      onclick: () => { pendingDone(booking); setStatus(""); } });
  }

  // The server's answer to a booking: booked, refused, or asking to confirm the amount. Only a
  // sign-in that ran out leaves it waiting: it is sent again once someone is signed in.
  function answered(booking, answer) {
    if (answer.status !== 401) pendingDone(booking);
    if (answer.status === 409 && answer.data.code === "confirmation_required") {
      askToConfirm(booking, answer.data.message);
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
  }

  // After a reload: the bookings that were on their way, sent again with their keys until the
  // server answers, one after the other.
  // Only the signed-in person's own: a booking someone else began waits until they sign in here
  // again (or is discarded), so that it is never booked under another name.
  async function resendPending() {
    for (;;) {
      const all = pendingAll();
      const waiting = all.filter((booking) => booking.staff === config.staff);
      const others = all.filter((booking) => booking.staff !== config.staff);
      if (!waiting.length) {
        if (others.length) {
          setStatus(`${texts.pending_other} ${others[0].label}`, " ", discardButton(others[0]));
        }
        return;
      }
      const booking = waiting[0];
      setStatus(`${texts.pending} ${booking.label}`, " ", discardButton(booking));
      let answer = null;
      try {
        answer = await send("POST", `${config.urls.book}${booking.action}/`, booking.body, booking.key);
      } catch (error) {
        answer = null;
      }
      if (!answer || answer.status >= 500) {
        await sleep(PENDING_RETRY);
        continue;
      }
      setStatus("");
      answered(booking, answer);
      if (answer.status === 401) return;
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
        // The purchase the card was handed out with is booked next.
        (byId("amount-row").hidden ? cardInput : amountInput).focus();
      }
    } finally {
      busy = false;
    }
  });

  cardInput.focus();
  resendPending();
})();
