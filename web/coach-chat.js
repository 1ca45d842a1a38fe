// Psoas Coach chat: the one renderer of the docs/api.md payloads and the socket.io client,
// shared by the full page (index.html + chat.js) and the embeddable widget (widget.js).
// connectors/web_assets.py wraps this file into coach.js and widget.js with `PsoasCoach`
// (the only global), `PsoasCoach.io` (socket.io client) and `PsoasCoach.config` (the server's
// limits, so the page and the server never disagree).
//
// Every piece of server text goes through textContent, never innerHTML. Coaching and safety
// wording always comes from the bot; LABELS below is interface chrome only (buttons, status).
(function (ns) {
  "use strict";

  var LABELS = {
    conversation: "Conversation",
    you: "You: ",
    coach: "Coach: ",
    message: "Message to the coach",
    placeholder: "Type a message…",
    hint: "Enter sends, Shift+Enter adds a new line.",
    send: "Send",
    connecting: "Connecting…",
    connected: "Connected",
    reconnecting: "Disconnected — reconnecting…",
    noClient: "Disconnected — the chat client failed to load",
    notSent: "Not sent: reconnecting…",
    replies: "Suggested replies",
    answers: "Your answer",
    suggested: "Suggested exercises",
    leftOut: "Left out",
    excluded: "Not in your plan",
    session: "Guided session",
    secondsLeft: "seconds left",
    pause: "Pause",
    resume: "Resume",
    stop: "Stop",
    hide: "Hide",
    paused: "Paused",
    stopped: "Stopped",
    voice: "Voice cues",
    image: "Image from the coach",
    downloads: "Your data",
    downloadNames: { "application/json": "Download the full data (JSON)", "application/pdf": "Download the summary (PDF)" },
    phases: {
      get_ready: "Get ready", hold: "Hold", halfway: "Halfway", rest: "Rest",
      switch_sides: "Switch sides", done: "Done"
    },
    sides: { left: "Left side", right: "Right side" }
  };
  var SESSION_PAYLOADS = { pause: "/pause", resume: "/resume", stop: "/stop_session" };
  var SERIOUS = { emergency: 3, crisis: 3, urgent: 2 };
  var COUNTER_FROM = 0.8; // show the character counter once 80% of the limit is used
  var TRANSCRIPT_LIMIT = 200; // entries kept for a reload; the server keeps the real history
  var ANNOUNCE_KEEP = 4;
  var SAFE_IMAGE = /^(https?:|data:image\/(png|jpeg|gif|webp);)/i;

  var idCounter = 0;
  function uid(name) { idCounter += 1; return "pc-" + name + "-" + idCounter; }

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

  // Characters as the server counts them (Python len): code points, so an emoji counts once.
  function charCount(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) n++;
    }
    return n;
  }

  function formatSeconds(s) {
    var m = Math.floor(s / 60), r = s % 60;
    return m ? m + ":" + (r < 10 ? "0" : "") + r : String(s);
  }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (all, key) {
      return values[key] != null ? String(values[key]) : all;
    });
  }

  // localStorage can throw (private mode, disabled storage, quota): the chat must still work.
  function storage(kind) {
    try {
      var s = window[kind];
      var probe = "psoas-coach.probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null;
    }
  }

  function newSessionId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not (e.g. http on a LAN IP).
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  /**
   * Builds the chat inside `container` (an element of the page or of the widget's shadow root).
   * options: server (origin of the coach, "" = this page's origin), io (socket.io client),
   * config (the server's settings), autoConnect, onBotMessage(data), onStateChange().
   * Returns a small controller: connect(), focusInput(), hasHistory().
   */
  function mount(container, options) {
    options = options || {};
    var config = options.config || ns.config || {};
    var io = options.io || ns.io || window.io;
    var server = options.server || "";
    var maxChars = Number(config.max_message_chars) || 0;
    var timeScale = Number(config.time_scale) > 0 ? Number(config.time_scale) : 1;
    var texts = config.texts || {};
    var local = storage("localStorage");

    function load(key) { try { return local ? local.getItem(key) : null; } catch (e) { return null; } }
    function save(key, value) { try { if (local) local.setItem(key, value); } catch (e) { /* full: keep going */ } }

    var sessionId = load("psoas-coach.session-id");
    if (!sessionId) { sessionId = newSessionId(); save("psoas-coach.session-id", sessionId); }
    var keys = {
      transcript: "psoas-coach.transcript." + sessionId,
      banner: "psoas-coach.banner." + sessionId,
      greeted: "psoas-coach.greeted." + sessionId,
      voice: "psoas-coach.voice"
    };

    // ---- Building the chat ---------------------------------------------------------------
    var root = el("div", "pc-chat");
    var toolbar = el("div", "pc-toolbar");
    var status = el("p", "pc-status", LABELS.connecting);
    status.setAttribute("role", "status");
    status.dataset.state = "connecting";
    var voiceWrap = el("label", "pc-voice");
    var voice = el("input");
    voice.type = "checkbox";
    voiceWrap.appendChild(voice);
    voiceWrap.appendChild(document.createTextNode(" " + LABELS.voice));
    toolbar.appendChild(status);
    toolbar.appendChild(voiceWrap);

    // Stays on screen for the rest of the conversation once a serious safety message arrives.
    var banner = el("div", "pc-banner");
    banner.hidden = true;

    var panel = el("section", "pc-session");
    panel.hidden = true;
    var panelTitleId = uid("session-title");
    panel.setAttribute("aria-labelledby", panelTitleId);
    var info = el("div", "pc-session-info");
    var exercise = el("h2", "pc-session-exercise");
    exercise.id = panelTitleId;
    var meta = el("p", "pc-session-meta");
    var phaseLabel = el("span", "pc-session-phase");
    var sideLabel = el("span", "pc-session-side");
    meta.appendChild(phaseLabel);
    meta.appendChild(sideLabel);
    info.appendChild(exercise);
    info.appendChild(meta);
    var countdown = el("p", "pc-countdown");
    countdown.setAttribute("role", "timer"); // not live: a screen reader reads it when asked
    var countdownValue = el("span", "pc-countdown-value");
    countdown.appendChild(countdownValue);
    countdown.appendChild(el("span", "pc-sr-only", " " + LABELS.secondsLeft));
    var controls = el("div", "pc-session-controls");
    var pauseButton = sessionButton(LABELS.pause, "pause");
    var resumeButton = sessionButton(LABELS.resume, "resume");
    var stopButton = sessionButton(LABELS.stop, "stop");
    var hideButton = el("button", "pc-link-button", LABELS.hide);
    hideButton.type = "button";
    controls.appendChild(pauseButton);
    controls.appendChild(resumeButton);
    controls.appendChild(stopButton);
    controls.appendChild(hideButton);
    panel.appendChild(info);
    panel.appendChild(countdown);
    panel.appendChild(controls);

    var log = el("div", "pc-log");
    log.setAttribute("role", "log");
    // New messages are announced through the live regions below (one clean sentence each);
    // a live log would also read out every button label of every message.
    log.setAttribute("aria-live", "off");
    log.setAttribute("aria-label", LABELS.conversation);
    log.tabIndex = 0; // scrollable with the arrow keys

    var form = el("form", "pc-composer");
    form.noValidate = true;
    var inputId = uid("input"), counterId = uid("counter"), hintId = uid("hint"), noteId = uid("note");
    var inputLabel = el("label", "pc-sr-only", LABELS.message);
    inputLabel.htmlFor = inputId;
    var input = el("textarea");
    input.id = inputId;
    input.rows = 1;
    input.autocomplete = "off";
    input.placeholder = LABELS.placeholder;
    input.setAttribute("aria-describedby", noteId + " " + counterId + " " + hintId);
    var send = el("button", "pc-send", LABELS.send);
    send.type = "submit";
    send.disabled = true;
    var counter = el("p", "pc-counter");
    counter.id = counterId;
    counter.hidden = true;
    var note = el("p", "pc-note");
    note.id = noteId;
    note.setAttribute("aria-live", "polite");
    note.hidden = true;
    var hint = el("p", "pc-sr-only", LABELS.hint);
    hint.id = hintId;
    form.appendChild(inputLabel);
    form.appendChild(input);
    form.appendChild(send);
    form.appendChild(note);
    form.appendChild(counter);
    form.appendChild(hint);

    // Screen-reader announcements: polite for messages and cues, assertive for safety stops.
    var politeRegion = el("div", "pc-sr-only pc-announce-polite");
    politeRegion.setAttribute("aria-live", "polite");
    politeRegion.setAttribute("aria-relevant", "additions");
    var alertRegion = el("div", "pc-sr-only pc-announce-alert");
    alertRegion.setAttribute("aria-live", "assertive");
    alertRegion.setAttribute("aria-relevant", "additions");

    root.appendChild(toolbar);
    root.appendChild(banner);
    root.appendChild(panel);
    root.appendChild(log);
    root.appendChild(form);
    root.appendChild(politeRegion);
    root.appendChild(alertRegion);
    container.appendChild(root);

    function announce(text, urgent) {
      if (!text) return;
      var region = urgent ? alertRegion : politeRegion;
      region.appendChild(el("p", null, text));
      while (region.childNodes.length > ANNOUNCE_KEEP) region.removeChild(region.firstChild);
    }

    // ---- Scrolling: don't yank the view away from someone reading earlier messages -------
    function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
    var pinned = true;
    log.addEventListener("scroll", function () { pinned = nearBottom(); });
    if ("ResizeObserver" in window) {
      // The log shrinks when the textarea grows, the banner appears or a phone keyboard opens.
      new ResizeObserver(function () { if (pinned) log.scrollTop = log.scrollHeight; }).observe(log);
    }
    function append(node, force) {
      var stick = force || nearBottom();
      log.appendChild(node);
      // Instant: smooth scrolling lags behind bursts of bot messages, and scrollIntoView
      // would also scroll the host page.
      if (stick) log.scrollTop = log.scrollHeight;
      return node;
    }

    function bubble(who, text) {
      var item = el("div", "pc-msg pc-msg-" + who);
      item.appendChild(el("span", "pc-sr-only", who === "user" ? LABELS.you : LABELS.coach));
      if (text) item.appendChild(el("p", "pc-msg-text", text));
      return item;
    }

    // ---- Transcript: what the person saw, kept for a reload (the server keeps the state) --
    var transcript = [];
    try {
      var stored = JSON.parse(load(keys.transcript) || "[]");
      if (Array.isArray(stored)) transcript = stored;
    } catch (e) { transcript = []; }

    function remember(entry) {
      transcript.push(entry);
      if (transcript.length > TRANSCRIPT_LIMIT) transcript.splice(0, transcript.length - TRANSCRIPT_LIMIT);
      save(keys.transcript, JSON.stringify(transcript));
    }

    // ---- Connection --------------------------------------------------------------------
    var socket = null;

    function currentToken() {
      return typeof options.token === "function" ? options.token() : options.token;
    }

    function outgoing(message) {
      var data = { message: message, session_id: sessionId };
      if (options.token) data.token = currentToken();
      return data;
    }
    var wantsGreeting = false;

    function setStatus(state, label) {
      status.dataset.state = state;
      status.textContent = label;
      send.disabled = state !== "connected";
      if (options.onStateChange) options.onStateChange(state);
    }

    function connected() { return !!(socket && socket.connected); }

    function connect(greet) {
      if (greet) wantsGreeting = true;
      if (socket) { maybeGreet(); return; }
      if (typeof io !== "function") { setStatus("disconnected", LABELS.noClient); return; }
      setStatus("connecting", LABELS.connecting);
      var path = config.socketio_path || "/socket.io";
      var opts = { path: path, transports: ["websocket", "polling"] };
      // Where the deployment vouches for its users (docs/security.md), the host page gives a
      // sender token (a string, or a function returning a fresh one): sent at every (re)connect
      // and with every message.
      if (options.token) opts.auth = function (cb) { cb({ token: currentToken() }); };
      socket = server ? io(server, opts) : io(opts);
      socket.on("connect", function () {
        setStatus("connected", LABELS.connected);
        // Re-sent on every (re)connect so the server puts this socket back into our conversation.
        socket.emit("session_request", { session_id: sessionId });
      });
      socket.on("session_confirm", function () {
        setStatus("connected", LABELS.connected);
        maybeGreet();
      });
      socket.on("disconnect", function (reason) {
        setStatus("disconnected", LABELS.reconnecting);
        // socket.io does not retry by itself after a server-side disconnect.
        if (reason === "io server disconnect") socket.connect();
      });
      var warned = false;
      socket.on("connect_error", function () {
        setStatus("disconnected", LABELS.reconnecting);
        if (warned) return;
        warned = true;
        // For the site owner, not the visitor: the usual cause on a new site.
        if (window.console) console.warn("Psoas Coach: cannot reach " + (server || "this server") +
          ". If this page is on another site, the coach server must list " + window.location.origin +
          " in COACH_ALLOWED_ORIGINS.");
      });
      socket.on("bot_uttered", function (data) { receive(data, Date.now()); });
    }

    // A new conversation: the coach introduces itself (and says it is not a medical service)
    // before anyone has to guess what to type. Once per conversation.
    function maybeGreet() {
      if (!wantsGreeting || !connected() || load(keys.greeted) || transcript.length) return;
      save(keys.greeted, "1");
      socket.emit("user_uttered", outgoing("/greet"));
    }

    // ---- Sending -----------------------------------------------------------------------
    var focusFollowsReplies = false;

    // Returns true when the message left; never buffers (socket.io would, silently).
    function sendMessage(message, shownText) {
      var item = append(bubble("user", shownText), true);
      if (!connected()) {
        item.classList.add("pc-msg-failed");
        item.appendChild(el("p", "pc-msg-note", LABELS.notSent));
        return false;
      }
      socket.emit("user_uttered", outgoing(message));
      remember({ who: "user", text: shownText, at: Date.now() });
      disableOldReplies();
      return true;
    }

    function showNote(text) {
      note.textContent = text || "";
      note.hidden = !text;
    }

    function submitInput() {
      var text = input.value;
      if (!text.trim()) { showNote(texts.empty); return; }
      var length = charCount(text);
      if (maxChars && length > maxChars) {
        showNote(fill(texts.too_long, { length: length, limit: maxChars }));
        return;
      }
      // Keep the text on failure so the person can simply send it again once reconnected.
      if (sendMessage(text.trim(), text.trim())) {
        input.value = "";
        showNote("");
        updateCounter();
        autoGrow();
      }
    }

    function updateCounter() {
      if (!maxChars) return;
      var length = charCount(input.value);
      counter.hidden = length < maxChars * COUNTER_FROM;
      counter.textContent = length + " / " + maxChars;
      counter.classList.toggle("pc-counter-over", length > maxChars);
    }

    function autoGrow() {
      input.style.height = "auto";
      input.style.height = input.scrollHeight + 2 + "px"; // CSS max-height caps it
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); submitInput(); });
    input.addEventListener("input", function () {
      updateCounter();
      autoGrow();
      if (!note.hidden) showNote("");
    });
    input.addEventListener("keydown", function (e) {
      // isComposing: Enter also confirms IME input (e.g. Japanese) and must not send then.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submitInput();
      }
    });

    // Old answer buttons would answer a question the bot has moved past.
    function disableOldReplies() {
      Array.prototype.forEach.call(log.querySelectorAll(".pc-replies:not(.pc-used)"), function (group) {
        group.classList.add("pc-used");
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
      });
    }

    function replies(list, label) {
      var group = el("div", "pc-replies");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", label);
      list.forEach(function (r) {
        if (!r || r.payload == null) return;
        var title = String(r.title != null ? r.title : r.payload);
        var b = el("button", "pc-reply", title);
        b.type = "button";
        b.addEventListener("click", function () {
          // Keyboard users answering question after question keep their place.
          focusFollowsReplies = true;
          sendMessage(String(r.payload), title);
        });
        group.appendChild(b);
      });
      return group;
    }

    // ---- Receiving ---------------------------------------------------------------------
    var exerciseNames = {}; // id -> display name, learned from recommendation and exercise payloads

    function receive(data, at) {
      if (!renderBot(data, at, false)) return;
      remember({ who: "bot", data: data, at: at });
      if (options.onBotMessage) options.onBotMessage(data);
    }

    function renderBot(data, at, restoring) {
      if (!data || typeof data !== "object") return false;
      var custom = data.custom && typeof data.custom === "object" ? data.custom : null;
      var buttons = Array.isArray(data.quick_replies) ? data.quick_replies : [];
      var image = typeof data.image === "string" && data.image ? data.image : null;
      var text = typeof data.text === "string" ? data.text : "";
      if (!text && !custom && !buttons.length && !image) return false;
      var type = custom && custom.type;

      var item = bubble("bot", text);
      if (type) item.dataset.type = type;
      if (type === "session_step" && custom.phase) item.dataset.phase = String(custom.phase);
      if (image) {
        var figure = imageFigure(image, custom, text);
        if (figure) item.appendChild(figure);
      }
      if (type === "recommendation") item.appendChild(recommendationCard(custom));
      if (type === "exercise") exerciseCard(custom, item);
      if (type === "export") {
        var links = downloadLinks(custom);
        if (links) item.appendChild(links);
      }
      if (type === "input_error") item.classList.add("pc-msg-error");
      if (type === "screening_question") item.classList.add("pc-msg-question");
      var safety = type === "safety" ? custom : null;
      // After a safety stop, earlier buttons ("Next", "I'm ready") answer a session that is over.
      // A new session step leaves them be: "That hurts" from a moment ago must stay pressable.
      if (safety && safety.decision === "stop") disableOldReplies();
      if (buttons.length) {
        item.appendChild(replies(buttons, type === "screening_question" ? LABELS.answers : LABELS.replies));
      }
      append(item);
      if (safety) renderSafety(safety, text, item, restoring);
      if (type === "session_step") renderStep(custom, text, at, restoring);
      if (!restoring) {
        if (!(safety && safety.decision === "stop")) announce(text);
        if (buttons.length && focusFollowsReplies) {
          focusFollowsReplies = false;
          var active = container.getRootNode().activeElement;
          if (!active || active === document.body || active.disabled) item.querySelector(".pc-reply").focus();
        }
      }
      return true;
    }

    function imageFigure(src, custom, text) {
      var url;
      try { url = new URL(src, server || window.location.href).href; } catch (e) { return null; }
      if (!SAFE_IMAGE.test(url)) return null;
      var figure = el("figure", "pc-figure");
      var img = el("img", "pc-image");
      img.src = url;
      img.alt = (custom && typeof custom.alt === "string" && custom.alt) || text || LABELS.image;
      img.loading = "lazy";
      figure.appendChild(img);
      return figure;
    }

    // "Export my data": one download link per file, resolved against the coach's server and
    // only for http(s) links to its download route.
    function downloadLinks(c) {
      var files = (Array.isArray(c.files) ? c.files : []).filter(function (f) { return f && typeof f === "object"; });
      if (!files.length) return null;
      var card = el("div", "pc-card pc-downloads");
      card.appendChild(el("h3", "pc-card-title", LABELS.downloads));
      var list = el("ul", "pc-card-list");
      files.forEach(function (f) {
        var url;
        try { url = new URL(String(f.url || ""), server || window.location.href); } catch (e) { return; }
        if (!/^https?:$/.test(url.protocol) || url.pathname.indexOf("/webhooks/downloads/") !== 0) return;
        var item = el("li");
        var link = el("a", "pc-download", LABELS.downloadNames[f.media_type] || String(f.name || url.pathname));
        link.href = url.href;
        link.setAttribute("download", String(f.name || ""));
        link.rel = "noopener";
        item.appendChild(link);
        list.appendChild(item);
      });
      card.appendChild(list);
      return card;
    }

    function recommendationCard(c) {
      var card = el("div", "pc-card");
      card.appendChild(el("h3", "pc-card-title", LABELS.suggested));
      var list = el("ul", "pc-card-list");
      (Array.isArray(c.exercises) ? c.exercises : []).forEach(function (ex) {
        if (!ex || typeof ex !== "object") return;
        var name = ex.name || humanize(ex.id);
        if (ex.id) exerciseNames[ex.id] = name;
        list.appendChild(cardItem(name, ex.reason));
      });
      card.appendChild(list);
      var excluded = (Array.isArray(c.excluded) ? c.excluded : []).filter(function (ex) {
        return ex && typeof ex === "object";
      });
      if (excluded.length) {
        card.appendChild(el("h4", "pc-card-subtitle", LABELS.leftOut));
        var out = el("ul", "pc-card-list pc-card-left-out");
        excluded.forEach(function (ex) {
          out.appendChild(cardItem(ex.name || exerciseNames[ex.id] || humanize(ex.id), ex.reason));
        });
        card.appendChild(out);
      }
      return card;
    }

    // Name, then the reason on its own line; ": " keeps them apart for a screen reader.
    function cardItem(name, reason) {
      var li = el("li");
      li.appendChild(el("strong", null, name));
      if (reason) {
        li.appendChild(el("span", "pc-sr-only", ": "));
        li.appendChild(el("span", "pc-card-reason", reason));
      }
      return li;
    }

    function exerciseCard(c, item) {
      if (c.id && c.name) exerciseNames[c.id] = c.name;
      if (c.excluded !== true) return;
      // The bot's text says why; the mark makes it visible at a glance and to a screen reader.
      item.classList.add("pc-msg-excluded");
      item.insertBefore(el("p", "pc-tag", LABELS.excluded), item.children[1] || null);
    }

    // ---- Safety ------------------------------------------------------------------------
    function renderSafety(c, text, item, restoring) {
      // The server has ended the session and its timers; the banner is what matters now.
      if (c.decision === "stop") { endSession(LABELS.stopped); panel.hidden = true; }
      var rank = SERIOUS[c.urgency];
      if (!rank) {
        if (c.decision === "stop" && !restoring) announce(text, true);
        return;
      }
      var level = rank >= 3 ? "danger" : "warning";
      item.classList.add("pc-msg-alert", "pc-msg-alert-" + level);
      if (!restoring) announce(text, true);
      if (text) showBanner({ text: text, level: level, rank: rank }, !restoring);
    }

    // A later, milder alert must not replace a more serious one still on screen.
    function showBanner(b, persist) {
      var current = Number(banner.dataset.rank || 0);
      if (b.rank < current) return;
      banner.dataset.rank = b.rank;
      banner.className = "pc-banner pc-banner-" + b.level;
      banner.textContent = "";
      // The action comes first and stands out ("Please call 999 … now"); the rest follows.
      var paragraphs = String(b.text).split(/\n\s*\n/).filter(function (p) { return p.trim(); });
      paragraphs.forEach(function (p, i) { banner.appendChild(el("p", i ? "pc-banner-more" : "pc-banner-action", p)); });
      banner.hidden = false;
      if (persist) save(keys.banner, JSON.stringify(b)); // survives a reload, like the conversation
    }

    // ---- Guided session ----------------------------------------------------------------
    var timer = null;
    var endsAt = 0;
    var sessionState = "idle";

    function sessionButton(label, action) {
      var b = el("button", "pc-session-button pc-session-" + action, label);
      b.type = "button";
      b.addEventListener("click", function () { sendMessage(SESSION_PAYLOADS[action], label); });
      return b;
    }

    function setSessionState(state) {
      sessionState = state;
      panel.dataset.state = state;
      pauseButton.hidden = state !== "running";
      resumeButton.hidden = state !== "paused";
      stopButton.hidden = state !== "running" && state !== "paused";
      hideButton.hidden = state === "running" || state === "paused";
    }

    function stopTimer() { if (timer) { clearInterval(timer); timer = null; } }

    // Counted from a deadline, not decremented, so a throttled background tab stays on time;
    // in coach seconds, so COACH_TIME_SCALE demos count down as fast as the server paces.
    function tick() {
      var left = Math.max(0, Math.ceil((endsAt - Date.now()) / (1000 * timeScale)));
      countdownValue.textContent = formatSeconds(left);
      if (left === 0) stopTimer();
    }

    function renderStep(c, text, at, restoring) {
      stopTimer();
      panel.hidden = false;
      panel.dataset.phase = c.phase || "";
      exercise.textContent = exerciseNames[c.exercise_id] || humanize(c.exercise_id) || LABELS.session;
      // switch_sides carries the side just finished; naming it would read as "stay there".
      var side = c.phase === "switch_sides" ? null : LABELS.sides[c.side];
      sideLabel.textContent = side ? " · " + side : "";
      if (c.phase === "done") {
        endSession(LABELS.phases.done);
        return;
      }
      var secs = Number(c.seconds);
      if (c.paused) {
        phaseLabel.textContent = LABELS.paused;
        setSessionState("paused");
        // Resuming starts the step again from its full length, so that is what a pause shows.
        countdownValue.textContent = isFinite(secs) && secs > 0 ? formatSeconds(secs) : "";
        return;
      }
      phaseLabel.textContent = LABELS.phases[c.phase] || humanize(c.phase);
      setSessionState("running");
      if (isFinite(secs) && secs > 0) {
        endsAt = (at || Date.now()) + secs * 1000 * timeScale;
        tick();
        if (endsAt > Date.now()) timer = setInterval(tick, Math.max(20, Math.min(250, 250 * timeScale)));
      } else {
        countdownValue.textContent = "";
      }
      if (restoring && endsAt <= Date.now()) panel.hidden = true; // a session long gone
      if (!restoring) speak(text);
    }

    function endSession(label) {
      stopTimer();
      if (sessionState === "idle") return;
      phaseLabel.textContent = label;
      countdownValue.textContent = "";
      setSessionState("ended");
    }

    hideButton.addEventListener("click", function () { panel.hidden = true; });
    setSessionState("idle");

    // ---- Voice cues --------------------------------------------------------------------
    var canSpeak = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
    if (!canSpeak) {
      voiceWrap.hidden = true;
    } else {
      voice.checked = load(keys.voice) === "on"; // off unless the person turned it on
      voice.addEventListener("change", function () {
        save(keys.voice, voice.checked ? "on" : "off");
        if (!voice.checked) speechSynthesis.cancel();
      });
    }

    function speak(text) {
      if (!canSpeak || !voice.checked || !text) return;
      speechSynthesis.cancel(); // a stale cue is worse than none
      speechSynthesis.speak(new SpeechSynthesisUtterance(text));
    }

    // ---- Restoring after a reload ------------------------------------------------------
    transcript.forEach(function (entry) {
      if (!entry || typeof entry !== "object") return;
      if (entry.who === "user") {
        append(bubble("user", String(entry.text || "")), true);
        disableOldReplies();
      } else if (entry.who === "bot") {
        renderBot(entry.data, Number(entry.at) || 0, true);
      }
    });
    try {
      var savedBanner = JSON.parse(load(keys.banner) || "null");
      if (savedBanner && savedBanner.text) showBanner(savedBanner, false);
    } catch (e) { /* ignore a corrupt entry */ }
    log.scrollTop = log.scrollHeight;
    updateCounter();
    if (options.autoConnect !== false) connect(true);

    return {
      connect: connect,
      focusInput: function () { input.focus(); },
      hasHistory: function () { return transcript.length > 0; },
      sessionId: function () { return sessionId; }
    };
  }

  ns.mount = mount;
  ns.LABELS = LABELS;
})(PsoasCoach);
