// Psoas Coach web chat: a thin socket.io client for our Rasa channel.
// Every piece of server text goes through textContent, never innerHTML.
(function () {
  "use strict";

  var MAX_LEN = 1000;
  var COUNTER_FROM = 800; // only show the counter when the limit starts to matter
  var SESSION_KEY = "psoas-coach.session-id";
  var VOICE_KEY = "psoas-coach.voice";
  var SERIOUS = { emergency: 3, crisis: 3, urgent: 2 };
  var PHASES = {
    get_ready: "Get ready", hold: "Hold", halfway: "Halfway", rest: "Rest",
    switch_sides: "Switch sides", done: "Done"
  };

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    status: $("status"), messages: $("messages"), form: $("composer"),
    input: $("input"), send: $("send"), counter: $("counter"),
    banner: $("safety-banner"), panel: $("session-panel"),
    exercise: $("session-title"), phase: $("session-phase"), side: $("session-side"),
    countdown: $("session-countdown"), hide: $("session-hide"),
    voice: $("voice-toggle"), voiceWrap: $("voice-toggle-wrap")
  };

  // localStorage can throw (private mode, disabled storage); the chat must still work.
  function store(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      window.localStorage.setItem(key, value);
    } catch (e) { /* fall through: in-memory only */ }
    return null;
  }

  function newSessionId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not (e.g. http on a LAN IP).
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  var sessionId = store(SESSION_KEY);
  if (!sessionId) { sessionId = newSessionId(); store(SESSION_KEY, sessionId); }
  var bannerKey = "psoas-coach.banner." + sessionId;
  var exerciseNames = {}; // id -> display name, learned from recommendation cards

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text); // CSS pre-wrap keeps line breaks
    return node;
  }

  function humanize(id) {
    var s = String(id || "").replace(/[_-]+/g, " ").trim();
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function nearBottom() {
    var m = els.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
  }

  // Don't yank the view away from someone reading earlier messages.
  function append(node, force) {
    var stick = force || nearBottom();
    els.messages.appendChild(node);
    // Instant, on the log only: smooth scrolling lags behind bursts of bot messages (breaking
    // nearBottom), and scrollIntoView would also scroll the page on small screens.
    if (stick) els.messages.scrollTop = els.messages.scrollHeight;
    return node;
  }

  // The log shrinks when the textarea grows, the banner appears or a phone keyboard opens;
  // whoever was reading the latest message should still see it afterwards.
  var pinned = true;
  els.messages.addEventListener("scroll", function () { pinned = nearBottom(); });
  if ("ResizeObserver" in window) {
    new ResizeObserver(function () {
      if (pinned) els.messages.scrollTop = els.messages.scrollHeight;
    }).observe(els.messages);
  }

  function bubble(who, text) {
    var item = el("div", "msg msg-" + who);
    item.appendChild(el("span", "sr-only", who === "user" ? "You: " : "Coach: "));
    if (text) item.appendChild(el("p", "msg-text", text));
    return item;
  }

  // ---- Connection -------------------------------------------------------
  var socket = null;

  function setStatus(state, label) {
    els.status.dataset.state = state;
    els.status.textContent = label;
    els.send.disabled = state !== "connected";
  }

  function connected() { return !!(socket && socket.connected); }

  if (typeof window.io !== "function") {
    setStatus("disconnected", "Disconnected — chat client failed to load");
  } else {
    setStatus("connecting", "Connecting…");
    socket = io({ path: "/socket.io", transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      setStatus("connected", "Connected");
      // Re-sent on every reconnect so the server re-binds this socket to our conversation.
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", function () {
      setStatus("connected", "Connected");
      // A new conversation: let the coach introduce itself (and say it is not a medical
      // service) before the user has to guess what to type. Once per conversation.
      var greetedKey = "psoasCoach.greeted." + sessionId;
      if (!store(greetedKey)) {
        store(greetedKey, "1");
        socket.emit("user_uttered", { message: "/greet", session_id: sessionId });
      }
    });
    socket.on("disconnect", function (reason) {
      setStatus("disconnected", "Disconnected — reconnecting…");
      // socket.io does not retry by itself after a server-side disconnect.
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", function () {
      setStatus("disconnected", "Disconnected — reconnecting…");
    });
    socket.on("bot_uttered", renderBotMessage);
  }

  // ---- Sending ----------------------------------------------------------
  // Returns true when the message left; never buffers (socket.io would, silently).
  function sendMessage(message, shownText) {
    var item = append(bubble("user", shownText), true);
    if (!connected()) {
      item.classList.add("msg-failed");
      item.appendChild(el("p", "msg-note", "Not sent: reconnecting…"));
      return false;
    }
    socket.emit("user_uttered", { message: message, session_id: sessionId });
    disableOldQuickReplies();
    return true;
  }

  function submitInput() {
    var text = els.input.value.trim();
    if (!text) return;
    if (text.length > MAX_LEN) { updateCounter(); return; }
    // Keep the text on failure so the person can simply send it again once reconnected.
    if (sendMessage(text, text)) {
      els.input.value = "";
      updateCounter();
      autoGrow();
    }
  }

  function updateCounter() {
    var len = els.input.value.length;
    els.counter.hidden = len < COUNTER_FROM;
    els.counter.textContent = len + " / " + MAX_LEN;
    els.counter.classList.toggle("counter-full", len >= MAX_LEN);
  }

  function autoGrow() {
    els.input.style.height = "auto";
    els.input.style.height = els.input.scrollHeight + 2 + "px"; // CSS max-height caps it
  }

  els.form.addEventListener("submit", function (e) { e.preventDefault(); submitInput(); });
  els.input.addEventListener("input", function () { updateCounter(); autoGrow(); });
  els.input.addEventListener("keydown", function (e) {
    // isComposing: Enter also confirms IME input (e.g. Japanese) and must not send then.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submitInput();
    }
  });

  // Old answer buttons would answer a question the bot has moved past.
  function disableOldQuickReplies() {
    var groups = els.messages.querySelectorAll(".quick-replies:not(.used)");
    Array.prototype.forEach.call(groups, function (g) {
      g.classList.add("used");
      Array.prototype.forEach.call(g.querySelectorAll("button"), function (b) { b.disabled = true; });
    });
  }

  function quickReplies(replies) {
    var group = el("div", "quick-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    replies.forEach(function (r) {
      if (!r || r.payload == null) return;
      var title = r.title != null ? r.title : r.payload;
      var b = el("button", "quick-reply", title);
      b.type = "button";
      b.addEventListener("click", function () { sendMessage(String(r.payload), String(title)); });
      group.appendChild(b);
    });
    return group;
  }

  // ---- Receiving --------------------------------------------------------
  function renderBotMessage(data) {
    if (!data || typeof data !== "object") return;
    var custom = data.custom && typeof data.custom === "object" ? data.custom : null;
    var hasReplies = Array.isArray(data.quick_replies) && data.quick_replies.length > 0;
    if (!data.text && !custom && !hasReplies) return;

    var item = bubble("bot", data.text);
    if (custom && custom.type === "recommendation") item.appendChild(recommendationCard(custom));
    if (custom && custom.type === "safety") renderSafety(custom, data.text, item);
    if (hasReplies) item.appendChild(quickReplies(data.quick_replies));
    append(item);
    if (custom && custom.type === "session_step") renderStep(custom, data.text);
  }

  function recommendationCard(c) {
    var card = el("div", "card");
    card.appendChild(el("h3", "card-title", "Suggested exercises"));
    var list = el("ul", "card-list");
    (c.exercises || []).forEach(function (ex) {
      if (!ex) return;
      var name = ex.name || humanize(ex.id);
      if (ex.id) exerciseNames[ex.id] = name;
      var li = el("li");
      li.appendChild(el("strong", null, name));
      if (ex.reason) li.appendChild(el("span", "card-reason", ex.reason));
      list.appendChild(li);
    });
    card.appendChild(list);
    var excluded = (c.excluded || []).filter(Boolean);
    if (excluded.length) {
      card.appendChild(el("h4", "card-subtitle", "Left out"));
      var out = el("ul", "card-list card-muted");
      excluded.forEach(function (ex) {
        out.appendChild(el("li", null, humanize(ex.id) + (ex.reason ? " — " + ex.reason : "")));
      });
      card.appendChild(out);
    }
    return card;
  }

  function renderSafety(c, text, item) {
    var rank = SERIOUS[c.urgency];
    if (!rank) return;
    var level = rank >= 3 ? "danger" : "warning";
    item.classList.add("msg-alert", "msg-alert-" + level);
    showBanner({ text: text || "Please stop and seek help now.", level: level, rank: rank }, true);
  }

  // A later, milder alert must not hide a more serious one still on screen.
  function showBanner(b, save) {
    var current = Number(els.banner.dataset.rank || 0);
    if (b.rank < current) return;
    els.banner.dataset.rank = b.rank;
    els.banner.className = "safety-banner safety-" + b.level;
    els.banner.textContent = b.text;
    els.banner.hidden = false;
    // Survives a reload, just like the conversation itself.
    if (save) store(bannerKey, JSON.stringify(b));
  }

  try {
    var saved = JSON.parse(store(bannerKey) || "null");
    if (saved && saved.text) showBanner(saved, false);
  } catch (e) { /* ignore a corrupt entry */ }

  // ---- Guided session ---------------------------------------------------
  var timer = null;
  var endsAt = 0;

  function formatSeconds(s) {
    var m = Math.floor(s / 60), r = s % 60;
    return m ? m + ":" + (r < 10 ? "0" : "") + r : String(s);
  }

  // Computed from a deadline rather than counted down, so throttled background tabs stay accurate.
  function tick() {
    var left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
    els.countdown.textContent = formatSeconds(left);
    if (left === 0) { clearInterval(timer); timer = null; }
  }

  function renderStep(c, text) {
    var phase = PHASES[c.phase] || humanize(c.phase);
    els.panel.hidden = false;
    els.panel.dataset.phase = c.phase || "";
    els.exercise.textContent = exerciseNames[c.exercise_id] || humanize(c.exercise_id) || "Session";
    els.phase.textContent = phase;
    els.side.textContent = c.side === "left" || c.side === "right" ? " · " + humanize(c.side) + " side" : "";
    if (timer) { clearInterval(timer); timer = null; }
    var secs = Number(c.seconds);
    if (c.phase !== "done" && isFinite(secs) && secs > 0) {
      endsAt = Date.now() + secs * 1000;
      tick();
      timer = setInterval(tick, 250);
    } else {
      els.countdown.textContent = c.phase === "done" ? "✓" : "";
    }
    els.hide.hidden = c.phase !== "done";
    speak(text);
  }

  els.hide.addEventListener("click", function () { els.panel.hidden = true; });

  // ---- Voice cues -------------------------------------------------------
  var canSpeak = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
  if (!canSpeak) {
    els.voiceWrap.hidden = true;
  } else {
    els.voice.checked = store(VOICE_KEY) === "on"; // off unless the person turned it on
    els.voice.addEventListener("change", function () {
      store(VOICE_KEY, els.voice.checked ? "on" : "off");
      if (!els.voice.checked) speechSynthesis.cancel();
    });
  }

  function speak(text) {
    if (!canSpeak || !els.voice.checked || !text) return;
    speechSynthesis.cancel(); // a stale cue is worse than none
    speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  updateCounter();
})();
