// Small glue for htmx dialogs; everything else is server-rendered.
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
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("request-error");
    if (box) box.classList.add("d-none");
  });
  window.pickPatient = function (button) {
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
  };
  window.clearPatient = function (button) {
    var form = button.closest("form");
    form.querySelector("[name=patient]").value = "";
    form.querySelector("#picked-patient-box").classList.add("d-none");
    var barter = form.querySelector("#picked-patient-barter");
    if (barter) barter.innerHTML = "";
    form.querySelector("#new-patient-fields").classList.remove("d-none");
  };
})();
