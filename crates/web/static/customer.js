/* QMS customer pages: live place (Socket.IO `customer:join` → `notification`), the chat
   (`webchat:join` → `webchat:history`, `webchat:message`, room `message`), alerts when called
   (full-screen, vibration, sound after a first tap, browser notification), and recovery of the
   place from localStorage. Every page works without this file; it only adds to them. */
(function () {
  "use strict";
  var KEY = "qms.place";
  var ACTIVE = { waiting: 1, called: 1 };

  function $(id) { return document.getElementById(id); }
  function remember(sid) { try { localStorage.setItem(KEY, sid); } catch (e) { /* private mode */ } }
  function remembered() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function forget() { try { localStorage.removeItem(KEY); } catch (e) { /* private mode */ } }
  function fmt(s, a) { return String(s || "").replace("{0}", a); }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json().catch(function () { return {}; }) : Promise.reject(r.status); });
  }
  function connect() {
    return window.io ? window.io({ transports: ["websocket", "polling"] }) : null;
  }

  /* ---- sound: browsers allow it only after the person touched the page ---- */
  var audio = null;
  function unlockAudio() {
    var A = window.AudioContext || window.webkitAudioContext;
    if (!audio && A) { try { audio = new A(); } catch (e) { audio = null; } }
    if (audio && audio.state === "suspended") audio.resume();
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (ev) {
    document.addEventListener(ev, unlockAudio, { once: true, passive: true });
  });
  function chime() {
    if (!audio) return;
    var t = audio.currentTime;
    [0, 0.35, 0.7, 1.4, 1.75, 2.1].forEach(function (o) {
      var osc = audio.createOscillator(), g = audio.createGain();
      osc.frequency.value = o < 1 ? 880 : 1175;
      g.gain.setValueAtTime(0.0001, t + o);
      g.gain.exponentialRampToValueAtTime(0.5, t + o + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + o + 0.3);
      osc.connect(g); g.connect(audio.destination);
      osc.start(t + o); osc.stop(t + o + 0.32);
    });
  }

  /* ---- join form: a refused form brings the list of problems into focus ---- */
  var errors = $("errors");
  if (errors) errors.focus();

  /* ---- home: "back to your place" from localStorage when the cookie is gone ---- */
  var resume = $("resume");
  if (resume && resume.hidden) {
    var saved = remembered();
    if (saved) {
      getJSON("/api/queues/entry/" + encodeURIComponent(saved)).then(function (e) {
        if (ACTIVE[e.status]) {
          resume.querySelector("a").href = "/queue/status/" + encodeURIComponent(saved);
          resume.hidden = false;
        } else { forget(); }
      }, function (status) { if (status === 404) forget(); });
    }
  }

  /* ---- the status page ---- */
  var place = $("place");
  var socket = null;
  if (place) statusPage(place);

  function statusPage(root) {
    var d = root.dataset, sid = d.session, status = d.status;
    var titles = { waiting: d.tWaiting, called: d.tCalled, seated: d.tSeated, completed: d.tCompleted, cancelled: d.tCancelled, no_show: d.tNoShow };
    var details = { called: d.tCalledText, no_show: d.tNoShowText };
    var conn = $("conn"), overlay = $("called"), dismissKey = "qms.called." + sid;
    if (ACTIVE[status]) remember(sid);

    function aheadText(pos) {
      var n = pos - 1;
      return n <= 0 ? d.tAheadNone : n === 1 ? d.tAheadOne : fmt(d.tAheadMany, n);
    }
    function showCalled(loud) {
      var dismissed = false;
      try { dismissed = sessionStorage.getItem(dismissKey) === "1"; } catch (e) { /* ignore */ }
      if (!loud && dismissed) return;
      overlay.hidden = false;
      $("called-ok").focus();
      if (!loud) return;
      if (navigator.vibrate) { try { navigator.vibrate([500, 200, 500, 200, 900]); } catch (e) { /* ignore */ } }
      chime();
      notify(d.tCalled, d.tCalledText);
      if (document.title.indexOf("\u2757") !== 0) document.title = "\u2757 " + document.title;
    }
    $("called-ok").addEventListener("click", function () {
      overlay.hidden = true;
      try { sessionStorage.setItem(dismissKey, "1"); } catch (e) { /* ignore */ }
      $("headline").focus();
    });
    $("headline").setAttribute("tabindex", "-1");

    function render(e) {
      var prev = status;
      status = e.status;
      if (!ACTIVE[status]) {
        // Seated, completed, cancelled or no-show: the server's page says what comes next.
        forget();
        if (ACTIVE[prev]) window.location.reload();
        return;
      }
      document.body.className = document.body.className.replace(/status-\S+/, "status-" + status);
      root.dataset.status = status;
      var headline = $("headline"), detail = $("detail");
      if (headline.textContent !== titles[status]) headline.textContent = titles[status];
      detail.textContent = details[status] || "";
      detail.hidden = !details[status];
      $("line").hidden = status !== "waiting";
      if (status === "waiting" && typeof e.position === "number" && e.position > 0) {
        $("position").textContent = String(e.position);
        $("ahead").textContent = aheadText(e.position);
        if (typeof e.estimatedWaitTime === "number") $("wait").textContent = fmt(d.tWait, e.estimatedWaitTime);
      }
      if (status === "called" && prev !== "called") {
        var box = $("notify-box");
        if (box) box.hidden = true;
        showCalled(true);
      }
    }

    // Near the front (`reminder`, once): say so under the place, and buzz briefly.
    function remind() {
      var detail = $("detail");
      detail.textContent = d.tReminderText;
      detail.hidden = false;
      details.waiting = d.tReminderText;
      if (navigator.vibrate) { try { navigator.vibrate([300, 150, 300]); } catch (e) { /* ignore */ } }
    }

    var pending = null;
    function refresh() {
      if (pending) return;
      pending = setTimeout(function () {
        getJSON("/api/queues/entry/" + encodeURIComponent(sid)).then(function (e) {
          pending = null; render(e);
        }, function () { pending = null; });
      }, 150);
    }

    if (status === "called") showCalled(false);
    if (!ACTIVE[status]) { forget(); return; }

    var started = Date.now();
    socket = connect();
    if (socket) {
      var connectedOnce = false;
      socket.on("connect", function () {
        conn.textContent = "";
        socket.emit("customer:join", sid, function () { /* ack {ok:true} */ });
        // After a reconnect (or the gap between page and socket) read the truth again.
        if (connectedOnce || Date.now() - started > 2000) refresh();
        connectedOnce = true;
      });
      socket.on("disconnect", function () { conn.textContent = d.tOffline; });
      socket.on("connect_error", function () { if (connectedOnce) conn.textContent = d.tOffline; });
      socket.on("notification", function (n) {
        if (!n) return;
        if (n.type === "called") render({ status: "called" });
        else render({ status: status, position: n.position, estimatedWaitTime: n.estimatedWaitTime });
        if (n.type === "reminder" && status === "waiting") remind();
        refresh();
      });
    }
    // A slow safety net while the socket is down (or absent): read the place every 30 s.
    setInterval(function () { if (!socket || !socket.connected) refresh(); }, 30000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });

    setupNotify();
  }

  /* ---- browser notifications (only when the customer asks for them) ---- */
  function setupNotify() {
    var box = $("notify-box"), btn = $("notify"), note = $("notify-note"), d = place.dataset;
    if (!box || !("Notification" in window)) return;
    box.hidden = false;
    function state(p) {
      if (p === "granted") { btn.hidden = true; note.textContent = d.tNotifyOn; registerWorker(); }
      else if (p === "denied") { btn.hidden = true; note.textContent = d.tNotifyDenied; }
    }
    state(Notification.permission);
    btn.addEventListener("click", function () {
      unlockAudio();
      var r = Notification.requestPermission(state);
      if (r && r.then) r.then(state);
    });
  }
  var worker = null;
  function registerWorker() {
    if (worker || !("serviceWorker" in navigator)) return;
    worker = navigator.serviceWorker.register("/static/sw.js", { scope: "/static/" }).catch(function () { return null; });
  }
  function notify(title, body) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    var opts = { body: body, tag: "qms-called", renotify: true, requireInteraction: true, data: { url: location.href } };
    var shown = false;
    try { new Notification(title, opts); shown = true; } catch (e) { /* phones need the worker */ }
    if (!shown && worker) worker.then(function (reg) { if (reg) reg.showNotification(title, opts); });
  }

  /* ---- the chat (status page and /webchat) ---- */
  var chatBox = $("chat");
  if (chatBox) {
    var sid = chatBox.dataset.session || "";
    if (sid) startChat(chatBox, sid);
    else recoverChat(chatBox);
  }

  /* No place on this device's cookie: the one localStorage remembers, or phone + code. */
  function recoverChat(box) {
    var saved = remembered(), form = $("recover");
    function found(sid) {
      remember(sid);
      var none = $("no-place"), back = $("chat-back");
      if (none) none.hidden = true;
      if (form) form.hidden = true;
      if (back) { back.hidden = false; back.querySelector("a").href = "/queue/status/" + encodeURIComponent(sid); }
      box.dataset.session = sid;
      startChat(box, sid);
    }
    function ask() {
      if (!form) return;
      form.hidden = false;
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var err = $("recover-error");
        err.textContent = "";
        postJSON("/api/queue/webchat/recovery", {
          customerPhone: $("recover-phone").value, verificationCode: $("recover-code").value.trim()
        }).then(function (r) { found(r.sessionId); }, function () { err.textContent = err.dataset.failed; });
      });
    }
    if (!saved) { ask(); return; }
    postJSON("/api/queue/webchat/recovery", { sessionId: saved }).then(function (r) { found(r.sessionId || saved); },
      function (status) { if (status === 404) forget(); ask(); });
  }

  function startChat(box, sid) {
    var d = box.dataset, log = $("chat-log"), form = $("chat-form"), input = $("chat-input"), err = $("chat-error");
    var seen = {};
    box.hidden = false;
    function who(sender) {
      var s = String(sender || "").toLowerCase();
      return s === "customer" ? d.tYou : s === "system" ? d.tSystem : d.tStaff;
    }
    function add(m) {
      if (!m || typeof m.content !== "string") return;
      var id = m.id || (m.metadata && m.metadata.id) || (m.sender + "|" + m.timestamp + "|" + m.content);
      if (seen[id]) return;
      seen[id] = 1;
      var empty = $("chat-empty");
      if (empty) empty.remove();
      var li = document.createElement("li"), s = String(m.sender || "").toLowerCase();
      li.className = s === "customer" ? "mine" : s === "system" ? "system" : "";
      var w = document.createElement("span");
      w.className = "who";
      w.textContent = who(m.sender);
      li.appendChild(w);
      li.appendChild(document.createTextNode(m.content));
      log.appendChild(li);
      log.scrollTop = log.scrollHeight;
    }
    function history(list) {
      var items = Array.isArray(list) ? list : (list && (list.messages || list.items)) || [];
      items.forEach(add);
    }
    function load() { getJSON("/api/queue/webchat/" + encodeURIComponent(sid)).then(history, function () { /* later */ }); }

    var s = socket || (socket = connect());
    if (s) {
      s.on("connect", function () { s.emit("webchat:join", sid); load(); });
      s.on("webchat:history", history);
      s.on("message", add);
      if (s.connected) { s.emit("webchat:join", sid); }
    }
    load();

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var content = input.value.trim();
      if (!content) return;
      err.textContent = "";
      if (s && s.connected) {
        s.emit("webchat:message", { sessionId: sid, content: content }, function (ack) {
          if (ack && ack.ok) { input.value = ""; } else { err.textContent = d.tFailed; }
        });
      } else {
        postJSON("/api/queue/webchat/send", { sessionId: sid, content: content }).then(function (m) {
          input.value = "";
          add(m && m.message ? m.message : m);
        }, function () { err.textContent = d.tFailed; });
      }
    });
  }

  /* ---- the poster's print button ---- */
  var print = $("print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
