// Psoas Coach widget: a floating launcher that opens the chat on any site, from one tag:
//   <script src="https://coach.example/webhooks/web/widget.js" data-server="https://coach.example" defer></script>
// Built into widget.js after coach-chat.js (connectors/web_assets.py). Everything lives in a
// shadow root on <psoas-coach-widget>, so the host page's CSS and ours never meet, and the
// only global is window.PsoasCoach.
(function (ns) {
  "use strict";

  var TEXT = {
    open: "Open chat with Psoas Coach",
    close: "Close chat",
    title: "Psoas Coach",
    button: "Coach",
    unread: function (n) { return n === 1 ? "1 new message" : n + " new messages"; }
  };
  var OPEN_KEY = "psoas-coach.widget-open";
  var SVG = "http://www.w3.org/2000/svg";

  // currentScript is only set while this script runs, so read it now.
  var script = document.currentScript || findScript();
  var scriptUrl = new URL(script && script.src ? script.src : "widget.js", window.location.href);
  var server = ((script && script.getAttribute("data-server")) || scriptUrl.origin).replace(/\/+$/, "");
  var assets = new URL("./", scriptUrl).href; // chat.css and widget.css sit next to widget.js

  function findScript() {
    var scripts = document.querySelectorAll("script[src]");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/widget\.js([?#]|$)/.test(scripts[i].src)) return scripts[i];
    }
    return null;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function session(key, value) {
    try {
      if (value === undefined) return window.sessionStorage.getItem(key);
      if (value === null) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, value);
    } catch (e) { /* storage disabled: the panel simply starts closed */ }
    return null;
  }

  function chatIcon() {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "pc-launcher-icon");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  function start() {
    if (ns.widget) return; // one launcher per page, however often the tag appears
    var host = document.createElement("psoas-coach-widget");
    // Hidden until our stylesheets are in, so the host page never flashes an unstyled panel.
    host.style.setProperty("display", "none", "important");
    var shadow = host.attachShadow({ mode: "open" });
    var pending = 0;
    ["chat.css", "widget.css"].forEach(function (name) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = assets + name;
      pending += 1;
      link.addEventListener("load", sheetDone);
      link.addEventListener("error", sheetDone);
      shadow.appendChild(link);
    });
    function sheetDone() {
      pending -= 1;
      if (!pending) host.style.removeProperty("display");
    }

    var wrap = el("div", "pc-root pc-widget");
    var panelId = "pc-widget-panel", titleId = "pc-widget-title";

    var launcher = el("button", "pc-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-controls", panelId);
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", TEXT.open);
    launcher.appendChild(chatIcon());
    launcher.appendChild(el("span", "pc-launcher-label", TEXT.button));
    var badge = el("span", "pc-badge");
    badge.hidden = true;
    badge.setAttribute("aria-hidden", "true");
    launcher.appendChild(badge);

    var panel = el("div", "pc-panel");
    panel.id = panelId;
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-labelledby", titleId);
    var header = el("div", "pc-panel-header");
    var title = el("h2", "pc-panel-title", TEXT.title);
    title.id = titleId;
    var closeButton = el("button", "pc-close");
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", TEXT.close);
    closeButton.appendChild(el("span", null, "×")).setAttribute("aria-hidden", "true");
    header.appendChild(title);
    header.appendChild(closeButton);
    var body = el("div", "pc-panel-body");
    panel.appendChild(header);
    panel.appendChild(body);

    wrap.appendChild(panel);
    wrap.appendChild(launcher);
    shadow.appendChild(wrap);
    document.body.appendChild(host);

    var unread = 0;
    var isOpen = false;
    // data-token: the visitor's sender token, where the coach's server requires one (docs/security.md).
    var token = script && script.getAttribute("data-token");
    var chat = ns.mount(body, {
      server: server,
      token: token || function () {
        var given = window.PsoasCoachToken; // read at each use: the host page may set it later
        return typeof given === "function" ? given() : given || undefined;
      },
      autoConnect: false,
      onBotMessage: function () {
        if (isOpen) return;
        unread += 1;
        badge.textContent = String(unread);
        badge.hidden = false;
        launcher.setAttribute("aria-label", TEXT.open + ", " + TEXT.unread(unread));
      }
    });

    function open(moveFocus) {
      if (isOpen) return;
      isOpen = true;
      panel.hidden = false;
      wrap.classList.add("pc-open");
      launcher.setAttribute("aria-expanded", "true");
      unread = 0;
      badge.hidden = true;
      launcher.setAttribute("aria-label", TEXT.open);
      session(OPEN_KEY, "1");
      chat.connect(true);
      if (moveFocus !== false) chat.focusInput();
    }

    function close() {
      if (!isOpen) return;
      isOpen = false;
      panel.hidden = true;
      wrap.classList.remove("pc-open");
      launcher.setAttribute("aria-expanded", "false");
      session(OPEN_KEY, null);
      launcher.focus(); // focus returns where the person opened the chat
    }

    launcher.addEventListener("click", function () { if (isOpen) close(); else open(true); });
    closeButton.addEventListener("click", close);
    wrap.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && isOpen && !e.isComposing) {
        e.preventDefault();
        close();
      }
    });
    // Keys typed into the chat are for the chat: a host page's shortcuts ("/" to search,
    // "s" to share...) must not fire while someone writes to the coach.
    ["keydown", "keyup", "keypress"].forEach(function (type) {
      wrap.addEventListener(type, function (e) { e.stopPropagation(); });
    });

    ns.widget = {
      open: function () { open(true); },
      close: close,
      toggle: function () { if (isOpen) close(); else open(true); }
    };

    // A returning visitor's conversation carries on (pushed session cues keep arriving);
    // a first-time visitor opens no socket until they open the chat.
    // After a reload the panel comes back as it was, without taking focus from the page.
    if (session(OPEN_KEY) === "1") open(false);
    else if (chat.hasHistory()) chat.connect(false);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})(PsoasCoach);
