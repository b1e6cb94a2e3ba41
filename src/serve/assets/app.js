// The pages' only script: live progress of a job from the server's events, the
// report sized to its content, the error summary focused, times in the reader's
// own time zone. Every page works without it (the progress then shows on reload).
"use strict";
(function () {
  // a refused form: the summary of its problems takes the focus (GOV.UK pattern)
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // a link of the summary moves the focus to its field, its label in view
    summary.addEventListener("click", function (ev) {
      var a = ev.target.closest("a[href^='#']");
      var field = a && document.getElementById(a.getAttribute("href").slice(1));
      if (!field) return;
      ev.preventDefault();
      var details = field.closest("details");
      if (details) details.open = true;
      var label = document.querySelector("label[for='" + field.id + "']") || field;
      label.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }
  var banner = document.getElementById("saved-banner");
  if (!summary && banner) banner.focus();

  // times are written in UTC; show them in the reader's time zone
  [].forEach.call(document.querySelectorAll("time[datetime]"), function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) {
      t.textContent = d.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"
      });
      t.title = t.getAttribute("datetime");
    }
  });

  // the report is as tall as its content: the page scrolls, not a box inside it
  var report = document.getElementById("report");
  if (report) {
    var fit = function () {
      var d = report.contentDocument;
      if (!d || !d.documentElement) return;
      report.classList.add("fitted");
      report.style.height = "0px";
      report.style.height = d.documentElement.scrollHeight + "px";
    };
    report.addEventListener("load", function () {
      fit();
      var d = report.contentDocument;
      if (d && window.ResizeObserver) new ResizeObserver(fit).observe(d.documentElement);
    });
    window.addEventListener("resize", fit);
    if (report.contentDocument && report.contentDocument.readyState === "complete") fit();
  }

  var job = document.getElementById("job");
  if (!job || !window.EventSource) return;
  var state = job.getAttribute("data-state");
  if (state !== "queued" && state !== "running") return;
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  var stage = document.getElementById("stage");
  var stateEl = document.getElementById("state");
  var elapsed = document.getElementById("elapsed");
  var source = new EventSource("/jobs/" + job.getAttribute("data-job") + "/events");
  function seconds(s) {
    if (s < 10) return s.toFixed(1) + " s";
    if (s < 60) return Math.round(s) + " s";
    var m = Math.floor(s / 60), r = Math.round(s % 60);
    return m + " min " + (r < 10 ? "0" : "") + r + " s";
  }
  function show(ev) {
    var p = JSON.parse(ev.data);
    if (p.unknown) {
      bar.removeAttribute("value");
    } else {
      bar.value = p.percent;
    }
    bar.textContent = p.percent + "%";
    text.textContent = p.unknown ? "" : p.percent + "%";
    stage.textContent = p.stage;
    stateEl.textContent = p.state;
    if (elapsed && p.seconds > 0) elapsed.textContent = seconds(p.seconds);
    job.setAttribute("data-state", p.state);
    return p;
  }
  source.addEventListener("progress", show);
  source.addEventListener("done", function (ev) {
    show(ev);
    source.close();
    // the finished page lists the report and the files
    window.location.reload();
  });
})();
