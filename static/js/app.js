// Small glue for htmx dialogs and the keyboard; everything else is server-rendered. No inline
// handlers anywhere (the Content-Security-Policy allows scripts from static files only):
// elements name what they do with data attributes and the listeners below, on the document, act.
(function () {
  var openers = {dialog: null, panel: null};  // what opened the dialog / the side panel: focus goes back there

  function dialogElement() { return document.getElementById("dialog"); }
  function dialog() {
    return bootstrap.Modal.getOrCreateInstance(dialogElement());
  }
  function isShown(element) { return element && element.classList.contains("show"); }

  // The element (or, if it was drawn again meanwhile, its twin) that opened a dialog or panel.
  function stillThere(element) {
    if (!element) return null;
    if (document.contains(element)) return element;
    var key = element.getAttribute("hx-get");
    return key ? document.querySelector('[hx-get="' + CSS.escape(key) + '"]') : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target && event.detail.target.id;
    if (target === "dialog-content" && !isShown(dialogElement())) openers.dialog = event.detail.elt;
    if (target === "side-panel-content" && !isShown(document.getElementById("side-panel"))) openers.panel = event.detail.elt;
  });

  // The first field of a dialog gets the focus once, in the same task as the dialog appears (no
  // fade: nothing typed in between is lost); a dialog drawn again (a refused booking) puts it on
  // the first error instead, once htmx has processed it (a picker's error: its Tom Select control).
  // htmx would focus an [autofocus] field again when it settles (20 ms later, or much later on a
  // busy machine), taking the focus back from wherever the person had moved it meanwhile (Shift+Tab
  // to the ×, a patient picked with Enter) or from the first error: a dialog's autofocus is ours
  // alone, renamed data-autofocus before htmx settles.
  var FIRST_ERROR = ".is-invalid, .alert-danger[tabindex]";
  function focusFirstField(container, anyField) {
    var field = container.querySelector(FIRST_ERROR)
      || container.querySelector("[data-autofocus], [autofocus]")
      || (anyField ? container.querySelector(".modal-body :is(input:not([type=hidden]), select, textarea):not(:disabled)") : null);
    if (!field) return;
    if (field.classList.contains("tomselected") && field.tomselect) field.tomselect.focus();
    else field.focus();
  }
  function takeAutofocus(container) {
    container.querySelectorAll("[autofocus]").forEach(function (field) {
      field.removeAttribute("autofocus");
      field.setAttribute("data-autofocus", "");
    });
  }

  var redrawn = false;  // the dialog's content was drawn again while it showed (a refused form)
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "dialog-content") {
      takeAutofocus(target);
      // Shown at once (no fade): "shown.bs.modal" focuses the first field. A dialog drawn again is
      // focused when it has settled (below).
      redrawn = isShown(dialogElement());
      if (!redrawn) dialog().show();
    }
    if (target.id === "side-panel-content") {
      bootstrap.Offcanvas.getOrCreateInstance(document.getElementById("side-panel")).show();
    }
    if (target.id === "patient-pick") patientResultsArrived(target);
  });
  document.addEventListener("shown.bs.modal", function (event) {
    focusFirstField(event.target);
  });
  // A dialog drawn again: its first error has the focus, even where htmx gave it back to the
  // element of the same id that had it (the submit button, the field Enter was pressed in);
  // without an error, the focus stays where htmx put it, or goes to the first field if it was lost
  // (a search in the dialog answered, a patient picked: never left on the page behind the dialog).
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "dialog-content" || !redrawn || !isShown(dialogElement())) return;
    redrawn = false;
    if (target.querySelector(FIRST_ERROR) || !target.contains(document.activeElement)) {
      focusFirstField(target, true);
    }
  });
  // The focus comes in the same task as a dialog, before htmx has processed its content: a search
  // typed in between is in the field but was never sent, and htmx's "changed" filter, which takes
  // the value it finds when it starts to listen as already seen, would swallow a plain "input".
  // Such fields also listen to "typed-early" (without "changed"); it is sent once they listen.
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt, selector = 'input[hx-trigger*="typed-early"]';
    if (!root.querySelectorAll) return;
    var fields = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches(selector)) fields.push(root);
    fields.forEach(function (field) {
      if (field.value !== field.defaultValue) htmx.trigger(field, "typed-early");
    });
  });
  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id !== "dialog") return;
    var opener = stillThere(openers.dialog);
    openers.dialog = null;
    if (opener) opener.focus();
  });
  document.addEventListener("shown.bs.offcanvas", function (event) {
    if (event.target.id !== "side-panel") return;
    var title = event.target.querySelector("#side-panel-title, h2, [autofocus]");
    if (title && !title.contains(document.activeElement)) {
      if (!title.hasAttribute("tabindex")) title.setAttribute("tabindex", "-1");
      title.focus();
    }
  });
  document.addEventListener("hidden.bs.offcanvas", function (event) {
    if (event.target.id !== "side-panel") return;
    var opener = stillThere(openers.panel);
    openers.panel = null;
    if (opener) opener.focus();
  });
  // A refused booking comes back as 422 with the dialog: show it anyway.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // Every failed htmx request says so (otherwise htmx swaps nothing and the button seems dead).
  function showRequestError(kind, status) {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.querySelector(".request-error-text").textContent = box.dataset[kind].replace("{status}", status);
    box.classList.remove("d-none");
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422) return;  // a refused form, shown in place
    var kind = status === 403 ? "denied" : status === 404 ? "missing" : status >= 500 ? "server" : "refused";
    showRequestError(kind, status);
  });
  document.addEventListener("htmx:sendError", function () { showRequestError("offline", ""); });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = document.getElementById("request-error");
    if (box) box.classList.add("d-none");
    var elt = event.detail.elt;
    if (elt.id === "patient-query" && elt.dataset.pickedFor !== undefined && elt.dataset.pickedFor === elt.value) {
      event.preventDefault();  // the patient of these words is picked already
    }
  });

  // --- The day view: one Tab stop per practitioner's column, arrow keys in time order ------------
  function stopsOf(column) { return Array.prototype.slice.call(column.querySelectorAll(".calendar-stop")); }
  function columns() {
    return Array.prototype.slice.call(document.querySelectorAll("#calendar .calendar-column"))
      .filter(function (column) { return column.querySelector(".calendar-stop"); });
  }
  function rove(column, stop) {
    stopsOf(column).forEach(function (each) { each.setAttribute("tabindex", each === stop ? "0" : "-1"); });
  }
  function initCalendar(root) {
    var calendar = root.querySelector ? (root.id === "calendar" ? root : root.querySelector("#calendar")) : null;
    if (!calendar) return;
    var wanted = calendar.dataset.focus && calendar.querySelector('[data-appointment="' + calendar.dataset.focus + '"]');
    columns().forEach(function (column) {
      var stops = stopsOf(column);
      var current = (wanted && column.contains(wanted)) ? wanted : (column.querySelector(".slot-free") || stops[0]);
      rove(column, current);
    });
    if (wanted) {
      wanted.focus();
      wanted.scrollIntoView({block: "center"});
    }
  }
  function nearest(column, top) {
    var best = null, distance = Infinity;
    stopsOf(column).forEach(function (stop) {
      var d = Math.abs(parseFloat(stop.style.top) - top);
      if (d < distance) { best = stop; distance = d; }
    });
    return best;
  }
  document.addEventListener("keydown", function (event) {
    var stop = event.target.closest && event.target.closest(".calendar-stop");
    if (!stop || event.altKey || event.ctrlKey || event.metaKey) return;
    var column = stop.closest(".calendar-column");
    var stops = stopsOf(column), index = stops.indexOf(stop), next = null, target = column;
    var rtl = document.documentElement.dir === "rtl";
    switch (event.key) {
      case "ArrowDown": next = stops[index + 1]; break;
      case "ArrowUp": next = stops[index - 1]; break;
      case "Home": next = stops[0]; break;
      case "End": next = stops[stops.length - 1]; break;
      case "ArrowRight":
      case "ArrowLeft":
        var all = columns(), forward = (event.key === "ArrowRight") !== rtl;
        target = all[all.indexOf(column) + (forward ? 1 : -1)];
        if (target) next = nearest(target, parseFloat(stop.style.top));
        break;
      case " ":
        if (stop.tagName === "A") { event.preventDefault(); stop.click(); }
        return;
      default: return;
    }
    event.preventDefault();
    if (next) {
      rove(target, next);
      next.focus();
    }
  });
  document.addEventListener("click", function (event) {
    var skip = event.target.closest && event.target.closest("[data-skip-to-calendar]");
    if (!skip) return;
    var first = columns()[0];
    var stop = first && stopsOf(first).filter(function (each) { return each.getAttribute("tabindex") === "0"; })[0];
    if (stop) { event.preventDefault(); stop.focus(); }
  });

  // --- The patient search of the booking dialog: an accessible combobox ---------------------------
  function pickInput() { return document.getElementById("patient-query"); }
  function options() {
    var list = document.getElementById("patient-pick-results");
    return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : [];
  }
  function announce(text) {
    var status = document.getElementById("patient-pick-status");
    if (status) status.textContent = text || "";
  }
  function setActive(option) {
    var input = pickInput();
    options().forEach(function (each) {
      var on = each === option;
      each.classList.toggle("active", on);
      each.setAttribute("aria-selected", on ? "true" : "false");
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function patientResultsArrived(container) {
    var input = pickInput();
    if (!input) return;
    var list = document.getElementById("patient-pick-results");
    var open = options().length > 0;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) input.setAttribute("aria-controls", list.id); else input.removeAttribute("aria-controls");
    input.removeAttribute("aria-activedescendant");
    var summary = container.querySelector("[data-announce]");
    announce(summary ? summary.dataset.announce : "");
  }
  function closeResults() {
    var input = pickInput();
    var box = document.getElementById("patient-pick");
    if (box) box.innerHTML = "";
    if (input) {
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-controls");
      input.removeAttribute("aria-activedescendant");
    }
  }
  document.addEventListener("keydown", function (event) {
    // The clinic's booking dialog (the portal's search has results of its own, radio buttons).
    if (event.target.id !== "patient-query" || event.target.getAttribute("role") !== "combobox") return;
    var found = options();
    var active = found.filter(function (each) { return each.classList.contains("active"); })[0];
    var index = found.indexOf(active);
    if (event.key === "ArrowDown" && found.length) {
      event.preventDefault();
      setActive(found[(index + 1) % found.length]);
    } else if (event.key === "ArrowUp" && found.length) {
      event.preventDefault();
      setActive(found[index <= 0 ? found.length - 1 : index - 1]);
    } else if (event.key === "Enter") {
      // Enter picks the highlighted patient (the first when one is found); never submits from here.
      event.preventDefault();
      var chosen = active || (found.length ? found[0] : null);
      if (chosen) pickPatient(chosen);
    }
  });

  // <select data-autosubmit>: a filter that applies as soon as it changes.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]") && event.target.form) {
      event.target.form.submit();
    }
  });
  // <form data-confirm="Question?">: asks before it is sent.
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    var action = button.dataset.action;
    if (action === "pick-patient") pickPatient(button);
    else if (action === "clear-patient") clearPatient(button);
    else if (action === "close-statement-action") button.closest("#statement-action").innerHTML = "";
    else if (action === "close-request-error") button.closest("#request-error").classList.add("d-none");
    else if (action === "copy") copyField(button);
  });
  // <button data-action="copy" data-target="#id" data-done="Copied">: copies the field's value.
  function copyField(button) {
    var field = document.querySelector(button.dataset.target);
    if (!field) return;
    field.focus();
    field.select();
    var done = function () { button.textContent = button.dataset.done; };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(done);
    else if (document.execCommand("copy")) done();
  }
  // The statistics' cancel dialog: the booking it cancels comes from the button that opened it.
  document.addEventListener("show.bs.modal", function (event) {
    if (event.target.id !== "cancel-booking" || !event.relatedTarget) return;
    var button = event.relatedTarget;
    document.getElementById("cancel-booking-form").action = button.dataset.url;
    document.getElementById("cancel-booking-reference").textContent = button.dataset.reference;
  });
  window.pickPatient = function (option) {
    var form = option.closest("form");
    form.querySelector("[name=patient]").value = option.dataset.patientId;
    form.querySelector("#picked-patient").textContent = option.dataset.patientName;
    form.querySelector("#picked-patient-box").classList.remove("d-none");
    form.querySelector("#new-patient-fields").classList.add("d-none");
    closeResults();
    // A search still under way (or waiting out its delay) for what is typed would open the results
    // again over the patient just picked: it is stopped, and the same words are not searched again.
    var query = pickInput();
    if (query && window.htmx) {
      query.dataset.pickedFor = query.value;
      htmx.trigger(query, "htmx:abort");
    }
    var chosen = form.querySelector("#picked-patient-box");
    announce(chosen ? chosen.textContent.replace(/\s+/g, " ").trim() : "");
    var barter = form.querySelector("#picked-patient-barter");
    if (barter && window.htmx) {  // limit, spent and remaining of a barter patient, while booking
      barter.innerHTML = "";
      htmx.ajax("GET", barter.dataset.url + "?patient=" + encodeURIComponent(option.dataset.patientId),
                {target: barter, swap: "innerHTML"});
    }
    // The focus stays in the dialog: on to the services.
    var services = form.querySelector("select[data-picker]");
    if (services && services.tomselect) services.tomselect.focus();
    else if (services) services.focus();
  };
  window.clearPatient = function (button) {
    var form = button.closest("form");
    form.querySelector("[name=patient]").value = "";
    form.querySelector("#picked-patient-box").classList.add("d-none");
    var barter = form.querySelector("#picked-patient-barter");
    if (barter) barter.innerHTML = "";
    form.querySelector("#new-patient-fields").classList.remove("d-none");
    var input = pickInput();
    if (input) {
      delete input.dataset.pickedFor;
      input.focus();
    }
  };

  // --- A searchable picker for long multiple choices (Tom Select, vendored) -----------------------
  function initPickers(root) {
    if (!window.TomSelect || !root.querySelectorAll) return;
    root.querySelectorAll("select[data-picker]:not(.tomselected)").forEach(function (select) {
      var picker = new TomSelect(select, {
        plugins: {remove_button: {title: select.dataset.removeLabel || "×"}},
        maxOptions: null,
        refreshThrottle: 0,  // filter as each key is typed: Enter right after typing adds what was typed
        closeAfterSelect: true,
        hideSelected: true,
        placeholder: select.dataset.placeholder || "",
        render: {
          no_results: function () {
            return '<div class="no-results">' + (select.dataset.noResults || "") + "</div>";
          }
        }
      });
      // The label now names the picker's combobox; the hidden select (still what the form sends) is
      // kept out of the screen reader's way so that "Services" is announced once.
      if (picker.control_input) select.setAttribute("aria-hidden", "true");
    });
  }

  function init(root) {
    initCalendar(root);
    initPickers(root);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
