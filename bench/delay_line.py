"""A network delay line for benchmarks: two network namespaces joined through TUN devices by
this process, which holds every packet for half the round trip in each direction.

The kernel here has no netem, so the link is made by hand: a TUN device in each namespace,
both opened by this one process (it enters each namespace in turn to create its device),
packets read from one and written to the other after the delay. It also counts the turns
of the conversation: a client packet carrying data after the server last sent data. Linux
only, needs root; used by `bench/sftp.py --rtt MS`.

    python bench/delay_line.py CLIENT_NS SERVER_NS --rtt 50 --seconds 600

It prints `ready` when both devices exist; each line `count` on standard input gets a line
`turns PACKETS BYTES` back; it ends when standard input closes or after `--seconds`.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import fcntl
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
CLONE_NEWNET = 0x40000000
DEVICE = "cwtun"


def enter(namespace: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {namespace}")
    finally:
        os.close(fd)


def open_tun(namespace: str) -> int:
    enter(namespace)
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", DEVICE.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def payload(packet: bytes) -> int:
    """TCP payload bytes of an IPv4 packet (0 for anything else)."""
    if len(packet) < 40 or packet[0] >> 4 != 4 or packet[9] != 6:
        return 0
    ihl = (packet[0] & 0x0F) * 4
    total = int.from_bytes(packet[2:4], "big")
    return max(0, total - ihl - (packet[ihl + 12] >> 4) * 4)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("client_ns")
    parser.add_argument("server_ns")
    parser.add_argument("--rtt", type=float, required=True, help="round trip, milliseconds")
    parser.add_argument("--seconds", type=float, default=1800, help="run at most this long")
    args = parser.parse_args()
    client, server = open_tun(args.client_ns), open_tun(args.server_ns)
    delay = args.rtt / 2000.0
    queues: dict[int, collections.deque[tuple[float, bytes]]] = {
        client: collections.deque(), server: collections.deque()}  # by destination
    other = {client: server, server: client}
    turns = packets = size = 0
    last_sender = server
    print("ready", flush=True)
    stop = time.monotonic() + args.seconds
    control = sys.stdin.fileno()
    while time.monotonic() < stop:
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(due) - time.monotonic()) if due else 1.0
        readable, _, _ = select.select([client, server, control], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            if fd == control:
                line = sys.stdin.readline()
                if not line:
                    return 0
                print(f"{turns} {packets} {size}", flush=True)
                continue
            for _ in range(256):  # bounded: let the other side and the timers have a turn
                try:
                    packet = os.read(fd, 65536)
                except (BlockingIOError, OSError):
                    break
                if payload(packet):
                    if fd == client and last_sender == server:
                        turns += 1
                    last_sender = fd
                packets += 1
                size += len(packet)
                queues[other[fd]].append((now + delay, packet))
        now = time.monotonic()
        for fd, queue in queues.items():
            while queue and queue[0][0] <= now:
                try:
                    os.write(fd, queue.popleft()[1])
                except OSError:  # full (or not up yet): dropped, as a router would
                    continue
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
