// IdeaBoard: progressive enhancement only. Every form here also works without JavaScript.
"use strict";

function setupVoting() {
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-vote-form]")) return;
    const button = event.submitter;
    if (!button || button.name !== "value") return;
    event.preventDefault();
    if (form.classList.contains("busy")) return;
    const data = new FormData(form);
    data.set("value", button.value);
    form.classList.add("busy");
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (response.status === 401) {
        const next = window.location.pathname + window.location.search;
        window.location.href = "/login?next=" + encodeURIComponent(next);
        return;
      }
      const body = await response.json();
      if (!response.ok) {
        alert(body.error ? body.error.message : response.statusText);
        return;
      }
      updateVoteForm(form, body);
    } catch (error) {
      form.submit(); // network trouble: fall back to the plain form post
    } finally {
      form.classList.remove("busy");
      form.removeAttribute("aria-busy");
    }
  });
}

function updateVoteForm(form, tally) {
  // The same grouping as the server's format_number for the page's language (1,234).
  const number = new Intl.NumberFormat(document.documentElement.lang || undefined);
  form.querySelector("[data-score-value]").textContent = number.format(tally.score);
  form.querySelector("[data-up]").textContent = number.format(tally.up);
  form.querySelector("[data-down]").textContent = number.format(tally.down);
  for (const button of form.querySelectorAll("button[data-direction]")) {
    const direction = Number(button.dataset.direction);
    const pressed = tally.my_vote === direction;
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    button.value = pressed ? "0" : String(direction);
    const title = pressed ? button.dataset.titleWithdraw : button.dataset.titleVote;
    if (title) button.title = title;
  }
}

function setupSimilarIdeas() {
  const form = document.querySelector("form[data-similar-url]");
  if (!form) return;
  const input = form.querySelector("input[name=title]");
  const box = document.getElementById("similar");
  const list = box.querySelector("[data-similar-list]");
  let timer = null;
  let last = "";
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const title = input.value.trim();
      if (title === last) return;
      last = title;
      if (title.length < 2) { box.hidden = true; return; }
      const url = new URL(form.dataset.similarUrl, window.location.href);
      url.searchParams.set("title", title);
      try {
        const response = await fetch(url, { headers: { "Accept": "application/json" } });
        if (!response.ok) return;
        const body = await response.json();
        if (title !== input.value.trim()) return; // the user typed on meanwhile
        list.replaceChildren(...body.items.map((item) => {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = item.url;
          a.textContent = item.title;
          li.append(a, ` — ${item.stage} · ${item.score}`);
          return li;
        }));
        box.hidden = body.items.length === 0;
      } catch (error) {
        box.hidden = true;
      }
    }, 250);
  });
}

setupVoting();
setupSimilarIdeas();

/* --- owncontent: the back button never shows a stale vote --- */
// Signed-in pages are sent with Cache-Control: no-store, so browsers do not keep them in the
// back/forward cache; should one still restore such a page (a browser that caches no-store
// pages), load it afresh: its votes and follows may have changed since.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && document.querySelector("form[action$='/logout']")) {
    window.location.reload();
  }
});
