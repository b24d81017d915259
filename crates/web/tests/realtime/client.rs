//! Drives the real Socket.IO clients of `e2e/` (the official JavaScript `socket.io-client` and
//! `python-socketio`) from a test: commands go to the script's stdin, everything the sockets
//! see comes back as JSON lines and is kept, so a test can wait for an answer and later assert
//! on every event a socket ever received.

use crate::common::external::{self, Requirement};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// Which official client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Js,
    Python,
}

impl Kind {
    pub fn requirement(self) -> Requirement {
        match self {
            Kind::Js => Requirement::NodePackage("socket.io-client"),
            Kind::Python => Requirement::PythonModule("socketio"),
        }
    }
}

/// The transports of Socket.IO.
pub const TRANSPORTS: [&str; 2] = ["websocket", "polling"];

pub const WAIT: Duration = Duration::from_secs(10);

pub struct Clients {
    kind: Kind,
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<Value>,
    /// Every line received so far, in order.
    pub seen: Vec<Value>,
    tags: u64,
}

impl Clients {
    /// Starts the script, or answers `None` (after the skip line) when the client is missing.
    pub async fn start(test: &str, kind: Kind) -> Option<Clients> {
        external::require(test, &[kind.requirement()])?;
        let (program, script) = match kind {
            Kind::Js => ("node", "socketio_client.js"),
            Kind::Python => ("python3", "socketio_client.py"),
        };
        let mut child = Command::new(program)
            .arg(script)
            .current_dir(external::e2e_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} {script}: {e}"));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let value = serde_json::from_str(&line).unwrap_or(json!({"unparsed": line}));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let mut clients = Clients {
            kind,
            child,
            stdin,
            lines,
            seen: Vec::new(),
            tags: 0,
        };
        clients
            .wait(|l| l.get("ready").is_some(), Duration::from_secs(20))
            .await
            .unwrap_or_else(|| panic!("{program} {script} did not start"));
        Some(clients)
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    async fn send(&mut self, cmd: Value) {
        let line = format!("{cmd}\n");
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to the client script");
    }

    /// The first line matching `pred` (already seen or arriving within `timeout`).
    pub async fn wait(
        &mut self,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Option<Value> {
        if let Some(found) = self.seen.iter().find(|l| pred(l)) {
            return Some(found.clone());
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.recv())
                .await
                .ok()??;
            self.seen.push(line.clone());
            if pred(&line) {
                return Some(line);
            }
        }
    }

    /// Collects what arrives during `d`.
    pub async fn settle(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some(line)) = tokio::time::timeout_at(deadline, self.lines.recv()).await {
            self.seen.push(line);
        }
    }

    /// Connects socket `id`; answers `Ok` or the `connect_error` message.
    pub async fn connect(
        &mut self,
        id: &str,
        url: &str,
        auth: Value,
        transport: &str,
    ) -> Result<(), String> {
        self.connect_with_headers(id, url, auth, transport, json!({}))
            .await
    }

    /// [`Clients::connect`] with extra HTTP headers on the handshake (a session cookie).
    pub async fn connect_with_headers(
        &mut self,
        id: &str,
        url: &str,
        auth: Value,
        transport: &str,
        headers: Value,
    ) -> Result<(), String> {
        self.send(json!({"cmd": "connect", "id": id, "url": url, "auth": auth, "transport": transport, "reconnection": false, "headers": headers}))
            .await;
        let line = self
            .wait(
                |l| {
                    l["id"] == id
                        && (l.get("connected").is_some() || l.get("connect_error").is_some())
                },
                WAIT,
            )
            .await
            .unwrap_or_else(|| panic!("socket {id} neither connected nor failed"));
        match line.get("connect_error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_string()),
            None => Ok(()),
        }
    }

    /// Emits an event with arguments and answers the acknowledgement.
    pub async fn call(&mut self, id: &str, event: &str, args: Value) -> Value {
        self.tags += 1;
        let tag = format!("t{}", self.tags);
        self.send(json!({"cmd": "emit", "id": id, "event": event, "args": args, "tag": tag}))
            .await;
        let line = self
            .wait(|l| l["id"] == id && l["tag"] == tag.as_str(), WAIT)
            .await
            .unwrap_or_else(|| panic!("no answer to {event} on {id}"));
        line.get("ack")
            .cloned()
            .unwrap_or_else(|| panic!("{event} on {id}: {line}"))
    }

    pub async fn disconnect(&mut self, id: &str) {
        self.send(json!({"cmd": "disconnect", "id": id})).await;
        self.wait(|l| l["id"] == id && l.get("disconnected").is_some(), WAIT)
            .await;
    }

    /// The first `event` on socket `id` whose first argument matches `pred`.
    pub async fn event(
        &mut self,
        id: &str,
        event: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        self.wait(
            |l| l["id"] == id && l["event"] == event && pred(&l["args"][0]),
            WAIT,
        )
        .await
        .map(|l| l["args"][0].clone())
    }

    /// Every `event` socket `id` received so far (first arguments).
    pub fn all(&self, id: &str, event: &str) -> Vec<Value> {
        self.seen
            .iter()
            .filter(|l| l["id"] == id && l["event"] == event)
            .map(|l| l["args"][0].clone())
            .collect()
    }

    /// Every event line received by sockets whose id starts with `prefix`.
    pub fn events_of(&self, prefix: &str) -> Vec<&Value> {
        self.seen
            .iter()
            .filter(|l| {
                l["id"].as_str().is_some_and(|i| i.starts_with(prefix)) && l.get("event").is_some()
            })
            .collect()
    }

    pub async fn exit(mut self) {
        self.send(json!({"cmd": "exit"})).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// `http://{slug}.localhost:{port}` for a test app at `addr`.
pub fn url(slug: &str, addr: std::net::SocketAddr) -> String {
    format!("http://{slug}.localhost:{}", addr.port())
}
