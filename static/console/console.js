/* Agent console behaviour: the live socket, list and timeline updates, composer niceties.
 * Markup always comes from the server (the same partials as the full page); this file only
 * decides when to fetch which fragment. */
(function () {
  "use strict";

  /* ---------------------------------------------------------------- every page (sign-in too) */
  // A select marked data-autosubmit submits its form when changed (no inline handlers: the
  // markup stays valid under a strict Content-Security-Policy). htmx forms get an htmx submit.
  document.addEventListener("change", (e) => {
    const select = e.target.closest && e.target.closest("[data-autosubmit]");
    if (!select || !select.form) return;
    // data-autosubmit="choose": submit as if the form's button of that value were pressed.
    const value = select.dataset.autosubmit;
    const submitter = value ? select.form.querySelector(`button[value="${CSS.escape(value)}"]`) : null;
    select.form.requestSubmit(submitter);
  });
  // Destructive buttons and forms ask first: data-confirm holds the question.
  document.addEventListener(
    "submit",
    (e) => {
      const form = e.target;
      const submitter = e.submitter;
      const question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
      if (question && !window.confirm(question)) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    },
    true
  );
  // Menus made of <details>: one open at a time, closed by Escape or a click elsewhere.
  document.addEventListener("click", (e) => {
    document.querySelectorAll("details.menu[open], details.account[open], details.snooze[open], details.label-picker[open]").forEach((d) => {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });
  // A popover (snooze, labels) opens where it fits: inside the window, clear of the nav rail
  // beside the page (on a phone the rail is a bar on top), scrolling inside when it is too tall.
  document.addEventListener(
    "toggle",
    (e) => {
      const details = e.target;
      if (!(details instanceof HTMLDetailsElement) || !details.open) return;
      const popover = details.querySelector(":scope > .popover");
      if (popover) keepInView(popover);
    },
    true
  );
  function keepInView(popover) {
    popover.style.translate = "";
    popover.style.maxHeight = "";
    const box = popover.getBoundingClientRect();
    const rail = document.querySelector(".rail");
    const railBox = rail ? rail.getBoundingClientRect() : null;
    const gap = 8;
    const minLeft = (railBox && railBox.height > railBox.width ? railBox.right : 0) + gap;
    const maxRight = document.documentElement.clientWidth - gap;
    let shift = 0;
    if (box.right > maxRight) shift = maxRight - box.right;
    if (box.left + shift < minLeft) shift = minLeft - box.left;
    if (shift) popover.style.translate = `${Math.round(shift)}px 0`;
    const room = window.innerHeight - box.top - gap;
    if (box.height > room) popover.style.maxHeight = `${Math.max(160, Math.floor(room))}px`;
  }
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    const open = document.activeElement && document.activeElement.closest("details[open]");
    if (open) {
      open.removeAttribute("open");
      const summary = open.querySelector("summary");
      if (summary) summary.focus();
    }
  });

  // The conversation list by keyboard: arrows (and Home/End) move between rows, Enter opens.
  document.addEventListener("keydown", (e) => {
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(e.key) || e.altKey || e.ctrlKey || e.metaKey) return;
    const current = document.activeElement && document.activeElement.closest("#conversation-list .row > a");
    if (!current) return;
    const links = Array.from(document.querySelectorAll("#conversation-list .row > a"));
    const at = links.indexOf(current);
    const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: links.length - 1 }[e.key];
    if (next < 0 || next >= links.length) return;
    e.preventDefault();
    links[next].focus();
    links[next].scrollIntoView({ block: "nearest" });
  });

  const app = document.querySelector(".app");
  if (!app) return;
  const statusEl = document.getElementById("live-status");
  const baseTitle = document.title;
  const strings = JSON.parse((document.getElementById("console-i18n") || {}).textContent || "{}");
  const t = (s) => strings[s] || s;

  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "4..", swap: true, error: false },
    { code: "5..", swap: false, error: true },
  ];

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function fragment(url) {
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (!response.ok) return null;
    return response.text();
  }

  function fromHTML(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function openConversationId() {
    const el = document.getElementById("conversation");
    return el ? el.dataset.conversation : null;
  }

  /* ---------------------------------------------------------------- list updates */
  function listQuery() {
    const list = document.getElementById("conversation-list");
    return list ? list.dataset.query || "" : null;
  }

  async function refreshRow(conversationId, moveToTop) {
    const query = listQuery();
    if (query === null) return;
    const html = await fragment(`/conversations/${conversationId}/row/?${query}`);
    if (html === null) return;
    const rows = document.querySelector("#conversation-list .rows");
    const existing = document.getElementById(`row-${conversationId}`);
    const fresh = html.trim() ? fromHTML(html) : null;
    if (!fresh) {
      if (existing) existing.remove();
      return;
    }
    if (openConversationId() === conversationId) fresh.classList.add("current");
    if (existing && !moveToTop) {
      existing.replaceWith(fresh);
    } else {
      if (existing) existing.remove();
      rows.prepend(fresh);
      fresh.classList.add("flash");
    }
    htmx.process(fresh);
    const empty = document.querySelector("#conversation-list .empty");
    if (empty) empty.remove();
  }

  /* ---------------------------------------------------------------- timeline updates */
  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 120;
  }

  function scrollToBottom() {
    const timeline = document.getElementById("timeline");
    if (timeline) timeline.scrollTop = timeline.scrollHeight;
  }

  async function upsertMessage(messageId) {
    const timeline = document.getElementById("timeline");
    if (!timeline) return;
    const html = await fragment(`/messages/${messageId}/`);
    if (!html) return;
    const fresh = fromHTML(html);
    const existing = document.getElementById(`msg-${messageId}`);
    const stick = nearBottom(timeline);
    if (existing) existing.replaceWith(fresh);
    else timeline.append(fresh);
    htmx.process(fresh);
    if (stick || !existing) scrollToBottom();
  }

  // A live update must not snatch a menu from under the agent's pointer: while a popover of the
  // header (snooze, labels) is open, the refresh waits until it closes.
  let headerRefreshPending = null;
  document.addEventListener(
    "toggle",
    (e) => {
      if (e.target.open || !headerRefreshPending || !e.target.closest("#conv-header")) return;
      const id = headerRefreshPending;
      headerRefreshPending = null;
      refreshHeader(id);
    },
    true
  );

  async function refreshHeader(conversationId) {
    const header = document.getElementById("conv-header");
    if (!header) return;
    if (header.querySelector("details[open]")) {
      headerRefreshPending = conversationId;
      return;
    }
    const html = await fragment(`/conversations/${conversationId}/header/`);
    if (html) {
      const current = document.getElementById("conv-header");
      if (!current) return;
      if (current.querySelector("details[open]")) {
        headerRefreshPending = conversationId;
        return;
      }
      const fresh = fromHTML(html);
      current.replaceWith(fresh);
      htmx.process(fresh);
    }
  }

  async function resyncTimeline() {
    const id = openConversationId();
    const timeline = document.getElementById("timeline");
    if (!id || !timeline) return;
    const html = await fragment(`/conversations/${id}/timeline/`);
    if (html) {
      const fresh = fromHTML(html);
      timeline.replaceWith(fresh);
      htmx.process(fresh);
      scrollToBottom();
    }
    refreshHeader(id);
  }

  /* ---------------------------------------------------------------- attention */
  let unreadTotal = 0;
  async function refreshUnread() {
    try {
      const response = await fetch("/inbox/unread/", { credentials: "same-origin" });
      if (!response.ok) return;
      unreadTotal = (await response.json()).total;
      document.title = unreadTotal ? `(${unreadTotal}) ${baseTitle}` : baseTitle;
    } catch (e) {
      /* offline: the next event or reconnect refreshes it */
    }
  }

  function notify(data) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && openConversationId() === data.conversation_id) return;
    if (!data.mine && !data.unassigned) return;
    const n = new Notification(t("New message"), { body: data.contact_name || "", tag: data.conversation_id });
    n.onclick = () => {
      window.focus();
      window.location.href = `/conversations/${data.conversation_id}/`;
    };
  }

  document.addEventListener(
    "click",
    () => {
      if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
    },
    { once: true }
  );

  /* ---------------------------------------------------------------- the socket */
  let socket = null;
  let attempts = 0;
  let everConnected = false;
  const typingTimers = {};

  function setStatus(text, offline) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.toggle("offline", !!offline);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${app.dataset.wsUrl}`);
    socket.onopen = () => {
      attempts = 0;
      setStatus("", false);
      const id = openConversationId();
      if (id) socket.send(JSON.stringify({ type: "subscribe", conversation_id: id }));
      if (everConnected) {
        // Whatever happened while we were away: fetch the current state instead of replaying.
        document.body.dispatchEvent(new Event("resync"));
        resyncTimeline();
      }
      everConnected = true;
      refreshUnread();
    };
    socket.onmessage = (event) => handle(JSON.parse(event.data));
    socket.onclose = () => {
      attempts += 1;
      const delay = Math.min(30000, 500 * 2 ** Math.min(attempts, 6)) * (0.75 + Math.random() * 0.5);
      setStatus(t("Reconnecting…"), true);
      setTimeout(connect, delay);
    };
  }

  function handle(message) {
    if (message.type === "typing") return showTyping(message);
    if (message.type !== "event") return;
    const data = message.data || {};
    const name = message.event;
    const id = data.conversation_id;
    if (!id) return;
    const open = openConversationId() === id;
    if (name.startsWith("message.")) {
      refreshRow(id, name === "message.received" || name === "message.created");
      if (open) upsertMessage(data.message_id);
      // A new message ends whatever typing led to it (a lost "stopped typing" included).
      if (open && (name === "message.created" || name === "message.received")) clearTyping();
      if (name === "message.received") {
        refreshUnread();
        notify(data);
      }
    } else if (name.startsWith("conversation.")) {
      refreshRow(id, false);
      refreshUnread();
      if (open) {
        refreshHeader(id);
        if (name !== "conversation.updated") resyncTimeline();
      }
      if (name === "conversation.created") notify(data);
    }
  }

  function showTyping(message) {
    if (message.conversation_id !== openConversationId()) return;
    const el = document.getElementById("typing");
    if (!el) return;
    clearTimeout(typingTimers[message.user_id]);
    if (!message.typing) {
      el.textContent = "";
      return;
    }
    el.textContent = t("%s is typing…").replace("%s", message.name);
    typingTimers[message.user_id] = setTimeout(() => (el.textContent = ""), 4000);
  }

  let lastTypingSent = 0;
  function sendTyping(conversationId) {
    const now = Date.now();
    if (!socket || socket.readyState !== WebSocket.OPEN || now - lastTypingSent < 2000) return;
    lastTypingSent = now;
    socket.send(JSON.stringify({ type: "typing", conversation_id: conversationId, typing: true }));
  }

  // Sent: the others stop seeing "typing…" now, not when their 4-second timer runs out.
  function stopTyping(conversationId) {
    lastTypingSent = 0;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "typing", conversation_id: conversationId, typing: false }));
  }

  function clearTyping() {
    Object.values(typingTimers).forEach(clearTimeout);
    const el = document.getElementById("typing");
    if (el) el.textContent = "";
  }

  /* ---------------------------------------------------------------- composer */
  function setupComposer(root) {
    const form = root.querySelector ? root.querySelector("#composer") : null;
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    const id = form.dataset.conversation;
    const text = form.querySelector("textarea");
    const privateBox = form.querySelector("#composer-private");
    const files = form.querySelector("#composer-files");
    const fileNames = form.querySelector("#composer-file-names");
    const suggestions = form.querySelector("#canned-suggestions");
    const canned = JSON.parse((document.getElementById("canned-data") || {}).textContent || "[]");
    const draftKey = `draft:${id}`;
    let selected = 0;

    text.value = localStorage.getItem(draftKey) || "";
    const syncPrivate = () => form.classList.toggle("private-mode", privateBox.checked);
    privateBox.addEventListener("change", syncPrivate);
    syncPrivate();
    files.addEventListener("change", () => {
      fileNames.textContent = Array.from(files.files).map((f) => f.name).join(", ");
    });

    function matches() {
      const m = text.value.match(/^\/(\S*)$/);
      if (!m) return [];
      return canned.filter((c) => c.shortcut.startsWith(m[1].toLowerCase())).slice(0, 8);
    }
    function renderSuggestions() {
      const found = matches();
      suggestions.replaceChildren();
      if (!found.length) {
        suggestions.hidden = true;
        return;
      }
      selected = Math.min(selected, found.length - 1);
      found.forEach((c, index) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", index === selected ? "true" : "false");
        const strong = document.createElement("strong");
        strong.textContent = `/${c.shortcut}`;
        li.append(strong, document.createTextNode(c.content.slice(0, 80)));
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          insert(c);
        });
        suggestions.append(li);
      });
      suggestions.hidden = false;
    }
    function insert(c) {
      text.value = c.content;
      suggestions.hidden = true;
      localStorage.setItem(draftKey, text.value);
      text.focus();
    }

    text.addEventListener("input", () => {
      localStorage.setItem(draftKey, text.value);
      selected = 0;
      renderSuggestions();
      if (!privateBox.checked) sendTyping(id);
    });
    text.addEventListener("keydown", (e) => {
      if (!suggestions.hidden) {
        const found = matches();
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          selected = (selected + (e.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
          renderSuggestions();
          return;
        }
        if (e.key === "Enter" || e.key === "Tab") {
          e.preventDefault();
          insert(found[selected]);
          return;
        }
        if (e.key === "Escape") {
          suggestions.hidden = true;
          return;
        }
      }
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (text.value.trim() || files.files.length) form.requestSubmit();
      }
    });
    form.addEventListener("htmx:afterRequest", (e) => {
      if (e.detail.elt !== form) return;
      if (e.detail.successful && e.detail.xhr.status < 300) {
        text.value = "";
        files.value = "";
        fileNames.textContent = "";
        localStorage.removeItem(draftKey);
        scrollToBottom();
        stopTyping(id);
      }
    });
    scrollToBottom();
    // Not on touch screens: the keyboard would cover the conversation the agent came to read.
    if (window.matchMedia("(pointer: fine)").matches) text.focus();
  }

  function onConversationShown() {
    setupComposer(document);
    const id = openConversationId();
    // On a phone the list and the conversation take turns on the screen.
    const main = document.getElementById("main");
    if (main && main.classList.contains("inbox")) main.classList.toggle("has-conversation", !!id);
    if (id && socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "subscribe", conversation_id: id }));
    document.querySelectorAll("#conversation-list .row").forEach((row) => row.classList.toggle("current", row.dataset.conversation === id));
  }

  // The composer's answer is the new message (several when files go one per message); any the
  // live event put there first is replaced, not doubled.
  // (htmx fires beforeSwap on the swap target, the timeline, so listen at the document.)
  document.body.addEventListener("htmx:beforeSwap", (e) => {
    const elt = e.detail.requestConfig && e.detail.requestConfig.elt;
    if (!elt || elt.id !== "composer" || e.detail.xhr.status >= 300) return;
    const template = document.createElement("template");
    template.innerHTML = (e.detail.serverResponse || "").trim();
    const incoming = Array.from(template.content.children);
    if (!incoming.some((item) => item.id && document.getElementById(item.id))) return;
    const timeline = document.getElementById("timeline");
    incoming.forEach((item) => {
      const existing = item.id ? document.getElementById(item.id) : null;
      if (existing) existing.replaceWith(item);
      else if (timeline) timeline.append(item);
      htmx.process(item);
    });
    e.detail.shouldSwap = false;
  });

  // A refusal ("Write a message or attach a file.") is about the last try only: the next action
  // that succeeds in this conversation (a send, a retry, resolve, snooze, assign, labels) clears it,
  // under the composer and under the header alike. Marking the conversation read is no action.
  // (When the answer replaced the form, htmx fires afterRequest again on an ancestor still in the
  // page, so the event's target, not detail.elt, says where the action was.)
  document.body.addEventListener("htmx:afterRequest", (e) => {
    const conversation = document.getElementById("conversation");
    const config = e.detail.requestConfig;
    if (!conversation || !config || config.verb === "get" || !e.detail.successful || e.detail.xhr.status >= 300) return;
    if (e.detail.elt === conversation || !conversation.contains(e.target)) return;
    document.querySelectorAll("#composer-error, #header-error").forEach((el) => el.replaceChildren());
  });

  /* ---------------------------------------------------------------- the inbox's address */
  // The view and filters live in the address (the list's answer carries HX-Push-Url). htmx keeps
  // each page for back/forward as HTML taken when the next filter was already picked, so after
  // going back the controls are set again from the list shown: the query that made it.
  document.body.addEventListener("htmx:historyRestore", () => {
    // The saved HTML says the composer was set up, but its listeners did not come back with it.
    const composer = document.getElementById("composer");
    if (composer) delete composer.dataset.ready;
    onConversationShown();
    const form = document.querySelector("form.filters");
    const query = listQuery();
    if (!form || query === null) return;
    const params = new URLSearchParams(query);
    form.querySelectorAll("input[type=radio]").forEach((radio) => {
      radio.checked = radio.value === params.get(radio.name);
    });
    form.querySelectorAll("select").forEach((select) => {
      select.value = params.get(select.name) || "";
    });
  });
  // "Back to the list" (on a phone) goes to the list as it is filtered now, whatever header
  // fragment the link came in.
  document.addEventListener("click", (e) => {
    const back = e.target.closest && e.target.closest(".conv-header a.back");
    const query = listQuery();
    if (back && query !== null) back.href = `/inbox/${query ? `?${query}` : ""}`;
  });

  document.body.addEventListener("htmx:afterSettle", (e) => {
    if (e.detail.target && (e.detail.target.id === "conversation-pane" || e.detail.target.closest("#conversation-pane"))) onConversationShown();
  });
  document.addEventListener("DOMContentLoaded", onConversationShown);
  if (document.readyState !== "loading") onConversationShown();
  connect();
})();
