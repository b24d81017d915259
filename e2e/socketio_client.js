// A scriptable Socket.IO client for the realtime tests: the official `socket.io-client`
// driven by JSON commands on stdin, reporting everything as JSON lines on stdout.
//
// Commands (one JSON object per line):
//   {"cmd":"connect","id":"s1","url":"http://a.localhost:1234","auth":{...},"transport":"websocket"|"polling"}
//       → {"id":"s1","connected":true} | {"id":"s1","connect_error":"..."}
//   {"cmd":"emit","id":"s1","event":"join-queue","args":["<uuid>"],"tag":"t1"}
//       → {"id":"s1","tag":"t1","ack":<first ack argument>}   (or "ack_timeout":true after 5 s)
//   {"cmd":"disconnect","id":"s1"}            → {"id":"s1","disconnected":true}
//   {"cmd":"exit"}
// Every event a socket receives → {"id":"s1","event":"<name>","args":[...]}.
// A "reconnected" line follows an automatic reconnection.
//
// Host names under .localhost resolve to 127.0.0.1 here, as they do in browsers, so the
// handshake carries the tenant's real Host header.
"use strict";

const dns = require("dns");
const originalLookup = dns.lookup;
dns.lookup = function (host, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = {};
  }
  if (typeof host === "string" && (host === "localhost" || host.endsWith(".localhost"))) {
    if (options && options.all) {
      return process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }]);
    }
    return process.nextTick(callback, null, "127.0.0.1", 4);
  }
  return originalLookup.call(dns, host, options, callback);
};

const { io } = require("socket.io-client");
const readline = require("readline");

const sockets = new Map();
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

function connect(cmd) {
  const socket = io(cmd.url, {
    auth: cmd.auth || {},
    transports: [cmd.transport || "websocket"],
    upgrade: false,
    reconnection: cmd.reconnection !== false,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
    timeout: 5000,
    extraHeaders: cmd.headers || {},
    forceNew: true,
  });
  sockets.set(cmd.id, socket);
  let connectedOnce = false;
  socket.on("connect", () => {
    out({ id: cmd.id, [connectedOnce ? "reconnected" : "connected"]: true, transport: socket.io.engine.transport.name });
    connectedOnce = true;
  });
  socket.on("connect_error", (err) => {
    out({ id: cmd.id, connect_error: err.message });
    if (!connectedOnce && cmd.reconnection === false) socket.close();
  });
  socket.on("disconnect", (reason) => out({ id: cmd.id, disconnect: reason }));
  socket.onAny((event, ...args) => out({ id: cmd.id, event, args }));
}

function emit(cmd) {
  const socket = sockets.get(cmd.id);
  if (!socket) return out({ id: cmd.id, tag: cmd.tag, error: "no such socket" });
  socket.timeout(5000).emit(cmd.event, ...(cmd.args || []), (err, ack) => {
    if (err) out({ id: cmd.id, tag: cmd.tag, ack_timeout: true });
    else out({ id: cmd.id, tag: cmd.tag, ack });
  });
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    return out({ error: "bad command: " + line });
  }
  switch (cmd.cmd) {
    case "connect":
      return connect(cmd);
    case "emit":
      return emit(cmd);
    case "disconnect": {
      const s = sockets.get(cmd.id);
      if (s) s.disconnect();
      sockets.delete(cmd.id);
      return out({ id: cmd.id, disconnected: true });
    }
    case "exit":
      for (const s of sockets.values()) s.disconnect();
      return setTimeout(() => process.exit(0), 50);
    default:
      return out({ error: "unknown command " + cmd.cmd });
  }
});
rl.on("close", () => {
  for (const s of sockets.values()) s.disconnect();
  setTimeout(() => process.exit(0), 50);
});
out({ ready: true, client: "socket.io-client " + require("socket.io-client/package.json").version });
