// keyconsole's only script: loaded from our own origin (the CSP allows no
// inline script). The console works without it; htmx and this enhance it.
(function () {
  "use strict";

  // htmx sends the CSRF token of the page with every request it makes.
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      evt.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });

  // The account switcher goes to the chosen account at once; its Go button
  // is for browsers without JavaScript.
  document.querySelectorAll(".switch-go").forEach(function (b) { b.hidden = true; });
  document.addEventListener("change", function (evt) {
    if (evt.target.matches("select[data-autosubmit]")) {
      evt.target.form.submit();
    }
  });

  // Account pickers that search (too many accounts for a box each): Enter
  // in the search finds, as its button does, rather than posting the form;
  // and before a search replaces what the last one found, the accounts
  // ticked there join the chosen ones.
  // (Enter's keypress is stopped too: a browser may send it even when its
  // keydown was stopped, and would then submit the form.)
  ["keydown", "keypress"].forEach(function (type) {
    document.addEventListener(type, function (evt) {
      if (evt.key !== "Enter" || !evt.target.matches("[data-account-search]")) {
        return;
      }
      var find = evt.target.closest("fieldset").querySelector("[data-account-find]");
      if (find) {
        evt.preventDefault();
        if (type === "keydown") {
          find.click();
        }
      }
    });
  });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var found = evt.detail.target;
    if (!found || !found.matches("[data-found]")) {
      return;
    }
    var chosen = found.closest("fieldset").querySelector("[data-chosen]");
    found.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      chosen.appendChild(box.closest("label"));
    });
  });

  // Dialogs arrive from the server into #dialog-slot. A native modal
  // <dialog> keeps focus inside and closes on Escape; we remember what
  // opened it and give focus back there when it closes.
  var opener = null;

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var target = evt.detail.target;
    if (target && target.id === "dialog-slot" && !document.querySelector("#dialog-slot dialog[open]")) {
      opener = document.activeElement;
      // A menu's link is hidden once the dialog opens: its menu takes the focus back.
      var menu = opener && opener.closest && opener.closest(".row-menu");
      if (menu) {
        opener = menu.querySelector("summary");
      }
    }
  });

  // afterSettle, not afterSwap: htmx wires up the new content's hx-*
  // attributes while settling, and a form clicked before that would post
  // as a plain form.
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (!evt.detail.target || evt.detail.target.id !== "dialog-slot") {
      return;
    }
    var dialog = evt.detail.target.querySelector("dialog");
    if (!dialog) {
      return;
    }
    dialog.addEventListener("close", function () {
      dialog.remove();
      // The page behind a show-once dialog does not show the key made or
      // changed yet: load it afresh, however the dialog was closed.
      if (dialog.querySelector("[data-reload-on-close]")) {
        window.location.reload();
        return;
      }
      if (opener && document.contains(opener)) {
        opener.focus();
      }
      opener = null;
    });
    // A form that comes back from the server (with errors, or accounts
    // found) holds what was typed: it counts as changed.
    var form = dialog.querySelector("form[data-keep-changes]");
    if (form && evt.detail.requestConfig && evt.detail.requestConfig.verb === "post") {
      form.dataset.changed = "true";
    }
    if (!dialog.open) {
      dialog.showModal();
    }
    // Focus the first field with an error, else the first field, else the dialog's main button.
    var first = dialog.querySelector('[aria-invalid="true"]') ||
      dialog.querySelector("input:not([type=hidden]):not([type=submit]):not([readonly]), select, textarea") ||
      dialog.querySelector("[data-copy], button[type=submit]");
    if (first) {
      first.focus();
    }
  });

  // Typing in a form marked data-keep-changes makes it changed: then
  // Escape and × ask before discarding it (Cancel discards, as it says).
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (evt) {
      var form = evt.target.form || evt.target.closest("form");
      if (form && form.matches("[data-keep-changes]")) {
        form.dataset.changed = "true";
      }
    });
  });

  function changedForm(dialog) {
    return dialog.querySelector('form[data-keep-changes][data-changed="true"]');
  }

  // askDiscard shows, at the top of the dialog, whether to discard what
  // was typed; focus goes to "Keep editing", the safe answer.
  function askDiscard(dialog) {
    var ask = dialog.querySelector("[data-discard-ask]");
    if (!ask) {
      ask = document.createElement("div");
      ask.className = "notice notice-warn discard-ask";
      ask.setAttribute("role", "alert");
      ask.setAttribute("data-discard-ask", "");
      ask.setAttribute("data-testid", "discard-ask");
      var text = document.createElement("p");
      text.textContent = "Discard the changes?";
      var keep = document.createElement("button");
      keep.type = "button";
      keep.textContent = "Keep editing";
      keep.setAttribute("data-keep-editing", "");
      keep.setAttribute("data-testid", "keep-editing");
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "secondary";
      discard.textContent = "Discard";
      discard.setAttribute("data-discard", "");
      discard.setAttribute("data-testid", "discard");
      ask.append(text, keep, discard);
      var header = dialog.querySelector("article > header");
      header.after(ask);
    }
    ask.hidden = false;
    ask.querySelector("[data-keep-editing]").focus();
  }

  // Escape in a dialog with a changed form asks instead of closing. The
  // keydown is stopped, not only the dialog's cancel: a browser closes a
  // dialog on a second Escape without asking its page.
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") {
      return;
    }
    var dialog = document.querySelector("#dialog-slot dialog[open]");
    if (!dialog || !changedForm(dialog)) {
      return;
    }
    evt.preventDefault();
    var ask = dialog.querySelector("[data-discard-ask]");
    if (ask && !ask.hidden) {
      ask.hidden = true; // Escape again: back to the form, nothing lost
      var form = changedForm(dialog);
      var field = form && form.querySelector("input:not([type=hidden]), select, textarea");
      if (field) {
        field.focus();
      }
      return;
    }
    askDiscard(dialog);
  }, true);
  document.addEventListener("cancel", function (evt) {
    if (evt.target.matches && evt.target.matches("dialog") && changedForm(evt.target)) {
      evt.preventDefault();
      askDiscard(evt.target);
    }
  }, true);

  // A row's menu (a details element, for browsers without JavaScript)
  // opens its actions as dialogs, as the details page's buttons do, and
  // closes on Escape; focus goes back to the menu's summary.
  function closeMenu(menu) {
    menu.open = false;
    menu.querySelector("summary").focus();
  }
  document.addEventListener("keydown", function (evt) {
    var menu = evt.key === "Escape" && evt.target.closest && evt.target.closest(".row-menu[open]");
    if (menu) {
      evt.preventDefault();
      closeMenu(menu);
    }
  });

  document.addEventListener("click", function (evt) {
    var item = evt.target.closest(".row-menu a");
    if (item && window.htmx && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey) {
      evt.preventDefault();
      htmx.ajax("GET", item.getAttribute("href"), { target: "#dialog-slot", swap: "innerHTML" });
      // Not focused here: the Enter that followed the link would open it again.
      item.closest(".row-menu").open = false;
      return;
    }
    var add = evt.target.closest("[data-add-header]");
    if (add) {
      evt.preventDefault();
      addHeaderRow(add.closest("fieldset").querySelector("tbody"));
      return;
    }
    // A link to a question (data-ask) opens it in the dialog.
    var ask = evt.target.closest("a[data-ask]");
    if (ask && window.htmx && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey && evt.button === 0) {
      evt.preventDefault();
      window.htmx.ajax("GET", ask.getAttribute("href"), { target: "#dialog-slot", swap: "innerHTML" });
      return;
    }
    var dialog = evt.target.closest("dialog");
    if (dialog && evt.target.closest("[data-keep-editing]")) {
      dialog.querySelector("[data-discard-ask]").hidden = true;
      var field = dialog.querySelector("form input:not([type=hidden]), form select, form textarea");
      if (field) {
        field.focus();
      }
      return;
    }
    if (dialog && evt.target.closest("[data-discard]")) {
      dialog.close();
      return;
    }
    var closer = evt.target.closest("[data-close-dialog]");
    if (closer) {
      if (dialog) {
        evt.preventDefault();
        // × asks before discarding what was typed; Cancel says it discards.
        if (closer.matches(".dialog-close") && changedForm(dialog)) {
          askDiscard(dialog);
          return;
        }
        dialog.close();
      }
      return;
    }
    var copy = evt.target.closest("[data-copy]");
    if (copy) {
      copyField(copy);
    }
  });

  // "Add another header" adds an empty row in place (without JavaScript it
  // sends the form back with one): a copy of the last row, emptied, whose
  // labels count it and whose excluded box sends its index.
  function addHeaderRow(rows) {
    var n = rows.rows.length;
    var row = rows.rows[n - 1].cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) {
      input.removeAttribute("autofocus");
      input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/\d+$/, String(n + 1)));
      if (input.type === "checkbox") {
        input.checked = false;
        input.value = String(n);
      } else {
        input.value = "";
      }
    });
    rows.appendChild(row);
    row.querySelector("input").focus();
  }

  // Bulk actions: the bar above the key list shows once a row is ticked,
  // counting them, and "select all on this page" ticks every row. Without
  // JavaScript the bar is always there and rows are ticked one by one.
  function bulkBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name=id][form="bulk-form"]'));
  }
  function updateBulk() {
    var bar = document.querySelector("[data-bulk-bar]");
    if (!bar) {
      return;
    }
    var boxes = bulkBoxes();
    var ticked = boxes.filter(function (b) { return b.checked; }).length;
    var all = bar.querySelector("[data-bulk-all]");
    var page = document.querySelector("[data-bulk-page]");
    if (page) {
      page.hidden = boxes.length === 0;
      page.checked = boxes.length > 0 && ticked === boxes.length;
      page.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    bar.hidden = ticked === 0 && !(all && all.checked);
    var count = bar.querySelector("[data-bulk-count]");
    if (count) {
      count.textContent = all && all.checked ? "All keys matching this filter:" : ticked + " selected:";
    }
  }
  document.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t.matches("[data-bulk-page]")) {
      bulkBoxes().forEach(function (b) { b.checked = t.checked; });
    } else if (!t.matches('[form="bulk-form"], [data-bulk-all]')) {
      return;
    }
    updateBulk();
  });
  document.addEventListener("htmx:afterSettle", updateBulk);
  updateBulk();

  // A copy button puts its field's value on the clipboard and says so.
  function copyField(button) {
    var field = document.querySelector(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!field) {
      return;
    }
    var done = function () {
      button.textContent = "Copied";
      if (status) {
        status.textContent = button.getAttribute("data-copied") || "Copied to your clipboard.";
      }
    };
    var fallback = function () {
      field.select();
      if (document.execCommand && document.execCommand("copy")) {
        done();
      } else if (status) {
        status.textContent = "Select it and copy it with your keyboard.";
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, fallback);
    } else {
      fallback();
    }
  }
})();
