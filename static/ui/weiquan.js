// Weiquan web interface: small enhancements; every form also works without JavaScript.
(function () {
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Formsets: "add another" clones the empty form and renumbers __prefix__.
  $$("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var prefix = button.getAttribute("data-add-row");
      var total = $("#id_" + prefix + "-TOTAL_FORMS");
      var template = $("#" + prefix + "-template");
      var rows = $('[data-formset="' + prefix + '"]');
      var html = template.innerHTML.replace(/__prefix__/g, total.value);
      var holder = document.createElement(rows.tagName === "TBODY" ? "tbody" : "div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = parseInt(total.value, 10) + 1;
      bindRow(row);
      var first = row.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    });
  });

  // Worker lookup by phone or ID number (services.find_worker through the lookup URL).
  var claimants = $("#claimants");
  function bindRow(row) {
    var button = row.querySelector("[data-lookup]");
    if (button && claimants) {
      var input = row.querySelector('input[name$="-lookup"]');
      var hidden = row.querySelector('input[name$="-worker"]');
      var found = row.querySelector("[data-found]");
      var run = function () {
        var q = (input.value || "").trim();
        if (!q) { input.focus(); return; }
        fetch(claimants.getAttribute("data-lookup-url") + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (data.found) {
              hidden.value = data.worker.id;
              found.textContent = "✓ " + data.worker.name + "  " + data.worker.id_number_masked + "  " + (data.worker.phone || "") + "  " + data.worker.occupation;
              found.classList.remove("missing");
              row.classList.add("found");
            } else {
              hidden.value = "";
              found.textContent = data.message;
              found.classList.add("missing");
              row.classList.remove("found");
              var idField = row.querySelector('input[name$="-id_number"]');
              var phoneField = row.querySelector('input[name$="-phone"]');
              if (/^\d{17}[\dXx]$/.test(q) && idField && !idField.value) idField.value = q;
              else if (phoneField && !phoneField.value && !data.error) phoneField.value = q;
              var name = row.querySelector('input[name$="-name"]');
              if (name) name.focus();
            }
          });
      };
      button.addEventListener("click", run);
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); run(); } });
      if (hidden.value) row.classList.add("found");
    }
    $$('input[name$="-amount"]', row).forEach(function (el) { el.addEventListener("input", total); });
  }
  $$("[data-row]").forEach(bindRow);

  // Live total of the claimed amounts.
  function total() {
    var out = $("#claims-total");
    if (!out) return;
    var sum = 0;
    $$('input[name$="-amount"]').forEach(function (el) { var v = parseFloat(el.value); if (!isNaN(v)) sum += v; });
    out.textContent = "¥" + sum.toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  }
  total();

  // Mediation agreement: one more instalment row (the form always has an empty one without JS).
  $$("[data-add-instalment]").forEach(function (button) {
    button.addEventListener("click", function () {
      var body = $("#" + button.getAttribute("data-add-instalment") + " tbody");
      var last = body.lastElementChild;
      var row = last.cloneNode(true);
      $$("input", row).forEach(function (el) { el.value = ""; });
      row.firstElementChild.textContent = String(body.children.length + 1);
      body.appendChild(row);
      row.querySelector("input").focus();
    });
  });

  // Referral import: follow the Celery task on its progress endpoint, then show the report.
  var job = $("#import-job");
  if (job && ["SUCCESS", "FAILURE"].indexOf(job.getAttribute("data-state")) < 0) {
    var poll = function () {
      fetch(job.getAttribute("data-progress-url"), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          $(".wq-progress-bar", job).style.width = data.percent + "%";
          $("#import-progress").setAttribute("aria-valuenow", data.done);
          ["done", "total", "created", "duplicates", "refused"].forEach(function (key) {
            var el = $('[data-count="' + key + '"]', job);
            if (el) el.textContent = data[key];
          });
          if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 500);
  }
})();
