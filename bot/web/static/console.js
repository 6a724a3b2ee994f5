// The console's shared script: no inline script is allowed (Content-Security-Policy), so
// behaviour is attached here. A page with more to do ships static/<page>.js of its own.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A form marked data-confirm asks before it changes something.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // A button that shows one of several panes (the Try page's Slack/Discord/terminal views).
  for (const tab of document.querySelectorAll("[data-pane]")) {
    tab.addEventListener("click", () => {
      const group = tab.closest("[data-tabs]");
      for (const other of group.querySelectorAll("[data-pane]")) {
        const pane = document.getElementById(other.dataset.pane);
        const on = other === tab;
        other.setAttribute("aria-selected", on ? "true" : "false");
        if (pane) pane.hidden = !on;
      }
    });
  }
  // Forms whose work takes a while say so, and are not sent twice.
  for (const form of document.querySelectorAll("form[data-busy]")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) {
        button.disabled = true;
        button.textContent = form.dataset.busy;
      }
    });
  }
});
