// Small glue for htmx dialogs; everything else is server-rendered. No inline handlers
// anywhere (the Content-Security-Policy allows scripts from static files only): elements
// name what they do with data attributes and the listeners below, on the document, act.
(function () {
  function dialog() {
    return bootstrap.Modal.getOrCreateInstance(document.getElementById("dialog"));
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "dialog-content") {
      dialog().show();
    }
    if (event.detail.target.id === "side-panel-content") {
      bootstrap.Offcanvas.getOrCreateInstance(document.getElementById("side-panel")).show();
    }
  });
  // Focus only once the modal is shown: Bootstrap focuses the modal itself on opening.
  document.addEventListener("shown.bs.modal", function (event) {
    var first = event.target.querySelector("[autofocus]");
    if (first) { first.focus(); }
  });
  // A refused booking comes back as 422 with the dialog: show it anyway.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
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
  });
  // The statistics' cancel dialog: the booking it cancels comes from the button that opened it.
  document.addEventListener("show.bs.modal", function (event) {
    if (event.target.id !== "cancel-booking" || !event.relatedTarget) return;
    var button = event.relatedTarget;
    document.getElementById("cancel-booking-form").action = button.dataset.url;
    document.getElementById("cancel-booking-reference").textContent = button.dataset.reference;
  });
  function pickPatient(button) {
    var form = button.closest("form");
    form.querySelector("[name=patient]").value = button.dataset.patientId;
    form.querySelector("#picked-patient").textContent = button.dataset.patientName;
    form.querySelector("#picked-patient-box").classList.remove("d-none");
    form.querySelector("#new-patient-fields").classList.add("d-none");
    document.getElementById("patient-pick-results").innerHTML = "";
    var barter = form.querySelector("#picked-patient-barter");
    if (barter && window.htmx) {  // limit, spent and remaining of a barter patient, while booking
      barter.innerHTML = "";
      htmx.ajax("GET", barter.dataset.url + "?patient=" + encodeURIComponent(button.dataset.patientId),
                {target: barter, swap: "innerHTML"});
    }
  }
  function clearPatient(button) {
    var form = button.closest("form");
    form.querySelector("[name=patient]").value = "";
    form.querySelector("#picked-patient-box").classList.add("d-none");
    var barter = form.querySelector("#picked-patient-barter");
    if (barter) barter.innerHTML = "";
    form.querySelector("#new-patient-fields").classList.remove("d-none");
  }
})();
