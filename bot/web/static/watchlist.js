// The Watchlist page: the YAML checked as you type (by the bot's own loader, on the server),
// each problem shown beside its line; the backtest started and followed until it is done.
// Everything from the server is put in the page as text (textContent), never as HTML.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const yaml = document.getElementById("yaml");
  if (!yaml) return;
  const gutter = document.getElementById("gutter");
  const notes = document.getElementById("line-notes");
  const status = document.getElementById("check");
  const list = document.getElementById("errors");
  const csrf = document.body.dataset.csrf;

  const post = (url, body) => fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });

  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  };

  // Line numbers and the problems beside their lines, kept aligned with the text.
  let problems = [];
  const draw = () => {
    const lines = yaml.value.split("\n").length;
    const byLine = new Map();
    for (const p of problems) {
      if (p.line > 0) byLine.set(p.line, (byLine.has(p.line) ? byLine.get(p.line) + "; " : "") + p.message);
    }
    gutter.replaceChildren();
    notes.replaceChildren();
    for (let n = 1; n <= lines; n++) {
      const number = el("div", n, byLine.has(n) ? "bad" : "");
      gutter.append(number);
      const note = el("div", byLine.get(n) || "");
      if (byLine.has(n)) {
        note.className = "line-error";
        note.dataset.line = String(n);
        note.title = byLine.get(n);
      }
      notes.append(note);
    }
    list.replaceChildren();
    for (const p of problems) {
      const item = el("li", (p.line > 0 ? "line " + p.line + ": " : "") + p.message, "problem");
      item.dataset.line = String(p.line);
      list.append(item);
    }
    sync();
  };
  const sync = () => {
    gutter.scrollTop = yaml.scrollTop;
    notes.scrollTop = yaml.scrollTop;
  };
  yaml.addEventListener("scroll", sync);

  let timer = null;
  let asked = 0;
  const check = async () => {
    const mine = ++asked;
    try {
      const response = await post("/watchlist/check", { text: yaml.value });
      if (mine !== asked) return; // an older answer: a newer check is on its way
      if (!response.ok) { status.textContent = "Could not check (" + response.status + ")."; return; }
      const answer = await response.json();
      problems = answer.errors || [];
      status.textContent = answer.ok ? "Valid: " + answer.summary + "." : problems.length + " problem(s).";
      status.className = answer.ok ? "status-ok" : "error";
      draw();
    } catch (err) {
      if (mine === asked) status.textContent = "Could not check: " + err;
    }
  };
  yaml.addEventListener("input", () => {
    draw();
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  for (const item of list.querySelectorAll("li[data-line]")) {
    problems.push({ line: Number(item.dataset.line), message: item.textContent.replace(/^line \d+: /, "") });
  }
  draw();

  // The backtest: start it, follow its progress, list what it found.
  const panel = document.getElementById("backtest-panel");
  const button = document.getElementById("backtest");
  const bar = document.getElementById("backtest-progress");
  const said = document.getElementById("backtest-status");
  const result = document.getElementById("backtest-result");

  const row = (entry) => {
    const tr = el("tr");
    const head = el("td");
    const title = entry.url ? el("a", entry.title) : el("strong", entry.title);
    if (entry.url) { title.href = entry.url; title.rel = "noreferrer noopener"; title.target = "_blank"; }
    title.classList.add("title");
    head.append(title, el("div", entry.feed + (entry.date ? " · " + entry.date : ""), "note"));
    const why = el("td");
    for (const m of entry.why) {
      const line = m.name + ": " + m.evidence.join(", ") + " (score " + m.score +
        (m.min_score !== null ? " ≥ " + m.min_score : "") + (m.in_title ? ", in the title" : "") + ")";
      why.append(el("div", line, "why"));
    }
    if (!entry.why.length) why.append(el("div", "recorded as alerting; the current items no longer match it", "why"));
    tr.append(head, why);
    return tr;
  };
  const fill = (id, entries, count, words) => {
    document.getElementById(id + "-head").textContent = words + ": " + count +
      (count > entries.length ? " (the first " + entries.length + " listed)" : "");
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren(...entries.map(row));
  };
  const show = (view) => {
    const r = view.result;
    document.getElementById("backtest-summary").textContent =
      "Would have alerted " + r.gained_count + " more and " + r.lost_count + " fewer of the " +
      r.articles + " articles seen in the last days (" + r.rematched + " read again, " +
      view.seconds + " s).";
    const changes = document.getElementById("backtest-changes");
    changes.replaceChildren(...r.changes.map((c) => el("li", c)));
    fill("gained", r.gained, r.gained_count, "Would alert");
    fill("lost", r.lost, r.lost_count, "Would no longer alert");
    result.hidden = false;
  };
  const follow = async (job) => {
    for (;;) {
      const response = await fetch("/watchlist/backtest/" + encodeURIComponent(job), { credentials: "same-origin" });
      if (!response.ok) { said.textContent = "The backtest was lost (" + response.status + ")."; break; }
      const view = await response.json();
      if (view.total) { bar.max = view.total; bar.value = view.done; }
      said.textContent = view.state === "running"
        ? "Reading articles: " + view.done + (view.total ? " of " + view.total : "") + "…"
        : view.state === "done" ? "Done." : view.error;
      if (view.state === "done") { bar.max = 1; bar.value = 1; show(view); break; }
      if (view.state !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    button.disabled = false;
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    panel.hidden = false;
    result.hidden = true;
    bar.removeAttribute("value");
    said.textContent = "Starting…";
    try {
      const response = await post("/watchlist/backtest", { text: yaml.value });
      const answer = await response.json();
      if (response.status === 400) {
        problems = answer.errors || [];
        draw();
        said.textContent = "Fix the problems first: the edit is not a valid watchlist.";
        button.disabled = false;
        return;
      }
      if (!response.ok) { said.textContent = answer.error || "Could not start (" + response.status + ")."; button.disabled = false; return; }
      await follow(answer.job);
    } catch (err) {
      said.textContent = "The backtest failed: " + err;
      button.disabled = false;
    }
  });
});
