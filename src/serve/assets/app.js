// Live progress of a job page from the server's events; no other script.
"use strict";
(function () {
  var job = document.getElementById("job");
  if (!job || !window.EventSource) return;
  var state = job.getAttribute("data-state");
  if (state !== "queued" && state !== "running") return;
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  var stage = document.getElementById("stage");
  var stateEl = document.getElementById("state");
  var source = new EventSource("/jobs/" + job.getAttribute("data-job") + "/events");
  function show(ev) {
    var p = JSON.parse(ev.data);
    bar.value = p.percent;
    bar.textContent = p.percent + "%";
    text.textContent = p.percent + "%";
    stage.textContent = p.stage;
    stateEl.textContent = p.state;
    job.setAttribute("data-state", p.state);
    return p;
  }
  source.addEventListener("progress", show);
  source.addEventListener("done", function (ev) {
    show(ev);
    source.close();
    // the finished page lists the report and the files
    window.setTimeout(function () { window.location.reload(); }, 300);
  });
})();
