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
/* --- staffpage: saved-reply picker (staff idea page, listening inbox) and merge search --- */
// Both work without JS (a GET form that re-renders the page); with JS they act in place.

function insertIntoBox(box, text) {
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  const before = box.value.slice(0, start);
  const after = box.value.slice(end);
  const gap = before && !before.endsWith("\n") ? "\n\n" : "";
  box.value = before + gap + text + after;
  const caret = (before + gap + text).length;
  box.focus();
  box.setSelectionRange(caret, caret);
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

// The idea page has one picker with an "Insert into" select; the listening inbox has one per
// reply box, naming its box in data-target.
function setupSavedReplyPicker(form) {
  const boxes = { answer: "answer-body", stage: "stage-note", note: "note-body" };
  const status = form.querySelector("[data-picker-status]");
  form.addEventListener("submit", async (event) => {
    const into = form.elements.into;
    const box = document.getElementById(form.dataset.target || (into && boxes[into.value]) || "");
    const id = form.elements.reply.value;
    if (!box || !/^\d+$/.test(id)) return; // let the server do it
    event.preventDefault();
    const url = form.dataset.textUrl.replace("999999999", id);
    try {
      const response = await fetch(url, { headers: { "Accept": "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const reply = await response.json();
      insertIntoBox(box, reply.body);
      if (status) status.textContent = reply.title;
    } catch (error) {
      form.submit(); // fall back to the page that pre-fills the box
    }
  });
}

function setupMergeSearch() {
  const form = document.querySelector("form[data-merge-search]");
  const results = document.querySelector("[data-merge-results]");
  const target = document.getElementById("merge-target");
  if (!form || !results || !target) return;
  const input = form.querySelector("input[name=merge_q]");
  let timer = null;
  let last = "";
  const show = (items) => {
    if (items.length === 0) {
      const none = document.createElement("p");
      none.className = "muted";
      none.textContent = results.dataset.textNone;
      results.replaceChildren(none);
      return;
    }
    const list = document.createElement("ul");
    list.className = "candidate-list";
    for (const item of items) {
      const li = document.createElement("li");
      const info = document.createElement("span");
      info.className = "candidate";
      const link = document.createElement("a");
      link.href = item.url;
      link.textContent = `#${item.id} ${item.title}`;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = ` ${item.stage} · ${item.votes}`;
      info.append(link, meta);
      const choose = document.createElement("button");
      choose.type = "button";
      choose.className = "button";
      choose.textContent = results.dataset.textChoose;
      choose.setAttribute("aria-label", `${results.dataset.textChoose}: #${item.id} ${item.title}`);
      choose.addEventListener("click", () => {
        target.value = String(item.id);
        const chosen = document.createElement("p");
        chosen.className = "merge-chosen";
        chosen.textContent = results.dataset.textChosen
          .replace("{id}", String(item.id)).replace("{title}", item.title);
        results.replaceChildren(chosen);
        target.focus();
      });
      li.append(info, choose);
      list.append(li);
    }
    results.replaceChildren(list);
  };
  const search = async () => {
    const q = input.value.trim();
    if (q === last) return;
    last = q;
    if (q.length < 2) { results.replaceChildren(); return; }
    const url = new URL(form.dataset.candidatesUrl, window.location.href);
    url.searchParams.set("q", q);
    try {
      const response = await fetch(url, { headers: { "Accept": "application/json" } });
      if (!response.ok) return;
      const body = await response.json();
      if (q !== input.value.trim()) return; // typed on meanwhile
      show(body.items);
    } catch (error) {
      // the search button still works without this
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    last = "";
    search();
  });
}

document.querySelectorAll("form[data-saved-reply-picker]").forEach(setupSavedReplyPicker);
setupMergeSearch();

/* --- claimsui: a page that answers a form far down (the profile's social section) --- */
// The server marks what the reader must see first: a one-time code just issued (focused, so
// a screen reader reads it and Tab goes on from it), or a form sent back with errors (its
// first invalid field is focused). Without JS the form's #anchor still scrolls there.
function focusOnLoad() {
  const target = document.querySelector("[data-focus-on-load]");
  if (!target) return;
  const field = target.matches("form") ? target.querySelector('[aria-invalid="true"]') : target;
  (field || target).focus();
}

// After "load": the browser's scroll to the #anchor comes first and would take focus back.
if (document.readyState === "complete") focusOnLoad();
else window.addEventListener("load", focusOnLoad, { once: true });

// Every enhancement above is in place. The script runs deferred, after the page is parsed:
// the browser tests wait for this mark before they type into a field that is enhanced.
document.documentElement.dataset.enhanced = "true";
