// Reviewer queue: keyboard shortcuts, selection and the portal-token exchange. No inline script
// (the console's CSP allows only this file); every button also works with the mouse and without it.
"use strict";

(function () {
  function cards() { return Array.from(document.querySelectorAll("article.proposal")); }

  function current() {
    const active = document.activeElement;
    return active ? active.closest("article.proposal") : null;
  }

  function focusCard(card) {
    if (!card) return;
    card.focus();
    card.scrollIntoView({block: "nearest"});
  }

  function move(step) {
    const all = cards();
    if (!all.length) return;
    const index = all.indexOf(current());
    const next = index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
    focusCard(all[next]);
  }

  function lockForms() {
    // one click is one decision: once a form is sent its buttons stay disabled (the server also locks)
    document.querySelectorAll("form.actions, form.edit-form, form#bulk").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
        const submitter = event.submitter;
        if (submitter && submitter.name) {  // keep the pressed button's value once buttons are disabled
          const hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = submitter.name; hidden.value = submitter.value;
          form.appendChild(hidden);
        }
        setTimeout(function () {
          form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
          document.querySelectorAll('button[form="' + form.id + '"]').forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
  }

  function updateSelection() {
    const picks = Array.from(document.querySelectorAll("input.pick"));
    const chosen = picks.filter(function (p) { return p.checked; }).length;
    const count = document.getElementById("selected-count");
    if (count) count.textContent = chosen + " selected";
    ["bulk-approve", "bulk-reject"].forEach(function (id) {
      const button = document.getElementById(id);
      if (button) button.disabled = chosen === 0;
    });
    const all = document.getElementById("select-all");
    if (all) { all.checked = picks.length > 0 && chosen === picks.length; all.indeterminate = chosen > 0 && chosen < picks.length; }
    cards().forEach(function (card) {
      const pick = card.querySelector("input.pick");
      card.classList.toggle("selected", !!(pick && pick.checked));
    });
  }

  function openEditor(card) {
    const form = card.querySelector("form.edit-form");
    const toggle = card.querySelector("button.edit");
    if (!form) return;
    form.hidden = false;
    if (toggle) toggle.setAttribute("aria-expanded", "true");
    const first = form.querySelector("select");
    if (first) first.focus();
  }

  function closeEditor(card) {
    const form = card.querySelector("form.edit-form");
    const toggle = card.querySelector("button.edit");
    if (!form || form.hidden) return false;
    form.hidden = true;
    if (toggle) toggle.setAttribute("aria-expanded", "false");
    focusCard(card);
    return true;
  }

  function filterNested(form) {
    // sub-categories under the chosen category, items under the chosen sub-category
    const category = form.querySelector('select[data-field="category"]');
    const sub = form.querySelector('select[data-field="sub_category"]');
    const item = form.querySelector('select[data-field="item_category"]');
    function limit(select, parent) {
      if (!select) return;
      select.querySelectorAll("optgroup").forEach(function (group) {
        const keep = !parent || group.dataset.parent === parent;
        group.hidden = !keep;
        group.disabled = !keep;
      });
      const chosen = select.selectedOptions[0];
      if (chosen && chosen.parentElement && chosen.parentElement.disabled) select.value = "";
    }
    const c = category ? category.value : "";
    limit(sub, c);
    limit(item, c && sub && sub.value ? c + " / " + sub.value : "");
  }

  function toggleHelp() {
    const help = document.getElementById("help");
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }

  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].indexOf(target.tagName) >= 0);
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const help = document.getElementById("help");
    if (event.key === "Escape") {
      const card = current();
      if (card && closeEditor(card)) event.preventDefault();
      return;
    }
    if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (typing(event.target) || (help && help.open)) return;
    const card = current();
    const click = function (selector) { const b = card && card.querySelector(selector); if (b && !b.disabled) b.click(); };
    switch (event.key) {
      case "j": event.preventDefault(); move(1); break;
      case "k": event.preventDefault(); move(-1); break;
      case "a": event.preventDefault(); click("form.actions button.approve"); break;
      case "r": event.preventDefault(); click("form.actions button.reject"); break;
      case "e": if (card) { event.preventDefault(); openEditor(card); } break;
      case "x":
        if (card) {
          event.preventDefault();
          const pick = card.querySelector("input.pick");
          if (pick) { pick.checked = !pick.checked; updateSelection(); }
        }
        break;
      case "A": { event.preventDefault(); const b = document.getElementById("bulk-approve"); if (b && !b.disabled) b.click(); break; }
      case "R": { event.preventDefault(); const b = document.getElementById("bulk-reject"); if (b && !b.disabled) b.click(); break; }
      default: break;
    }
  }

  function exchangeToken() {
    // a portal link ends "#token=<portal token>": the fragment never reaches a server log
    const box = document.querySelector("[data-token-exchange]");
    const match = /[#&]token=([^&]+)/.exec(window.location.hash || "");
    if (!box || !match) return;
    history.replaceState(null, "", window.location.pathname);
    fetch(box.dataset.tokenExchange, {method: "POST", credentials: "same-origin",
                                      headers: {Authorization: "Bearer " + decodeURIComponent(match[1])}})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok) { window.location.assign(body.redirect || "/console"); return; }
          const error = document.getElementById("token-error");
          if (error) {
            error.textContent = (body.detail && body.detail.error) || "The portal link could not sign you in.";
            error.hidden = false;
          }
        });
      })
      .catch(function () {
        const error = document.getElementById("token-error");
        if (error) { error.textContent = "The copilot could not be reached; try again."; error.hidden = false; }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    exchangeToken();
    lockForms();
    document.querySelectorAll("input.pick").forEach(function (p) { p.addEventListener("change", updateSelection); });
    const all = document.getElementById("select-all");
    if (all) all.addEventListener("change", function () {
      document.querySelectorAll("input.pick").forEach(function (p) { p.checked = all.checked; });
      updateSelection();
    });
    document.querySelectorAll("button.edit").forEach(function (b) {
      b.addEventListener("click", function () {
        const card = b.closest("article.proposal");
        const form = card && card.querySelector("form.edit-form");
        if (form && !form.hidden) closeEditor(card); else if (card) openEditor(card);
      });
    });
    document.querySelectorAll("button.cancel-edit").forEach(function (b) {
      b.addEventListener("click", function () { const card = b.closest("article.proposal"); if (card) closeEditor(card); });
    });
    document.querySelectorAll("form.edit-form").forEach(function (form) {
      filterNested(form);
      form.addEventListener("change", function (event) {
        if (event.target.matches('select[data-field="category"], select[data-field="sub_category"]')) filterNested(form);
      });
    });
    document.querySelectorAll("[data-help]").forEach(function (b) { b.addEventListener("click", toggleHelp); });
    document.addEventListener("keydown", onKey);
    updateSelection();
    const first = cards()[0];
    if (first && !document.querySelector("[autofocus]")) first.focus({preventScroll: true});
    document.body.dataset.ready = "1";  // shortcuts work from now on (the script is deferred)
  });
})();
