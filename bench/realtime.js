// Realtime fan-out benchmark (run by bench/realtime.sh): N customer sockets waiting in one
// queue plus S staff boards, spread over P worker processes. Each round calls the next
// customer over HTTP and measures, per socket, the time from the start of that HTTP call to
// the receipt of its event (`notification` for customers, `queue:update` for boards). Also
// reports the server's resident memory per connected idle socket. Prints one JSON object.
//
// The sockets are bare Socket.IO v5 clients over one websocket each (the `ws` package that
// socket.io-client itself uses): they speak the handful of engine.io / socket.io frames
// needed (open, connect with auth, one acknowledged join, ping → pong, events) and recognise
// an event by the prefix of its frame instead of decoding it, so the load generator, which
// shares the machine with the server, takes as little of the CPU being measured as possible.
// The official clients are exercised by the tests in crates/web/tests/realtime/.
//
//   node bench/realtime.js --url http://demo.localhost:3000 --token JWT --queue UUID \
//        --sessions sessions.json --staff 100 --procs 2 --rounds 10 --server-pid PID
"use strict";

const { fork } = require("child_process");
const fs = require("fs");
const { performance } = require("perf_hooks");

const now = () => performance.timeOrigin + performance.now();

function args() {
  const a = {};
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
  return a;
}

// ----- worker: holds sockets, records receipts -----
function worker() {
  const WebSocket = require("ws");
  const NOTIFICATION = '42["notification"';
  const UPDATE = '42["queue:update"';
  let sockets = [];
  let round = null; // {n, t0, expected, got, kinds}

  const record = (kind) => {
    if (!round) return;
    round.ms[round.count] = now() - round.t0;
    round.kinds[round.count] = kind;
    round.count++;
    if (round.count >= round.expected) finish();
  };
  const finish = () => {
    if (!round) return;
    clearTimeout(round.timer);
    const got = [];
    for (let i = 0; i < round.count; i++) got.push({ kind: round.kinds[i] ? "staff" : "customer", ms: round.ms[i] });
    process.send({ type: "round", n: round.n, got, expected: round.expected });
    round = null;
  };

  // One socket: resolves once the join is acknowledged {ok:true}.
  const connectOne = (msg, auth, join, arg, kind) =>
    new Promise((resolve, reject) => {
      const u = new URL(msg.url);
      const ws = new WebSocket(`ws://127.0.0.1:${u.port}/socket.io/?EIO=4&transport=websocket`, {
        headers: { host: u.host },
        perMessageDeflate: false,
      });
      const state = { kind, active: true, ws };
      const timer = setTimeout(() => reject(new Error(`${join} timed out`)), 60000);
      ws.on("error", (e) => reject(e));
      ws.on("close", () => {
        state.active = false;
        state.kind = "closed";
      });
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        const s = data.toString();
        if (s === "2") return ws.send("3");
        if (kind === "customer" && s.startsWith(NOTIFICATION)) {
          if (!state.active) return;
          if (s.includes('"type":"called"')) state.active = false;
          return record(0);
        }
        if (kind === "staff" && s.startsWith(UPDATE)) return record(1);
        if (s[0] === "0") return ws.send(auth ? "40" + JSON.stringify(auth) : "40");
        if (s.startsWith("40")) return ws.send(`420${JSON.stringify([join, arg])}`);
        if (s.startsWith("44")) return reject(new Error("connect_error " + s));
        if (s.startsWith("430")) {
          clearTimeout(timer);
          if (s.startsWith('430[{"ok":true}')) resolve(state);
          else reject(new Error(`${join} refused: ${s}`));
        }
      });
    });

  async function connectAll(msg) {
    const jobs = [];
    for (const sid of msg.sessions) jobs.push(() => connectOne(msg, null, "customer:join", sid, "customer"));
    for (let i = 0; i < msg.staff; i++) jobs.push(() => connectOne(msg, { token: msg.token }, "join-queue", msg.queue, "staff"));
    const batch = Number(process.env.BENCH_BATCH || 100);
    for (let i = 0; i < jobs.length; i += batch) {
      sockets.push(...(await Promise.all(jobs.slice(i, i + batch).map((j) => j()))));
    }
    process.send({ type: "ready", count: sockets.length });
  }

  process.on("message", (msg) => {
    if (msg.type === "connect") connectAll(msg).catch((e) => process.send({ type: "error", error: String(e) }));
    else if (msg.type === "round") {
      const expected = sockets.filter((s) => s.kind === "staff" || s.active).length;
      round = {
        n: msg.n,
        t0: msg.t0,
        expected,
        count: 0,
        ms: new Float64Array(expected),
        kinds: new Uint8Array(expected),
      };
      round.timer = setTimeout(finish, 10000);
      if (expected === 0) finish();
    } else if (msg.type === "exit") {
      for (const s of sockets) s.ws.close();
      setTimeout(() => process.exit(0), 100);
    }
  });
}

// ----- coordinator -----
// CPU time (user + system) a process has used so far, in milliseconds (/proc/PID/stat counts
// in clock ticks of 10 ms).
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

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
  const procs = Number(a.procs || 2);
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
  // CPU used during the counted rounds (from the call to the last receipt), per round.
  const cpu = { server: 0, clients: 0 };
  const clientsCpu = () => workers.reduce((sum, w) => sum + cpuMs(w.pid), 0);
  // Round 0 warms the server up (first statements, first buffers) and is not counted.
  for (let n = 0; n <= rounds; n++) {
    const done = wait("round", procs);
    const cpuBefore = { server: cpuMs(pid), clients: clientsCpu() };
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
    cpu.server += cpuMs(pid) - cpuBefore.server;
    cpu.clients += clientsCpu() - cpuBefore.clients;
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
      server_cpu_ms_per_round: cpu.server / rounds,
      clients_cpu_ms_per_round: cpu.clients / rounds,
    })
  );
}

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

localhostLookup();
if (process.argv[2] === "worker") worker();
else
  coordinator().catch((e) => {
    console.error(e);
    process.exit(1);
  });
