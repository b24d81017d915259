/* QMS staff dashboard: keeps the live board (and the "Today" overview) current over Socket.IO
   and acts through the JSON API. Plain JavaScript, no build step. Contract: TSD §4 —
   `merchant:join` / `join-queue` rooms, `queue:update` and `webchat:new-message` events,
   `webchat:join` / `webchat:history` / `webchat:message` / `message` for the chat. After every
   (re)connect the board is read again over REST, so nothing missed offline stays missing. */
(function () {
  'use strict';

  var root = document.querySelector('[data-live]');
  if (!root) return;
  var mode = root.getAttribute('data-live');
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';
  var conn = document.getElementById('conn');
  var announcer = document.getElementById('announce');
  var toastEl = document.getElementById('toast');

  var S = {
    merchantId: root.getAttribute('data-merchant') || null,
    queues: {},          // id -> queue details from the API
    order: [],           // queue ids as on the page
    picked: {},          // queue id -> {entry id: true}
    drag: null,          // the row being dragged
    pending: {},         // queue id -> render wanted while dragging
    chains: {},          // queue id -> promise (reorders in sequence)
    unread: readUnread(),
    chat: null,          // {entry, queueId}
    templates: null,
    socket: null,
    signedOut: false
  };

  // ---------------------------------------------------------------- helpers
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') el.textContent = v;
        else if (k === 'class') el.className = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }

  function api(method, path, body) {
    var opts = {
      method: method,
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf }
    };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (res) {
      if (res.status === 204) return null;
      return res.json().catch(function () { return null; }).then(function (data) {
        if (res.ok) return data;
        if (res.status === 401) signedOut();
        var e = (data && data.error) || {};
        var err = new Error(e.message || ('the server answered ' + res.status));
        err.status = res.status;
        err.code = e.code;
        err.fields = e.fields;
        throw err;
      });
    });
  }

  function say(text) {
    if (!announcer) return;
    announcer.textContent = '';
    window.setTimeout(function () { announcer.textContent = text; }, 30);
  }

  var toastTimer = null;
  function toast(text) {
    if (!toastEl) { say(text); return; }
    toastEl.hidden = false;
    toastEl.textContent = text;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () { toastEl.hidden = true; toastEl.textContent = ''; }, 4000);
  }

  function setConn(state, text) {
    if (!conn) return;
    conn.setAttribute('data-state', state);
    conn.textContent = text;
  }

  function signedOut() {
    if (S.signedOut) return;
    S.signedOut = true;
    if (S.socket) S.socket.close();
    if (!conn) return;
    conn.setAttribute('data-state', 'offline');
    conn.textContent = 'Signed out. ';
    conn.appendChild(h('a', { href: '/auth/login', text: 'Sign in again' }));
  }

  function minutesSince(iso) {
    var t = Date.parse(iso);
    if (isNaN(t)) return 0;
    return Math.max(0, Math.floor((Date.now() - t) / 60000));
  }

  function band(size) {
    if (size <= 2) return 's';
    if (size <= 4) return 'm';
    if (size <= 6) return 'l';
    return 'xl';
  }

  function readUnread() {
    try { return JSON.parse(window.sessionStorage.getItem('qms-unread') || '{}') || {}; }
    catch (e) { return {}; }
  }

  function saveUnread() {
    try { window.sessionStorage.setItem('qms-unread', JSON.stringify(S.unread)); } catch (e) { /* private mode */ }
  }

  function fill(content, entry) {
    return content
      .split('{name}').join(entry.customerName)
      .split('{position}').join(String(entry.position))
      .split('{ticket}').join(entry.ticketNumber)
      .split('{wait}').join(String(entry.estimatedWaitTime));
  }

  // ---------------------------------------------------------------- rows
  var SINCE = {
    waiting: function (m) { return 'waited ' + m + ' min'; },
    called: function (m) { return 'called ' + m + ' min ago'; },
    seated: function (m) { return 'seated ' + m + ' min ago'; }
  };

  function sinceOf(e, lane) {
    if (lane === 'called') return e.calledAt || e.joinedAt;
    if (lane === 'seated') return e.servedAt || e.joinedAt;
    return e.joinedAt;
  }

  function actButton(act, label, cls, e) {
    return h('button', {
      type: 'button', class: 'btn ' + (cls || ''), 'data-act': act,
      'aria-label': label + ' ' + e.ticketNumber + ' ' + e.customerName, text: label
    });
  }

  function rowEl(e, lane, queueId) {
    var who = e.ticketNumber + ' ' + e.customerName;
    var li = h('li', { class: 'row party-' + band(e.partySize), 'data-entry': e.id, 'data-session': e.sessionId });
    if (lane === 'waiting') {
      li.appendChild(h('button', {
        type: 'button', class: 'handle', 'data-act': 'drag',
        'aria-label': 'Move ' + who + ': drag, or use the up and down arrow keys'
      }, h('span', { 'aria-hidden': 'true', text: '\u283f' })));
      var pick = h('input', { type: 'checkbox', class: 'pick', 'data-act': 'pick', 'aria-label': 'Select ' + who });
      pick.checked = !!(S.picked[queueId] && S.picked[queueId][e.id]);
      li.appendChild(pick);
    }
    var since = sinceOf(e, lane);
    var notes = [e.notes, e.specialRequests].filter(Boolean).join(' \u00b7 ');
    li.appendChild(h('div', { class: 'who' },
      h('span', { class: 'ticket', text: e.ticketNumber }), ' ',
      h('span', { class: 'name', text: e.customerName }), ' ',
      h('span', { class: 'party', text: 'party of ' + e.partySize }), ' ',
      h('span', { class: 'since', 'data-since': since, 'data-kind': lane, text: SINCE[lane](minutesSince(since)) }),
      notes ? h('span', { class: 'notes', text: notes }) : null));
    var acts = h('div', { class: 'acts' });
    var chat = h('button', { type: 'button', class: 'btn btn-chat', 'data-act': 'chat' }, 'Chat', h('span', { class: 'badge', hidden: true }));
    acts.appendChild(chat);
    if (lane === 'waiting') {
      acts.appendChild(actButton('call', 'Call', 'btn-go', e));
      acts.appendChild(actButton('cancel', 'Cancel', 'btn-danger', e));
    } else if (lane === 'called') {
      acts.appendChild(actButton('seat', 'Seat', 'btn-go', e));
      acts.appendChild(actButton('no-show', 'No-show', '', e));
      acts.appendChild(actButton('requeue', 'Requeue', '', e));
      acts.appendChild(actButton('cancel', 'Cancel', 'btn-danger', e));
    } else {
      acts.appendChild(actButton('complete', 'Complete', 'btn-go', e));
    }
    li.appendChild(acts);
    paintBadge(li, e.customerName);
    return li;
  }

  function paintBadge(li, name) {
    var btn = li.querySelector('[data-act=chat]');
    if (!btn) return;
    var n = S.unread[li.getAttribute('data-session')] || 0;
    var badge = btn.querySelector('.badge');
    badge.hidden = n === 0;
    badge.textContent = n ? String(n) : '';
    var who = name || (li.querySelector('.name') || {}).textContent || '';
    btn.setAttribute('aria-label', 'Chat with ' + who + (n ? ', ' + n + ' unread' : ''));
  }

  function paintAllBadges() {
    document.querySelectorAll('li.row').forEach(function (li) { paintBadge(li); });
  }

  // ---------------------------------------------------------------- board rendering
  function panelOf(id) { return document.querySelector('section.panel[data-queue="' + id + '"]'); }

  function text(el, value) { if (el && el.textContent !== String(value)) el.textContent = String(value); }

  function renderQueue(q) {
    var panel = panelOf(q.id);
    if (!panel) { location.reload(); return; }
    if (S.drag && S.drag.queueId === q.id) { S.pending[q.id] = true; return; }
    var focus = document.activeElement;
    var focusEntry = focus && focus.closest ? focus.closest('li.row') : null;
    var keep = focusEntry && panel.contains(focusEntry)
      ? { entry: focusEntry.getAttribute('data-entry'), act: focus.getAttribute('data-act') } : null;

    text(panel.querySelector('[data-stat=waiting]'), q.stats.waiting);
    text(panel.querySelector('[data-stat=wait]'), q.stats.averageWaitTime);
    var st = panel.querySelector('[data-stat=state]');
    if (st) {
      text(st, !q.isActive ? 'not in use' : q.acceptingCustomers ? 'accepting' : 'paused');
      st.className = 'tag' + (q.isActive && q.acceptingCustomers ? '' : ' tag-off');
    }
    var toggle = panel.querySelector('[data-act=toggle]');
    if (toggle) {
      text(toggle, q.acceptingCustomers ? 'Pause joining' : 'Resume joining');
      toggle.setAttribute('aria-pressed', q.acceptingCustomers ? 'false' : 'true');
    }
    var jump = document.querySelector('[data-jump-count="' + q.id + '"]');
    text(jump, q.stats.waiting);

    var picked = S.picked[q.id] || {};
    var waitingIds = {};
    q.entries.forEach(function (e) { waitingIds[e.id] = true; });
    Object.keys(picked).forEach(function (id) { if (!waitingIds[id]) delete picked[id]; });
    S.picked[q.id] = picked;

    [['waiting', q.entries], ['called', q.called], ['seated', q.seated]].forEach(function (pair) {
      var lane = pair[0], list = pair[1] || [];
      var ol = panel.querySelector('ol[data-lane=' + lane + ']');
      if (!ol) return;
      var before = {};
      ol.querySelectorAll('li.row').forEach(function (li) { before[li.getAttribute('data-entry')] = true; });
      var frag = document.createDocumentFragment();
      list.forEach(function (e) {
        var li = rowEl(e, lane, q.id);
        if (!before[e.id] && ol.children.length) li.classList.add('flash');
        frag.appendChild(li);
      });
      ol.replaceChildren(frag);
      text(panel.querySelector('[data-count=' + lane + ']'), list.length);
      var empty = panel.querySelector('[data-empty=' + lane + ']');
      if (empty) empty.hidden = list.length > 0;
    });
    paintPicked(q.id);
    if (keep) {
      var again = panel.querySelector('li.row[data-entry="' + keep.entry + '"]' + (keep.act ? ' [data-act="' + keep.act + '"]' : ''));
      if (again) again.focus();
    }
  }

  function paintPicked(queueId) {
    var panel = panelOf(queueId);
    if (!panel) return;
    var n = Object.keys(S.picked[queueId] || {}).length;
    var btn = panel.querySelector('[data-act=call-selected]');
    if (btn) btn.disabled = n === 0;
    text(panel.querySelector('[data-picked]'), n);
  }

  function tick() {
    document.querySelectorAll('.since[data-since]').forEach(function (el) {
      var ol = el.closest('ol');
      var kind = el.getAttribute('data-kind') || (ol && ol.getAttribute('data-lane')) || 'waiting';
      var f = SINCE[kind] || SINCE.waiting;
      text(el, f(minutesSince(el.getAttribute('data-since'))));
    });
  }

  // ---------------------------------------------------------------- reading
  var refreshTimers = {};
  function refreshQueue(id, delay) {
    window.clearTimeout(refreshTimers[id]);
    refreshTimers[id] = window.setTimeout(function () {
      api('GET', '/api/queues/' + id).then(function (q) {
        S.queues[q.id] = q;
        renderQueue(q);
      }).catch(function (err) {
        if (err.status === 404) location.reload();
      });
    }, delay || 0);
  }

  function refreshAll() {
    if (mode === 'overview') return refreshOverview();
    return api('GET', '/api/board').then(function (b) {
      if (b.merchantId) S.merchantId = b.merchantId;
      var ids = b.queues.map(function (q) { return q.id; });
      if (S.order.length && ids.join() !== S.order.join()) { location.reload(); return; }
      b.queues.forEach(function (q) { S.queues[q.id] = q; renderQueue(q); });
    }).catch(function (err) {
      if (err.status !== 401) setConn('offline', 'Cannot reach the server; retrying');
    });
  }

  var overviewTimer = null;
  function refreshOverview() {
    window.clearTimeout(overviewTimer);
    overviewTimer = window.setTimeout(function () {
      fetch('/dashboard', { credentials: 'same-origin', headers: { 'Accept': 'text/html' } }).then(function (res) {
        if (res.redirected || res.status === 401) { signedOut(); return null; }
        return res.ok ? res.text() : null;
      }).then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['#overview', '.cards'].forEach(function (sel) {
          var fresh = doc.querySelector(sel), old = document.querySelector(sel);
          if (fresh && old) old.replaceChildren.apply(old, Array.prototype.slice.call(fresh.childNodes).map(function (n) { return document.importNode(n, true); }));
        });
      }).catch(function () { /* next event retries */ });
    }, 250);
  }

  // ---------------------------------------------------------------- acting
  function busy(btn, on) { if (btn) { btn.classList.toggle('busy', on); btn.setAttribute('aria-busy', on ? 'true' : 'false'); } }

  function act(btn, method, path, body, done) {
    busy(btn, true);
    return api(method, path, body).then(function (res) {
      busy(btn, false);
      if (done) done(res);
      return res;
    }).catch(function (err) {
      busy(btn, false);
      if (err.status !== 401) toast(err.message.charAt(0).toUpperCase() + err.message.slice(1) + '.');
      throw err;
    });
  }

  var DONE = { call: 'Called', seat: 'Seated', complete: 'Completed', cancel: 'Cancelled', 'no-show': 'Marked no-show:', requeue: 'Back in line:' };

  function onClick(ev) {
    var btn = ev.target.closest('[data-act]');
    if (!btn || btn.getAttribute('data-act') === 'pick' || btn.getAttribute('data-act') === 'drag') return;
    var panel = btn.closest('section.panel');
    if (!panel) return;
    var qid = panel.getAttribute('data-queue');
    var kind = btn.getAttribute('data-act');
    var li = btn.closest('li.row');
    var after = function () { refreshQueue(qid); };
    if (kind === 'call-next') {
      act(btn, 'POST', '/api/queues/' + qid + '/call-next').then(function (e) {
        toast('Called ' + e.ticketNumber + ' ' + e.customerName); after();
      }, after);
    } else if (kind === 'call-selected') {
      var picked = S.picked[qid] || {};
      var ids = (S.queues[qid] ? S.queues[qid].entries : []).map(function (e) { return e.id; }).filter(function (id) { return picked[id]; });
      if (!ids.length) return;
      act(btn, 'POST', '/api/queues/' + qid + '/call-bulk', { entryIds: ids }).then(function (list) {
        S.picked[qid] = {};
        toast('Called ' + list.map(function (e) { return e.ticketNumber; }).join(', ')); after();
      }, after);
    } else if (kind === 'toggle') {
      act(btn, 'POST', '/api/queues/' + qid + '/toggle').then(function (q) {
        toast(q.acceptingCustomers ? 'Joining resumed' : 'Joining paused'); after();
      }, after);
    } else if (kind === 'chat' && li) {
      openChat(qid, li.getAttribute('data-entry'), btn);
    } else if (DONE[kind] && li) {
      act(btn, 'POST', '/api/queues/' + qid + '/' + kind + '/' + li.getAttribute('data-entry')).then(function (e) {
        toast(DONE[kind] + ' ' + e.ticketNumber + ' ' + e.customerName); after();
      }, after);
    }
  }

  function onChange(ev) {
    var box = ev.target.closest('[data-act=pick]');
    if (!box) return;
    var panel = box.closest('section.panel'), li = box.closest('li.row');
    var qid = panel.getAttribute('data-queue'), id = li.getAttribute('data-entry');
    var picked = S.picked[qid] = S.picked[qid] || {};
    if (box.checked) picked[id] = true; else delete picked[id];
    paintPicked(qid);
  }

  // ---------------------------------------------------------------- reordering
  function idsIn(ol) {
    return Array.prototype.map.call(ol.querySelectorAll('li.row'), function (li) { return li.getAttribute('data-entry'); });
  }

  function saveOrder(qid, ids, movedId) {
    var chain = S.chains[qid] || Promise.resolve();
    S.chains[qid] = chain.then(function () {
      return api('PUT', '/api/queues/' + qid + '/order', { entryIds: ids }).then(function (line) {
        if (S.queues[qid]) S.queues[qid].entries = line;
        var moved = line.filter(function (e) { return e.id === movedId; })[0];
        if (moved) say(moved.ticketNumber + ' ' + moved.customerName + ' is now number ' + moved.position + ' of ' + line.length + '.');
        refreshQueue(qid, 50);
      }).catch(function (err) {
        toast(err.code === 'stale_order' ? 'The line changed meanwhile; here it is again.' : 'Could not save the order: ' + err.message);
        refreshQueue(qid);
      });
    });
  }

  function onPointerDown(ev) {
    var handle = ev.target.closest('.handle');
    if (!handle || (ev.pointerType === 'mouse' && ev.button !== 0)) return;
    var li = handle.closest('li.row'), ol = li.parentElement, panel = li.closest('section.panel');
    ev.preventDefault();
    try { handle.setPointerCapture(ev.pointerId); } catch (e) { /* old browsers */ }
    S.drag = { queueId: panel.getAttribute('data-queue'), li: li, ol: ol, handle: handle, before: idsIn(ol).join() };
    li.classList.add('dragging');
  }

  function onPointerMove(ev) {
    var d = S.drag;
    if (!d) return;
    ev.preventDefault();
    var rows = Array.prototype.filter.call(d.ol.querySelectorAll('li.row'), function (r) { return r !== d.li; });
    var target = null;
    for (var i = 0; i < rows.length; i++) {
      var box = rows[i].getBoundingClientRect();
      if (ev.clientY < box.top + box.height / 2) { target = rows[i]; break; }
    }
    if (target) {
      if (d.li.nextElementSibling !== target) d.ol.insertBefore(d.li, target);
    } else if (d.ol.lastElementChild !== d.li) {
      d.ol.appendChild(d.li);
    }
  }

  function onPointerUp() {
    var d = S.drag;
    if (!d) return;
    S.drag = null;
    d.li.classList.remove('dragging');
    var ids = idsIn(d.ol);
    if (ids.join() !== d.before) {
      saveOrder(d.queueId, ids, d.li.getAttribute('data-entry'));
    } else if (S.pending[d.queueId] && S.queues[d.queueId]) {
      renderQueue(S.queues[d.queueId]);
    }
    delete S.pending[d.queueId];
  }

  function onPointerCancel() {
    var d = S.drag;
    if (!d) return;
    S.drag = null;
    d.li.classList.remove('dragging');
    if (S.queues[d.queueId]) renderQueue(S.queues[d.queueId]);
  }

  function onKeyDown(ev) {
    var handle = ev.target.closest && ev.target.closest('.handle');
    if (!handle || (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown')) return;
    ev.preventDefault();
    var li = handle.closest('li.row'), ol = li.parentElement, qid = li.closest('section.panel').getAttribute('data-queue');
    var sibling = ev.key === 'ArrowUp' ? li.previousElementSibling : li.nextElementSibling;
    if (!sibling) return;
    if (ev.key === 'ArrowUp') ol.insertBefore(li, sibling); else ol.insertBefore(sibling, li);
    handle.focus();
    saveOrder(qid, idsIn(ol), li.getAttribute('data-entry'));
  }

  // ---------------------------------------------------------------- chat
  var chatBox = document.getElementById('chat');
  var chatLog = document.getElementById('chat-log');
  var chatForm = document.getElementById('chat-form');
  var chatText = document.getElementById('chat-text');
  var chatError = document.getElementById('chat-error');
  var chatTemplates = document.getElementById('chat-templates');
  var chatNotes = document.getElementById('chat-notifications');
  var chatOpener = null;

  function findEntry(qid, id) {
    var q = S.queues[qid];
    if (!q) return null;
    return (q.entries || []).concat(q.called || [], q.seated || []).filter(function (e) { return e.id === id; })[0] || null;
  }

  function addMessage(m) {
    if (!chatLog) return;
    var sender = String(m.sender || '').toLowerCase();
    var at = m.timestamp || m.createdAt;
    var time = at ? new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
    var label = sender === 'staff' ? 'You (staff)' : sender === 'system' ? 'System' : 'Customer';
    chatLog.appendChild(h('li', { class: 'msg msg-' + (sender || 'customer') },
      h('span', { class: 'msg-meta', text: label + (time ? ' \u00b7 ' + time : '') }),
      document.createTextNode(m.content || '')));
    chatLog.scrollTop = chatLog.scrollHeight;
  }

  function showHistory(list) {
    if (!chatLog) return;
    chatLog.replaceChildren();
    (list || []).forEach(addMessage);
  }

  function loadTemplates() {
    if (S.templates) return Promise.resolve(S.templates);
    return api('GET', '/api/notification-templates').then(function (list) {
      S.templates = (list || []).filter(function (t) { return t.isActive; });
      return S.templates;
    }).catch(function () { return []; });
  }

  function openChat(qid, entryId, opener) {
    var entry = findEntry(qid, entryId);
    if (!entry || !chatBox) return;
    chatOpener = opener;
    S.chat = { queueId: qid, entry: entry };
    document.getElementById('chat-title').textContent = 'Chat with ' + entry.customerName + ' (' + entry.ticketNumber + ')';
    chatLog.replaceChildren(h('li', { class: 'msg msg-system', text: 'Loading\u2026' }));
    chatError.hidden = true;
    chatText.value = '';
    chatBox.hidden = false;
    chatText.focus();
    S.unread[entry.sessionId] = 0;
    saveUnread();
    paintAllBadges();
    if (S.socket && S.socket.connected) {
      S.socket.emit('webchat:join', entry.sessionId);
    } else {
      api('GET', '/api/queue/webchat/' + encodeURIComponent(entry.sessionId)).then(function (r) {
        showHistory(Array.isArray(r) ? r : (r && r.messages));
      }).catch(function () { showHistory([]); });
    }
    loadTemplates().then(function (list) {
      chatTemplates.replaceChildren();
      list.forEach(function (t) {
        chatTemplates.appendChild(h('button', { type: 'button', class: 'btn', 'data-template': t.id, text: t.name }));
      });
    });
    loadHistory(entry);
  }

  function loadHistory(entry) {
    api('GET', '/api/entries/' + entry.id + '/notifications').then(function (list) {
      chatNotes.replaceChildren();
      if (!list.length) { chatNotes.appendChild(h('li', { text: 'No notifications sent yet.' })); return; }
      list.forEach(function (n) {
        var when = new Date(n.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
        chatNotes.appendChild(h('li', { text: when + ' \u00b7 ' + n.channel + ' \u00b7 ' + n.status + ': ' + n.message + (n.errorMessage ? ' (' + n.errorMessage + ')' : '') }));
      });
    }).catch(function () { chatNotes.replaceChildren(h('li', { text: 'Could not load the history.' })); });
  }

  function closeChat() {
    if (!chatBox || chatBox.hidden) return;
    chatBox.hidden = true;
    S.chat = null;
    if (chatOpener && document.body.contains(chatOpener)) chatOpener.focus();
  }

  function sendChat(ev) {
    ev.preventDefault();
    if (!S.chat) return;
    var content = chatText.value.trim();
    if (!content) { chatError.textContent = 'Write a message first.'; chatError.hidden = false; chatText.focus(); return; }
    chatError.hidden = true;
    var sessionId = S.chat.entry.sessionId;
    var chat = S.chat;
    var sent = function () { chatText.value = ''; chat.template = null; chatText.focus(); };
    var failed = function (msg) { chatError.textContent = 'Not sent: ' + msg; chatError.hidden = false; };
    // A template sent as filled in goes through the server, which also records it in the
    // notification history; edited text is an ordinary chat message.
    if (chat.template && content === chat.template.text.trim()) {
      api('POST', '/api/notification-templates/' + chat.template.id + '/send', { sessionId: sessionId }).then(function (m) {
        if (!(S.socket && S.socket.connected) && m) addMessage(m);
        sent();
        loadHistory(chat.entry);
      }, function (e) { failed(e.message); });
      return;
    }
    if (S.socket && S.socket.connected) {
      S.socket.timeout(5000).emit('webchat:message', { sessionId: sessionId, content: content }, function (err, ack) {
        if (err) { restSend(sessionId, content).then(sent, function (e) { failed(e.message); }); return; }
        if (ack && ack.ok === false) { failed(CHAT_REFUSED[ack.error] || String(ack.error || 'refused')); return; }
        sent();
      });
    } else {
      restSend(sessionId, content).then(function (m) { if (m && m.content) addMessage(m); sent(); }, function (e) { failed(e.message); });
    }
  }

  var CHAT_REFUSED = {
    chat_closed: 'this visit is over; the chat is closed',
    rate_limited: 'too many messages; wait a moment',
    forbidden: 'this chat is not available',
    bad_request: 'the message is empty or too long',
    unavailable: 'the server is busy; try again'
  };

  function restSend(sessionId, content) {
    return api('POST', '/api/queue/webchat/send', { sessionId: sessionId, content: content });
  }

  function setupChat() {
    if (!chatBox) return;
    chatForm.addEventListener('submit', sendChat);
    chatBox.addEventListener('click', function (ev) {
      if (ev.target === chatBox || ev.target.closest('[data-act=chat-close]')) closeChat();
      var t = ev.target.closest('[data-template]');
      if (t && S.chat && S.templates) {
        var tpl = S.templates.filter(function (x) { return x.id === t.getAttribute('data-template'); })[0];
        if (tpl) {
          var fresh = findEntry(S.chat.queueId, S.chat.entry.id) || S.chat.entry;
          chatText.value = fill(tpl.content, fresh);
          S.chat.template = { id: tpl.id, text: chatText.value };
          chatText.focus();
        }
      }
    });
    document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') closeChat(); });
  }

  // ---------------------------------------------------------------- realtime
  function connect() {
    if (typeof window.io !== 'function') {
      setConn('offline', 'Live updates unavailable; refreshing every 5 s');
      window.setInterval(refreshAll, 5000);
      return;
    }
    var socket = window.io({ transports: ['websocket', 'polling'] });
    S.socket = socket;
    socket.on('connect', function () {
      setConn('live', 'Live');
      if (S.merchantId) socket.emit('merchant:join', S.merchantId);
      S.order.forEach(function (id) { socket.emit('join-queue', id); });
      if (S.chat) socket.emit('webchat:join', S.chat.entry.sessionId);
      refreshAll();
    });
    socket.on('disconnect', function (reason) {
      if (S.signedOut) return;
      setConn('offline', 'Reconnecting\u2026');
      // The server let this socket go (the sign-in ended, or it restarted): ask over REST,
      // which shows the signed-out state when the session is gone, and connect again if not.
      if (reason === 'io server disconnect') {
        refreshAll();
        window.setTimeout(function () { if (!S.signedOut) socket.connect(); }, 1000);
      }
    });
    socket.on('connect_error', function () { if (!S.signedOut) setConn('offline', 'Offline; retrying'); });
    socket.on('queue:update', function (ev) {
      if (!ev || !ev.queueId) return;
      if (mode === 'overview') { refreshOverview(); return; }
      if (ev.action === 'customer-joined' && ev.entry) toast('New guest: ' + ev.entry.ticketNumber + ' ' + ev.entry.customerName);
      refreshQueue(ev.queueId, 30);
    });
    socket.on('webchat:new-message', function (ev) {
      if (!ev || !ev.sessionId) return;
      if (S.chat && S.chat.entry.sessionId === ev.sessionId && !chatBox.hidden) return;
      S.unread[ev.sessionId] = (S.unread[ev.sessionId] || 0) + 1;
      saveUnread();
      paintAllBadges();
      toast('New message from ' + (ev.customerName || 'a customer'));
    });
    socket.on('webchat:history', function (list) {
      if (S.chat) showHistory(Array.isArray(list) ? list : (list && list.messages));
    });
    socket.on('message', function (m) {
      if (!S.chat || !m) return;
      var sid = (m.metadata && m.metadata.sessionId) || m.sessionId;
      if (sid && sid !== S.chat.entry.sessionId) return;
      addMessage(m);
    });
  }

  // ---------------------------------------------------------------- start
  if (mode === 'board') {
    document.querySelectorAll('section.panel[data-queue]').forEach(function (p) { S.order.push(p.getAttribute('data-queue')); });
    root.addEventListener('click', onClick);
    root.addEventListener('change', onChange);
    root.addEventListener('pointerdown', onPointerDown);
    root.addEventListener('pointermove', onPointerMove);
    root.addEventListener('pointerup', onPointerUp);
    root.addEventListener('pointercancel', onPointerCancel);
    root.addEventListener('keydown', onKeyDown);
    setupChat();
    paintAllBadges();
    window.setInterval(tick, 30000);
  } else {
    document.querySelectorAll('[data-queue]').forEach(function (p) { S.order.push(p.getAttribute('data-queue')); });
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && !S.signedOut) refreshAll();
  });
  // A board left open at the door counts as in use: keep the session from idling out.
  window.setInterval(function () {
    if (document.visibilityState === 'visible' && !S.signedOut) api('GET', '/api/auth/session').catch(function () { });
  }, 10 * 60 * 1000);
  connect();
  // For diagnostics and the browser tests: the live connection.
  window.QMS_BOARD = { socket: function () { return S.socket; } };
}());
