/* Web chat widget loader: <script src="https://<helpdesk>/widget.js" data-widget="<id>" async>.
 * After the page has loaded, it adds one iframe served by the helpdesk, which holds the whole
 * chat; the page's CSS and scripts cannot reach into it. It defines one global, HelpdeskWidget,
 * touches nothing else of the page (except a "(n)" in the title for unread replies), and
 * swallows its own errors: a broken chat must never break the site.
 * Optional: data-user-id, data-user-hash (HMAC-SHA256 of the id with the widget's secret),
 * data-user-name, data-user-email, data-user-phone; or HelpdeskWidget.identify({...}). */
(function (w, d) {
  "use strict";
  if (w.HelpdeskWidget && w.HelpdeskWidget.version) return;

  var frame = null;
  var ready = false;
  var queue = [];
  var user = null;
  var view = { open: false, position: "right", width: 92, height: 92 };
  var titlePrefix = "";
  var base = "";
  var script = d.currentScript;

  var api = {
    version: 1,
    open: function () { command({ type: "open" }); },
    close: function () { command({ type: "close" }); },
    toggle: function () { command({ type: "toggle" }); },
    identify: function (person) { user = clean(person); command({ type: "identify", user: user }); },
    reset: function () { user = null; command({ type: "reset" }); }
  };
  w.HelpdeskWidget = api;

  function guard(fn) {
    return function () {
      try { return fn.apply(this, arguments); } catch (e) { /* never break the host page */ }
    };
  }

  function clean(person) {
    if (!person || person.id === undefined || person.id === null || person.id === "") return null;
    return { id: String(person.id), hash: String(person.hash || ""), name: String(person.name || ""),
      email: String(person.email || ""), phone: String(person.phone || "") };
  }

  function command(message) {
    if (!frame) start();
    if (ready) post(message); else queue.push(message);
  }

  function post(message) {
    message.ocw = 1;
    frame.contentWindow.postMessage(message, base);
  }

  function phone() {
    return Math.min(w.innerWidth || 0, d.documentElement.clientWidth || w.innerWidth || 0) <= 480;
  }

  function css(styles) {
    for (var name in styles) {
      if (Object.prototype.hasOwnProperty.call(styles, name)) {
        // Inline and !important: no stylesheet of the page (even `* { all: unset }`) wins.
        frame.style.setProperty(name, styles[name], "important");
      }
    }
  }

  function place() {
    var full = view.open && phone();
    var side = view.position === "left" ? "left" : "right";
    var other = side === "left" ? "right" : "left";
    var styles = {
      all: "initial", position: "fixed", display: "block", border: "0", margin: "0", padding: "0",
      "z-index": "2147483000", background: "transparent", "color-scheme": "normal", "max-width": "100vw",
      "max-height": "100vh", "box-sizing": "content-box", visibility: ready ? "visible" : "hidden",
      opacity: "1", transform: "none", "pointer-events": "auto", "min-width": "0", "min-height": "0"
    };
    styles[other] = "auto";
    if (full) {
      styles.top = "0"; styles.bottom = "0"; styles[side] = "0";
      styles.width = "100%"; styles.height = "100%";
    } else if (view.open) {
      styles.top = "auto"; styles.bottom = "4px"; styles[side] = "4px";
      styles.width = "420px"; styles.height = "min(700px, calc(100vh - 8px))";
    } else {
      styles.top = "auto"; styles.bottom = "4px"; styles[side] = "4px";
      styles.width = view.width + "px"; styles.height = view.height + "px";
    }
    css(styles);
  }

  function setTitle(count) {
    var title = d.title;
    if (titlePrefix && title.indexOf(titlePrefix) === 0) title = title.slice(titlePrefix.length);
    titlePrefix = count > 0 ? "(" + count + ") " : "";
    d.title = titlePrefix + title;
  }

  function onMessage(event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== base) return;
    var m = event.data;
    if (!m || m.ocw !== 1) return;
    if (m.type === "hello") {
      ready = true;
      view.position = m.position;
      post({ type: "init", user: user, page: w.location.href, phone: phone() });
      while (queue.length) post(queue.shift());
      place();
    } else if (m.type === "layout") {
      view.open = !!m.open;
      view.position = m.position;
      if (m.width > 0 && m.height > 0) { view.width = Math.min(m.width, 420); view.height = Math.min(m.height, 120); }
      place();
    } else if (m.type === "unread") {
      setTitle(Number(m.count) || 0);
    }
  }

  function start() {
    if (frame || !script) return;
    var widget = script.getAttribute("data-widget");
    if (!widget || !d.body) return;
    frame = d.createElement("iframe");
    frame.setAttribute("src", base + "/widget/" + encodeURIComponent(widget) + "/frame/?origin=" +
      encodeURIComponent(w.location.origin));
    frame.setAttribute("title", script.getAttribute("data-title") || "Chat");
    frame.setAttribute("allow", "autoplay");
    frame.setAttribute("data-helpdesk-widget", "");
    place();
    w.addEventListener("message", guard(onMessage));
    w.addEventListener("resize", guard(function () { if (ready) { post({ type: "viewport", phone: phone() }); place(); } }));
    d.body.appendChild(frame);
  }

  guard(function () {
    if (!script) {
      var all = d.getElementsByTagName("script");
      for (var i = all.length - 1; i >= 0; i--) {
        if (all[i].getAttribute("data-widget") && /\/widget\.js(\?|$)/.test(all[i].src)) { script = all[i]; break; }
      }
    }
    if (!script) return;
    base = new URL(script.src, w.location.href).origin;
    user = clean({
      id: script.getAttribute("data-user-id"), hash: script.getAttribute("data-user-hash"),
      name: script.getAttribute("data-user-name"), email: script.getAttribute("data-user-email"),
      phone: script.getAttribute("data-user-phone")
    });
    // Lazily: after the page's own resources, when the browser is idle.
    var later = function () { (w.requestIdleCallback || w.setTimeout)(guard(start), { timeout: 2000 }); };
    if (d.readyState === "complete") later(); else w.addEventListener("load", guard(later));
  })();
  api.open = guard(api.open); api.close = guard(api.close); api.toggle = guard(api.toggle);
  api.identify = guard(api.identify); api.reset = guard(api.reset);
})(window, document);
