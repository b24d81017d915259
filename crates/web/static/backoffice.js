// The BackOffice's small helpers (no inline scripts: the CSP forbids them).
// - The tenant form checks the subdomain while it is typed and proposes one from the name.
// - Choosing a plan fills in its default limits and features.
// - The delete button waits until the tenant's name is typed.
(function () {
  "use strict";

  function slugify(s) {
    return s.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 50).replace(/-+$/, "");
  }

  function slugCheck(input) {
    var status = document.getElementById("slug-status");
    if (!status) return;
    var url = input.getAttribute("data-check-url");
    var timer = null;
    var seq = 0;
    function show(state, message) {
      status.className = "slug-status small " + state;
      status.textContent = message;
      input.setAttribute("data-slug-state", state);
    }
    function check() {
      var slug = input.value.trim();
      if (!slug) { show("muted", "3–50 characters: a–z, 0–9 and hyphens."); return; }
      var mine = ++seq;
      show("checking", "Checking " + slug + "…");
      fetch(url + "?slug=" + encodeURIComponent(slug), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (mine !== seq) return;
          var words = { available: "Available: ", taken: "Taken: ", invalid: "Not allowed: ", reserved: "Reserved: " };
          show(body.status, (words[body.status] || "") + body.message);
        })
        .catch(function () { if (mine === seq) show("muted", "Could not check right now."); });
    }
    input.addEventListener("input", function () {
      input.setAttribute("data-touched", "1");
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    });
    var name = document.getElementById("name");
    if (name) {
      name.addEventListener("input", function () {
        if (input.getAttribute("data-touched")) return;
        input.value = slugify(name.value);
        clearTimeout(timer);
        timer = setTimeout(check, 250);
      });
    }
    if (input.value) check();
  }

  function planDefaults(select) {
    select.addEventListener("change", function () {
      var o = select.options[select.selectedIndex];
      ["max_merchants", "max_queues_per_merchant", "max_users_per_tenant"].forEach(function (f) {
        var el = document.getElementById(f);
        if (el && o.getAttribute("data-" + f) !== null) el.value = o.getAttribute("data-" + f);
      });
      ["ai_features", "analytics", "custom_branding", "priority_support"].forEach(function (f) {
        var el = document.getElementById(f);
        if (el) el.checked = o.getAttribute("data-" + f) === "true";
      });
    });
  }

  function typedConfirm(input) {
    var button = input.form && input.form.querySelector("button[type=submit]");
    if (!button) return;
    function sync() { button.disabled = input.value.trim() !== input.getAttribute("data-must-equal"); }
    input.addEventListener("input", sync);
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var slug = document.querySelector("input[data-check-url]");
    if (slug) slugCheck(slug);
    var plan = document.querySelector("select[data-fills-limits]");
    if (plan) planDefaults(plan);
    document.querySelectorAll("input[data-must-equal]").forEach(typedConfirm);
  });
})();
