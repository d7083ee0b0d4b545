// Live times on the week page (an enhancement: the page works without it, and the summary
// step refuses a time taken meanwhile either way). Every `data-refresh-seconds` the page asks
// the public times of the week (`data-times-url`, the JSON API) and takes away each time that
// is no longer free: the radio is disabled and says "optaget". It never adds a time: the
// public list does not know the citizen's own rules, so it can only tell what is gone. The
// time the citizen has chosen is left alone (their own hold is not in the public list).
(function () {
  "use strict";
  var form = document.querySelector("form[data-times-url]");
  if (!form || !window.fetch) {
    return;
  }
  var status = document.getElementById("live-status");
  var taken = form.getAttribute("data-taken-text") || "optaget";
  var advisor = form.getAttribute("data-advisor") || "";

  function refresh() {
    return fetch(form.getAttribute("data-times-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer || !answer.times) {
          return 0;
        }
        var free = {};
        answer.times.forEach(function (time) {
          if (!advisor || !time.advisor_id || time.advisor_id === advisor) {
            free[Date.parse(time.start)] = true;
          }
        });
        var gone = 0;
        form.querySelectorAll("input[type=radio][name=start]").forEach(function (radio) {
          if (radio.checked || radio.disabled || free[Date.parse(radio.value)]) {
            return;
          }
          radio.disabled = true;
          var label = form.querySelector("label[for='" + radio.id + "']");
          if (label) {
            var note = document.createElement("span");
            note.className = "taken";
            note.textContent = " (" + taken + ")";
            label.insertBefore(note, label.querySelector(".visually-hidden"));  // "10.00-10.30 (optaget), onsdag ..."
          }
          gone += 1;
        });
        if (gone && status) {
          status.textContent = status.getAttribute("data-text");
        }
        return gone;
      })
      .catch(function () {
        return 0;
      });
  }

  window.plannerLiveTimes = { refresh: refresh };
  var seconds = parseInt(form.getAttribute("data-refresh-seconds"), 10) || 20;
  window.setInterval(refresh, seconds * 1000);
})();
