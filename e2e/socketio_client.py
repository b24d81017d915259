"""A scriptable Socket.IO client for the realtime tests: the official `python-socketio`
(asyncio client over aiohttp) driven by JSON commands on stdin, reporting as JSON lines.

It speaks the same commands and answers as socketio_client.js (see there):
connect / emit / disconnect / exit on stdin; connected, connect_error, ack, event lines out.
Host names under .localhost resolve to 127.0.0.1, so the handshake carries the tenant's
real Host header.
"""

import asyncio
import json
import socket
import sys

import aiohttp
import socketio
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver


class LocalhostResolver(AbstractResolver):
    """Resolves *.localhost to 127.0.0.1 (as browsers do); anything else as usual."""

    def __init__(self):
        self._default = DefaultResolver()

    async def resolve(self, host, port=0, family=socket.AF_INET):
        if host == "localhost" or host.endswith(".localhost"):
            return [
                {
                    "hostname": host,
                    "host": "127.0.0.1",
                    "port": port,
                    "family": socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            ]
        return await self._default.resolve(host, port, family)

    async def close(self):
        await self._default.close()


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Clients:
    def __init__(self):
        self.sockets = {}
        self.sessions = []

    async def connect(self, cmd):
        sid = cmd["id"]
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=LocalhostResolver(), force_close=False)
        )
        self.sessions.append(session)
        client = socketio.AsyncClient(
            http_session=session,
            reconnection=cmd.get("reconnection", True),
            reconnection_delay=0.2,
            reconnection_delay_max=1,
        )
        self.sockets[sid] = client
        state = {"connected_once": False}

        @client.event
        async def connect():
            key = "reconnected" if state["connected_once"] else "connected"
            state["connected_once"] = True
            out({"id": sid, key: True, "transport": client.transport()})

        @client.event
        async def connect_error(data):
            message = data.get("message") if isinstance(data, dict) else data
            out({"id": sid, "connect_error": message})

        @client.event
        async def disconnect(reason=None):
            out({"id": sid, "disconnect": str(reason)})

        @client.on("*")
        async def any_event(event, *args):
            out({"id": sid, "event": event, "args": list(args)})

        try:
            await client.connect(
                cmd["url"],
                auth=cmd.get("auth") or {},
                headers=cmd.get("headers") or {},
                transports=[cmd.get("transport", "websocket")],
                wait_timeout=5,
            )
        except socketio.exceptions.ConnectionError as e:
            if not state["connected_once"]:
                out({"id": sid, "connect_error": str(e)})

    async def emit(self, cmd):
        client = self.sockets.get(cmd["id"])
        if client is None:
            out({"id": cmd["id"], "tag": cmd.get("tag"), "error": "no such socket"})
            return
        args = cmd.get("args") or []
        data = args[0] if len(args) == 1 else tuple(args)
        try:
            ack = await client.call(cmd["event"], data, timeout=5)
            out({"id": cmd["id"], "tag": cmd.get("tag"), "ack": ack})
        except socketio.exceptions.TimeoutError:
            out({"id": cmd["id"], "tag": cmd.get("tag"), "ack_timeout": True})

    async def disconnect(self, cmd):
        client = self.sockets.pop(cmd["id"], None)
        if client is not None:
            await client.disconnect()
        out({"id": cmd["id"], "disconnected": True})

    async def close(self):
        for client in self.sockets.values():
            await client.disconnect()
        for session in self.sessions:
            await session.close()


async def main():
    clients = Clients()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out({"ready": True, "client": "python-socketio " + getattr(socketio, "__version__", "5")})
    tasks = set()
    while True:
        line = await reader.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
        except ValueError:
            out({"error": "bad command"})
            continue
        name = cmd.get("cmd")
        if name == "exit":
            break
        handler = {"connect": clients.connect, "emit": clients.emit, "disconnect": clients.disconnect}.get(name)
        if handler is None:
            out({"error": "unknown command " + str(name)})
            continue
        # Run commands concurrently (a connect must not hold up the next command), like the JS client.
        task = asyncio.create_task(handler(cmd))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await clients.close()


if __name__ == "__main__":
    asyncio.run(main())
