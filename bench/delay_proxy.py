#!/usr/bin/env python3
"""TCP proxy adding DELAY_MS to every chunk in each direction (a remote database).

Usage: delay_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS TURNS_FILE

Chunks keep their order and are pipelined (each is delayed, not serialized). When a connection
closes, the proxy appends to TURNS_FILE how many times the client spoke after the server had:
the round trips that paid the latency twice.
"""
import asyncio, sys, time

listen_port, host, port, delay_ms, turns_file = sys.argv[1:6]
DELAY = float(delay_ms) / 1000


async def pump(reader, writer, on_chunk):
    queue = asyncio.Queue()

    async def send():
        while (item := await queue.get()) is not None:
            due, data = item
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(send())
    try:
        while data := await reader.read(65536):
            on_chunk()
            queue.put_nowait((time.monotonic() + DELAY, data))
    except ConnectionError:
        pass
    queue.put_nowait(None)
    try:
        await sender
    except ConnectionError:
        pass


async def handle(client_r, client_w):
    server_r, server_w = await asyncio.open_connection(host, int(port))
    state = {"last": "server", "turns": 0}

    def from_client():
        if state["last"] == "server":
            state["turns"] += 1
        state["last"] = "client"

    def from_server():
        state["last"] = "server"

    await asyncio.gather(pump(client_r, server_w, from_client), pump(server_r, client_w, from_server))
    with open(turns_file, "a") as f:
        f.write(f"{state['turns']}\n")


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(listen_port))
    async with server:
        await server.serve_forever()


asyncio.run(main())
