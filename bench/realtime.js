// Realtime fan-out benchmark (run by bench/realtime.sh): N customer sockets waiting in one
// queue plus S staff boards, all with the official socket.io-client over websocket, spread
// over P worker processes. Each round calls the next customer over HTTP and measures, per
// socket, the time from the start of that HTTP call to the receipt of its event
// (`notification` for customers, `queue:update` for boards). Also reports the server's
// resident memory per connected idle socket. Prints one JSON object.
//
//   node bench/realtime.js --url http://demo.localhost:3000 --token JWT --queue UUID \
//        --sessions sessions.json --staff 100 --procs 4 --rounds 10 --server-pid PID
"use strict";

const { fork } = require("child_process");
const fs = require("fs");
const { performance } = require("perf_hooks");

const now = () => performance.timeOrigin + performance.now();

function localhostLookup() {
  const dns = require("dns");
  const original = dns.lookup;
  dns.lookup = function (host, options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = {};
    }
    if (typeof host === "string" && host.endsWith(".localhost")) {
      if (options && options.all) return process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }]);
      return process.nextTick(callback, null, "127.0.0.1", 4);
    }
    return original.call(dns, host, options, callback);
  };
}

function args() {
  const a = {};
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
  return a;
}

// ----- worker: holds sockets, records receipts -----
function worker() {
  const { io } = require("socket.io-client");
  let sockets = [];
  let round = null; // {n, t0, expected, got: []}
  let active = []; // customer sockets still expecting events
  const record = (kind, sock) => {
    if (!round) return;
    round.got.push({ kind, ms: now() - round.t0 });
    if (round.got.length >= round.expected) finish();
  };
  const finish = () => {
    if (!round) return;
    clearTimeout(round.timer);
    process.send({ type: "round", n: round.n, got: round.got, expected: round.expected });
    round = null;
  };
  async function connectAll(msg) {
    const connectOne = (auth, join, arg, kind) =>
      new Promise((resolve, reject) => {
        const s = io(msg.url, { transports: ["websocket"], auth, reconnection: false, timeout: 20000, forceNew: true });
        s.on("connect_error", (e) => reject(e));
        s.on("connect", () =>
          s.timeout(60000).emit(join, arg, (err, ack) => {
            if (err || !ack || !ack.ok) return reject(new Error(join + " failed: " + (err ? err.message : JSON.stringify(ack))));
            resolve(s);
          })
        );
        s.state = { kind, active: true };
        if (kind === "customer")
          s.on("notification", (n) => {
            if (!s.state.active) return;
            if (n.type === "called") s.state.active = false;
            record("customer", s);
          });
        else s.on("queue:update", () => record("staff", s));
      });
    const jobs = [];
    for (const sid of msg.sessions) jobs.push(() => connectOne({}, "customer:join", sid, "customer"));
    for (let i = 0; i < msg.staff; i++) jobs.push(() => connectOne({ token: msg.token }, "join-queue", msg.queue, "staff"));
    const batch = Number(process.env.BENCH_BATCH || 50);
    for (let i = 0; i < jobs.length; i += batch) {
      sockets.push(...(await Promise.all(jobs.slice(i, i + batch).map((j) => j()))));
    }
    process.send({ type: "ready", count: sockets.length });
  }
  process.on("message", (msg) => {
    if (msg.type === "connect") connectAll(msg).catch((e) => process.send({ type: "error", error: String(e) }));
    else if (msg.type === "round") {
      const expected = sockets.filter((s) => s.state.kind === "staff" || s.state.active).length;
      round = { n: msg.n, t0: msg.t0, expected, got: [] };
      round.timer = setTimeout(finish, 10000);
      if (expected === 0) finish();
    } else if (msg.type === "exit") {
      for (const s of sockets) s.disconnect();
      setTimeout(() => process.exit(0), 100);
    }
  });
}

// ----- coordinator -----
function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const m = status.match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) : NaN;
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function coordinator() {
  const a = args();
  const sessions = JSON.parse(fs.readFileSync(a.sessions, "utf8"));
  const procs = Number(a.procs || 4);
  const staff = Number(a.staff || 0);
  const rounds = Number(a.rounds || 10);
  const pid = Number(a["server-pid"]);
  const rssBefore = rssKiB(pid);
  const workers = [];
  for (let i = 0; i < procs; i++) workers.push(fork(__filename, ["worker"]));
  const wait = (type, count) =>
    new Promise((resolve, reject) => {
      const got = [];
      for (const w of workers)
        w.on("message", function h(m) {
          if (m.type === "error") reject(new Error(m.error));
          if (m.type !== type) return;
          w.off("message", h);
          got.push(m);
          if (got.length === count) resolve(got);
        });
    });
  const started = now();
  const ready = wait("ready", procs);
  workers.forEach((w, i) =>
    w.send({
      type: "connect",
      url: a.url,
      token: a.token,
      queue: a.queue,
      sessions: sessions.filter((_, j) => j % procs === i),
      staff: Math.floor(staff / procs) + (i < staff % procs ? 1 : 0),
    })
  );
  const counts = await ready;
  const connected = counts.reduce((s, m) => s + m.count, 0);
  const connectSecs = (now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 3000));
  const rssAfter = rssKiB(pid);

  const lat = { customer: [], staff: [] };
  let missing = 0;
  const http = [];
  // Round 0 warms the server up (first statements, first buffers) and is not counted.
  for (let n = 0; n <= rounds; n++) {
    const done = wait("round", procs);
    const t0 = now();
    workers.forEach((w) => w.send({ type: "round", n, t0 }));
    const res = await fetch(`${a.url}/api/queues/${a.queue}/call-next`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.token}` },
    });
    const took = now() - t0;
    if (res.status !== 200) throw new Error(`call-next answered ${res.status}`);
    const reports = await done;
    if (n === 0) continue;
    http.push(took);
    for (const m of reports) {
      missing += m.expected - m.got.length;
      for (const g of m.got) lat[g.kind].push(g.ms);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  workers.forEach((w) => w.send({ type: "exit" }));
  const summary = (xs) => {
    const s = xs.slice().sort((x, y) => x - y);
    return { count: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1] };
  };
  console.log(
    JSON.stringify({
      customers: sessions.length,
      staff,
      connected,
      connect_seconds: connectSecs,
      rss_before_kib: rssBefore,
      rss_after_kib: rssAfter,
      kib_per_socket: (rssAfter - rssBefore) / connected,
      rounds,
      missing,
      http: summary(http),
      customer: summary(lat.customer),
      staff_boards: summary(lat.staff),
    })
  );
}

localhostLookup();
if (process.argv[2] === "worker") worker();
else
  coordinator().catch((e) => {
    console.error(e);
    process.exit(1);
  });
