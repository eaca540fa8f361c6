/* Live preview on the widget's settings page: what the admin types is shown in the preview frame
 * at once, before saving. The frame is ours (same origin); it only listens to its parent. */
(function () {
  "use strict";
  const frame = document.getElementById("widget-preview");
  const form = document.getElementById("channel-setup");
  if (!frame || !form) return;
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const value = (name) => (field(name) ? field(name).value : "");

  function settings() {
    return {
      color: value("color"),
      title: value("title") || value("name"),
      greeting: value("greeting"),
      launcher_text: value("launcher_text"),
      position: value("position"),
      away_message: value("away_message"),
      show_away: !!value("away_message").trim(),
    };
  }

  function push() {
    if (frame.contentWindow) frame.contentWindow.postMessage({ ocw: 1, type: "preview", settings: settings() }, location.origin);
  }

  frame.addEventListener("load", push);
  form.addEventListener("input", push);
  form.addEventListener("change", (event) => {
    if (event.target.name === "language") {
      const lang = event.target.value === "auto" ? "" : `&lang=${encodeURIComponent(event.target.value)}`;
      frame.src = frame.dataset.base + lang;
    } else push();
  });
})();
