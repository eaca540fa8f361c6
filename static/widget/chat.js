/* The chat, inside the frame the loader puts on a site. It talks to its parent page only by
 * postMessage (to the one origin the server allowed), to the server by fetch and one WebSocket
 * (falling back to polling), and renders everything with textContent: visitor and agent text
 * is never parsed as HTML. Messages leave through an outbox kept in storage with a client id, so
 * a reload or a lost answer resends them and the server keeps one copy. */
(function () {
  "use strict";

  const S = JSON.parse(document.getElementById("ocw-settings").textContent);
  const T = S.strings;
  const $ = (id) => document.getElementById(id);
  const el = {
    body: document.body, launcher: $("launcher"), launcherText: $("launcher-text"), badge: $("badge"),
    panel: $("panel"), title: $("title"), status: $("status"), logo: $("logo"), close: $("close"),
    scroller: $("scroller"), greeting: $("greeting"), away: $("away"), earlier: $("earlier"), log: $("log"),
    typing: $("typing"), notice: $("notice"), prechat: $("prechat"), prechatFields: $("prechat-fields"),
    composer: $("composer"), text: $("text"), file: $("file"), files: $("files"),
  };
  const fmt = (s, vars) => String(s).replace(/%\((\w+)\)s/g, (_, k) => (k in vars ? vars[k] : ""));
  const isImage = (type) => /^image\/(png|jpeg|gif|webp)$/.test(type || "");

  /* ------------------------------------------------------------ storage (may be blocked) */
  const memory = {};
  const KEY = "ocw:" + S.widget;
  const store = {
    get(name, fallback) {
      try {
        const raw = window.localStorage.getItem(KEY + ":" + name);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (e) {
        return name in memory ? memory[name] : fallback;
      }
    },
    set(name, value) {
      memory[name] = value;
      try {
        window.localStorage.setItem(KEY + ":" + name, JSON.stringify(value));
      } catch (e) {
        /* third-party storage blocked: this page view only */
      }
    },
  };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /* ------------------------------------------------------------ state */
  const state = {
    open: false,
    token: null,
    canSend: true,
    started: false,
    identity: null,
    page: "",
    messages: new Map(), // id -> message
    pending: new Map(), // client_id -> outbox item (shown until the server's copy arrives)
    conversations: {}, // id -> status
    outbox: store.get("outbox", []),
    seenAt: store.get("seenAt", null),
    unread: 0,
    receipted: new Set(),
    hasMore: false,
    socket: null,
    ready: false,
    failures: 0,
    polling: null,
    uploads: [], // {id, name, content_type, preview, state}
  };

  /* ------------------------------------------------------------ the parent page */
  function tell(message) {
    if (S.preview || window.parent === window) return;
    // The server framed us only for this origin (CSP frame-ancestors): say nothing to others.
    window.parent.postMessage(Object.assign({ ocw: 1 }, message), S.origin);
  }

  function layout() {
    const phone = window.parent !== window && state.open && state.phone;
    el.body.classList.toggle("phone", !!phone);
    const r = el.launcher.getBoundingClientRect();
    tell({ type: "layout", open: state.open, position: S.position, width: Math.ceil(r.width) + 32, height: Math.ceil(r.height) + 32 });
  }

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || !event.data || event.data.ocw !== 1) return;
    if (S.preview) {
      if (event.origin === location.origin && event.data.type === "preview") applyPreview(event.data.settings || {});
      return;
    }
    if (event.origin !== S.origin) return;
    const m = event.data;
    if (m.type === "init") {
      state.identity = m.user || null;
      state.page = String(m.page || "").slice(0, 500);
      state.phone = !!m.phone;
      if (!state.started) start();
    } else if (m.type === "open") setOpen(true);
    else if (m.type === "close") setOpen(false);
    else if (m.type === "toggle") setOpen(!state.open);
    else if (m.type === "identify") {
      state.identity = m.user || null;
      forget();
      beginSession();
    } else if (m.type === "reset") {
      store.set("token", null);
      store.set("outbox", []);
      state.outbox = [];
      state.identity = null;
      forget();
      beginSession();
    } else if (m.type === "viewport") {
      state.phone = !!m.phone;
      layout();
    }
  });

  /* Another person now (signed in or out on the site): drop what this page shows of the last one. */
  function forget() {
    state.messages.clear();
    state.pending.clear();
    state.conversations = {};
    state.receipted.clear();
    el.log.replaceChildren();
  }

  /* ------------------------------------------------------------ server calls */
  async function call(method, path, body, isForm) {
    const headers = { "X-Widget-Lang": S.lang };
    if (state.token) headers["X-Visitor-Token"] = state.token;
    if (body && !isForm) headers["Content-Type"] = "application/json";
    const response = await fetch(S.api + path, {
      method,
      headers,
      body: body ? (isForm ? body : JSON.stringify(body)) : undefined,
      credentials: "omit",
      cache: "no-store",
    });
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    return { ok: response.ok, status: response.status, data: data || {} };
  }

  function errorText(result) {
    return (result.data && result.data.error && result.data.error.message) || T.error;
  }

  async function beginSession() {
    const result = await call("POST", "session", {
      ticket: S.ticket,
      token: store.get("token", null),
      user: state.identity,
      lang: navigator.language || "",
    }).catch(() => null);
    if (!result || !result.ok) {
      showNotice(result ? errorText(result) : T.offline);
      if (!result || result.status >= 500) setTimeout(beginSession, 5000);
      return;
    }
    const data = result.data;
    const changed = state.token !== data.token;
    state.token = data.token;
    // A socket signed in as the previous visitor must not keep listening: reconnect as this one.
    if (changed && state.socket) state.socket.close();
    state.canSend = data.can_send;
    store.set("token", data.token);
    merge(data.messages, data.conversations);
    state.hasMore = data.has_more;
    el.earlier.hidden = !state.hasMore;
    showPrechat(data.prechat || []);
    if (!state.canSend) showNotice(T.verification_required);
    else hideNotice();
    if (state.seenAt === null) {
      // First visit from this browser: earlier history (another device's) is not news.
      state.seenAt = agentMessages().map((m) => m.at).sort().pop() || "0";
      store.set("seenAt", state.seenAt);
    }
    countUnread();
    if (state.messages.size || state.outbox.length || state.open) connect();
    flush();
  }

  function start() {
    state.started = true;
    el.launcher.hidden = false;
    applyColors(S.color);
    layout();
    beginSession();
  }

  /* ------------------------------------------------------------ rendering */
  function byTime(a, b) {
    return a.at === b.at ? 0 : a.at < b.at ? -1 : 1;
  }

  function merge(messages, conversations) {
    Object.entries(conversations || {}).forEach(([id, c]) => (state.conversations[id] = c.status));
    let fresh = [];
    (messages || []).forEach((m) => {
      if (upsert(m)) fresh.push(m);
    });
    renderDividers();
    return fresh;
  }

  /* Insert or update a message; true when it is new to this page. */
  function upsert(m) {
    const known = state.messages.get(m.id);
    state.messages.set(m.id, m);
    if (m.client_id && state.pending.has(m.client_id)) {
      const node = el.log.querySelector(`[data-client="${m.client_id}"]`);
      if (node) node.remove();
      state.pending.delete(m.client_id);
    }
    const existing = el.log.querySelector(`[data-id="${m.id}"]`);
    const node = renderMessage(m);
    if (existing) existing.replaceWith(node);
    else place(node, m.at);
    refreshButtons();
    return !known;
  }

  function place(node, at) {
    const stick = nearBottom();
    const later = Array.from(el.log.children).find((li) => li.dataset.at && li.dataset.at > at);
    el.log.insertBefore(node, later || null);
    if (stick || !later) scrollDown();
  }

  function renderMessage(m) {
    const li = document.createElement("li");
    li.className = `msg from-${m.from}`;
    li.dataset.id = m.id;
    li.dataset.at = m.at || "";
    li.dataset.conversation = m.conversation_id || "";
    if (m.from !== "visitor") {
      const who = document.createElement("p");
      who.className = "author";
      who.textContent = m.from === "bot" ? T.bot : m.author || T.agent;
      li.append(who);
    } else {
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = T.you + ": ";
      li.append(hidden);
    }
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (m.text) {
      const p = document.createElement("p");
      p.className = "text";
      p.textContent = m.text;
      bubble.append(p);
    }
    (m.attachments || []).forEach((a) => bubble.append(attachment(a)));
    li.append(bubble);
    if (m.from === "bot" && m.buttons && m.buttons.length) {
      const group = document.createElement("div");
      group.className = "buttons";
      m.buttons.forEach((b) => {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.label;
        button.addEventListener("click", () => send(b.label, { node: m.node, index: b.index }));
        group.append(button);
      });
      li.append(group);
    }
    if (m.from === "visitor") li.append(meta(m.seen ? T.seen : T.sent));
    return li;
  }

  function attachment(a) {
    const link = document.createElement("a");
    link.href = a.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    if (isImage(a.content_type)) {
      const img = document.createElement("img");
      img.src = a.url;
      img.alt = a.name || T.image;
      img.loading = "lazy";
      img.addEventListener("load", () => nearBottom(200) && scrollDown());
      link.append(img);
    } else {
      link.className = "file";
      link.setAttribute("download", a.name || "");
      link.textContent = "📎 " + (a.name || T.file);
    }
    return link;
  }

  function meta(text, retry) {
    const p = document.createElement("p");
    p.className = "meta";
    p.textContent = text;
    if (retry) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = T.retry;
      button.addEventListener("click", retry);
      p.append(" ", button);
    }
    return p;
  }

  /* Only the newest message's buttons are offered: older choices are history. */
  function refreshButtons() {
    const last = el.log.querySelector(".msg:last-of-type");
    el.log.querySelectorAll(".buttons").forEach((group) => {
      const current = group.parentElement === last && state.canSend;
      group.classList.toggle("stale", !current);
      group.querySelectorAll("button").forEach((b) => (b.disabled = !current));
    });
  }

  function renderDividers() {
    el.log.querySelectorAll(".divider").forEach((d) => d.remove());
    const items = Array.from(el.log.querySelectorAll(".msg[data-conversation]"));
    items.forEach((li, i) => {
      const id = li.dataset.conversation;
      const next = items[i + 1];
      if (id && state.conversations[id] === "resolved" && (!next || next.dataset.conversation !== id)) {
        const divider = document.createElement("li");
        divider.className = "divider";
        divider.dataset.at = li.dataset.at;
        divider.textContent = T.ended;
        li.after(divider);
      }
    });
  }

  function nearBottom(slack) {
    const s = el.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < (slack || 80);
  }

  function scrollDown() {
    el.scroller.scrollTop = el.scroller.scrollHeight;
  }

  function showNotice(text) {
    el.notice.textContent = text;
    el.notice.hidden = false;
  }

  function hideNotice() {
    el.notice.hidden = true;
  }

  /* ------------------------------------------------------------ pre-chat form */
  function showPrechat(fields) {
    el.prechatFields.replaceChildren();
    el.prechat.hidden = !fields.length;
    el.composer.hidden = !!fields.length || !state.canSend;
    fields.forEach((f) => {
      const wrap = document.createElement("div");
      wrap.className = "field";
      const id = "pc-" + f.key;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = f.label;
      if (!f.required) {
        const hint = document.createElement("span");
        hint.className = "hint";
        hint.textContent = ` (${T.optional})`;
        label.append(hint);
      }
      const input = document.createElement("input");
      input.id = id;
      input.name = f.key;
      input.required = f.required;
      input.type = f.kind === "email" ? "email" : f.kind === "phone" ? "tel" : "text";
      input.autocomplete = { name: "name", email: "email", phone: "tel" }[f.kind] || "off";
      const error = document.createElement("p");
      error.className = "error";
      error.id = id + "-error";
      error.hidden = true;
      input.setAttribute("aria-describedby", error.id);
      wrap.append(label, input, error);
      el.prechatFields.append(wrap);
    });
    if (fields.length && state.open) focusFirst();
  }

  el.prechat.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    let firstBad = null;
    el.prechat.querySelectorAll("input").forEach((input) => {
      values[input.name] = input.value.trim();
      const missing = input.required && !values[input.name];
      fieldError(input, missing ? T.required : "");
      if (missing && !firstBad) firstBad = input;
    });
    if (firstBad) return firstBad.focus();
    const result = await call("POST", "profile", { values }).catch(() => null);
    if (!result) return showNotice(T.offline);
    if (!result.ok) {
      const fields = (result.data.error && result.data.error.fields) || {};
      let focus = null;
      el.prechat.querySelectorAll("input").forEach((input) => {
        fieldError(input, (fields[input.name] || []).join(" "));
        if (fields[input.name] && !focus) focus = input;
      });
      if (focus) focus.focus();
      else showNotice(errorText(result));
      return;
    }
    hideNotice();
    el.prechat.hidden = true;
    el.composer.hidden = false;
    el.text.focus();
  });

  function fieldError(input, text) {
    const error = document.getElementById(input.id + "-error");
    error.textContent = text;
    error.hidden = !text;
    input.setAttribute("aria-invalid", text ? "true" : "false");
    input.parentElement.classList.toggle("invalid", !!text);
  }

  /* ------------------------------------------------------------ sending */
  function send(text, button) {
    text = (text || "").trim();
    const ready = state.uploads.filter((u) => u.id);
    if (!state.canSend || (!text && !ready.length) || state.uploads.some((u) => !u.id && !u.error)) return false;
    const item = {
      client_id: uuid(),
      text,
      uploads: ready.map((u) => u.id),
      files: ready.map((u) => ({ name: u.name, content_type: u.content_type, url: u.preview || "" })),
      button: button || null,
      at: new Date().toISOString(),
    };
    state.uploads = [];
    renderUploads();
    state.outbox.push(item);
    saveOutbox();
    showPending(item, T.sending);
    flush();
    connect();
    return true;
  }

  function saveOutbox() {
    // Blob previews die with the page: keep what a reload needs to resend.
    store.set("outbox", state.outbox.map((i) => Object.assign({}, i, { files: i.files.map((f) => Object.assign({}, f, { url: "" })) })));
  }

  function showPending(item, status, retry) {
    state.pending.set(item.client_id, item);
    const li = renderMessage({ id: "", from: "visitor", text: item.text, at: item.at, attachments: item.files.filter((f) => f.url), conversation_id: "" });
    li.dataset.client = item.client_id;
    li.removeAttribute("data-id");
    li.lastElementChild.replaceWith(meta(status, retry));
    if (retry) li.classList.add("failed");
    const existing = el.log.querySelector(`[data-client="${item.client_id}"]`);
    if (existing) existing.replaceWith(li);
    else place(li, item.at);
  }

  let flushing = false;
  let flushDelay = 1000;
  async function flush() {
    if (flushing || !state.token || !state.outbox.length) return;
    flushing = true;
    try {
      while (state.outbox.length) {
        const item = state.outbox[0];
        if (!state.pending.has(item.client_id)) showPending(item, T.sending);
        const result = await call("POST", "messages", {
          client_id: item.client_id,
          text: item.text,
          uploads: item.uploads,
          button: item.button,
          profile: state.identity ? { name: state.identity.name, email: state.identity.email, phone: state.identity.phone } : null,
          page: state.page,
        }).catch(() => null);
        if (result && result.ok) {
          state.outbox.shift();
          saveOutbox();
          flushDelay = 1000;
          // The stored copy arrives over the socket; if the socket is down, fetch it.
          setTimeout(() => state.pending.has(item.client_id) && catchUp(), state.ready ? 4000 : 1200);
        } else if (result && result.status >= 400 && result.status < 500 && result.status !== 429) {
          state.outbox.shift();
          saveOutbox();
          showPending(item, T.failed + " " + errorText(result), () => {
            state.outbox.push(item);
            saveOutbox();
            showPending(item, T.sending);
            flush();
          });
        } else {
          // Offline, rate limited or a server error: keep it, try again later.
          if (!result) showNotice(T.offline);
          setTimeout(flush, flushDelay);
          flushDelay = Math.min(30000, flushDelay * 2);
          return;
        }
      }
      hideNotice();
    } finally {
      flushing = false;
    }
  }

  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    if (send(el.text.value)) {
      el.text.value = "";
      grow();
      sendTyping(false);
    }
  });

  el.text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.composer.requestSubmit();
    }
  });

  function grow() {
    el.text.style.height = "auto";
    el.text.style.height = Math.min(120, el.text.scrollHeight + 2) + "px";
  }

  el.text.addEventListener("input", () => {
    grow();
    sendTyping(true);
  });

  /* ------------------------------------------------------------ files */
  el.file.addEventListener("change", () => {
    Array.from(el.file.files || []).forEach(upload);
    el.file.value = "";
  });

  async function upload(file) {
    const item = { id: null, name: file.name, content_type: file.type, preview: isImage(file.type) ? URL.createObjectURL(file) : "", error: "" };
    state.uploads.push(item);
    if (S.uploads.accept.length && file.type && !S.uploads.accept.includes(file.type)) item.error = T.not_accepted;
    else if (file.size > S.uploads.max_bytes) item.error = fmt(T.too_large, { name: file.name, limit: Math.round(S.uploads.max_bytes / 1e5) / 10 });
    renderUploads();
    if (item.error) return;
    const form = new FormData();
    form.append("file", file);
    const result = await call("POST", "uploads", form, true).catch(() => null);
    if (result && result.ok) {
      item.id = result.data.id;
      item.content_type = result.data.content_type;
    } else item.error = result ? errorText(result) : T.offline;
    renderUploads();
  }

  function renderUploads() {
    el.files.replaceChildren();
    state.uploads.forEach((u) => {
      const li = document.createElement("li");
      if (u.preview) {
        const img = document.createElement("img");
        img.src = u.preview;
        img.alt = "";
        li.append(img);
      }
      const name = document.createElement("span");
      name.textContent = u.error ? `${u.name}: ${u.error}` : u.id ? u.name : fmt(T.uploading, { name: u.name });
      if (u.error) name.className = "error";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", fmt(T.remove_file, { name: u.name }));
      remove.addEventListener("click", () => {
        state.uploads = state.uploads.filter((x) => x !== u);
        renderUploads();
        el.text.focus();
      });
      li.append(name, remove);
      el.files.append(li);
    });
  }

  /* ------------------------------------------------------------ live: socket, polling */
  let reconnectTimer = null;
  function connect() {
    if (!state.token || state.socket || S.preview) return;
    if (!("WebSocket" in window)) return startPolling();
    let socket;
    try {
      socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${S.ws}`);
    } catch (e) {
      return startPolling();
    }
    state.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: state.token }));
    socket.onmessage = (event) => {
      let m;
      try {
        m = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (m.type === "ready") {
        const resumed = state.failures > 0 || state.polling;
        state.ready = true;
        state.failures = 0;
        stopPolling();
        hideNotice();
        if (resumed || state.messages.size) catchUp();
      } else if (m.type === "message") arrived([m.message]);
      else if (m.type === "typing") showTyping(m);
      else if (m.type === "seen") markSeen(m.conversation_id);
      else if (m.type === "conversation") {
        state.conversations[m.conversation_id] = m.status;
        renderDividers();
      }
    };
    socket.onclose = () => {
      if (!state.ready) state.failures += 1;
      state.socket = null;
      state.ready = false;
      if (state.failures >= 3) startPolling();
      const delay = Math.min(30000, 800 * 2 ** Math.min(state.failures, 5)) * (0.75 + Math.random() * 0.5);
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, delay);
    };
  }

  function startPolling() {
    if (state.polling) return;
    const tick = () => {
      catchUp();
      state.polling = setTimeout(tick, state.open ? 3000 : 10000);
    };
    state.polling = setTimeout(tick, 0);
  }

  function stopPolling() {
    clearTimeout(state.polling);
    state.polling = null;
  }

  async function catchUp() {
    if (!state.token) return;
    const result = await call("GET", "messages").catch(() => null);
    if (!result || !result.ok) return;
    // Polling has no socket to hear "typing" on: the poll says who is typing right now.
    if (state.polling && result.data.typing) showTyping({ typing: true, name: result.data.typing });
    arrived(result.data.messages, result.data.conversations);
  }

  function arrived(messages, conversations) {
    const fresh = merge(messages, conversations).filter((m) => m.from !== "visitor");
    if (!fresh.length) return;
    el.typing.textContent = "";
    const visible = state.open && document.visibilityState === "visible";
    if (visible) markAllRead();
    else {
      receipt("delivered", fresh);
      countUnread();
      if (!state.open) chime();
    }
  }

  el.earlier.addEventListener("click", async () => {
    const first = Array.from(state.messages.values()).sort(byTime)[0];
    if (!first) return;
    const top = el.scroller.scrollHeight;
    const result = await call("GET", "messages?before=" + encodeURIComponent(first.id)).catch(() => null);
    if (!result || !result.ok) return;
    merge(result.data.messages, result.data.conversations);
    state.hasMore = result.data.has_more;
    el.earlier.hidden = !state.hasMore;
    el.scroller.scrollTop = el.scroller.scrollHeight - top;
  });

  /* ------------------------------------------------------------ typing */
  let lastTyping = 0;
  function sendTyping(typing) {
    const now = Date.now();
    if (typing && now - lastTyping < 2000) return;
    if (state.ready) state.socket.send(JSON.stringify({ type: "typing", typing }));
    else if (state.polling && state.token) call("POST", "typing", { typing }).catch(() => null);
    else return;
    lastTyping = typing ? now : 0;
  }

  let typingTimer = null;
  function showTyping(m) {
    clearTimeout(typingTimer);
    el.typing.textContent = m.typing ? (m.name ? fmt(T.typing, { name: m.name }) : T.someone_typing) : "";
    if (m.typing) typingTimer = setTimeout(() => (el.typing.textContent = ""), 5000);
  }

  /* ------------------------------------------------------------ read state and attention */
  function markSeen(conversationId) {
    state.messages.forEach((m) => {
      if (m.from === "visitor" && m.conversation_id === conversationId && !m.seen) {
        m.seen = true;
        upsert(m);
      }
    });
  }

  function agentMessages() {
    return Array.from(state.messages.values()).filter((m) => m.from !== "visitor");
  }

  function receipt(kind, messages) {
    const ids = messages.map((m) => m.id).filter((id) => !state.receipted.has(kind + id));
    if (!ids.length || !state.token || S.preview) return;
    ids.forEach((id) => state.receipted.add(kind + id));
    call("POST", "receipts", { state: kind, message_ids: ids }).catch(() => ids.forEach((id) => state.receipted.delete(kind + id)));
  }

  function countUnread() {
    state.unread = agentMessages().filter((m) => m.at > state.seenAt).length;
    if (state.open && document.visibilityState === "visible") markAllRead();
    showBadge();
  }

  function markAllRead() {
    const agents = agentMessages();
    if (agents.length) {
      state.seenAt = agents.map((m) => m.at).sort().pop();
      store.set("seenAt", state.seenAt);
      receipt("read", agents.slice(-50));
    }
    state.unread = 0;
    showBadge();
  }

  function showBadge() {
    const n = state.unread;
    el.badge.hidden = !n;
    el.badge.textContent = n > 99 ? "99+" : String(n);
    // The accessible name starts with the visible launcher text (WCAG "label in name").
    const name = el.launcherText.textContent ? `${el.launcherText.textContent}: ${T.open}` : T.open;
    el.launcher.setAttribute("aria-label", n ? `${name} (${fmt(n === 1 ? T.unread_one : T.unread_many, { count: n })})` : name);
    tell({ type: "unread", count: n });
  }

  let audio = null;
  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const t = audio.currentTime;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.setValueAtTime(880, t);
      osc.frequency.setValueAtTime(1320, t + 0.12);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.4);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.42);
    } catch (e) {
      /* no audio allowed here: the badge and the page title still tell */
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (state.open && document.visibilityState === "visible") markAllRead();
  });

  /* ------------------------------------------------------------ open and close */
  function focusFirst() {
    const target = !el.prechat.hidden ? el.prechat.querySelector("input") : !el.composer.hidden ? el.text : el.close;
    if (target) target.focus();
  }

  function setOpen(open) {
    if (open === state.open) return;
    const hadFocus = el.panel.contains(document.activeElement);
    state.open = open;
    el.panel.hidden = !open;
    el.launcher.hidden = open;
    el.body.classList.toggle("closed", !open);
    el.launcher.setAttribute("aria-expanded", String(open));
    layout();
    if (open) {
      connect();
      markAllRead();
      scrollDown();
      setTimeout(focusFirst, 30);
    } else {
      if (hadFocus) el.launcher.focus();
      sendTyping(false);
    }
  }

  el.launcher.addEventListener("click", () => setOpen(true));
  el.close.addEventListener("click", () => setOpen(false));
  el.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });

  /* ------------------------------------------------------------ appearance and preview */
  function applyColors(color) {
    if (!/^#[0-9a-fA-F]{6}$/.test(color || "")) return;
    const n = parseInt(color.slice(1), 16);
    const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    const light = 0.299 * r + 0.587 * g + 0.114 * b > 170;
    document.documentElement.style.setProperty("--accent", color);
    document.documentElement.style.setProperty("--accent-ink", light ? "#1d2330" : "#ffffff");
  }

  function applyPreview(p) {
    if ("color" in p) applyColors(p.color);
    if ("title" in p) el.title.textContent = p.title || S.title;
    if ("greeting" in p) {
      el.greeting.textContent = p.greeting;
      el.greeting.hidden = !p.greeting;
    }
    if ("launcher_text" in p) el.launcherText.textContent = p.launcher_text;
    if ("position" in p) {
      el.body.classList.toggle("pos-left", p.position === "left");
      el.body.classList.toggle("pos-right", p.position !== "left");
    }
    if ("away_message" in p) el.away.textContent = p.away_message || S.away_message;
    if ("show_away" in p) el.away.hidden = !p.show_away;
  }

  function startPreview() {
    applyColors(S.color);
    el.panel.hidden = false;
    el.launcher.hidden = false;
    el.launcher.tabIndex = -1;
    el.composer.hidden = false;
    const now = new Date();
    const at = (minutes) => new Date(now.getTime() - minutes * 60000).toISOString();
    merge([
      { id: "p1", from: "visitor", text: T.preview_visitor, at: at(3), seen: true, attachments: [] },
      { id: "p2", from: "agent", author: T.preview_agent_name, text: T.preview_agent, at: at(2), attachments: [] },
    ]);
    el.text.disabled = true;
  }

  if (S.preview) startPreview();
  else if (window.parent === window) {
    // Opened on its own rather than inside a site: there is nothing to show.
    el.body.classList.add("blocked");
  } else tell({ type: "hello", position: S.position });
})();
