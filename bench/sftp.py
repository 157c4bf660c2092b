"""SFTP: our client (paramiko) against OpenSSH's `sftp -b`, same sshd, same file, same run.

Starts OpenSSH's sshd (as the integration tests do; needs root) and, for each client, logs
in, uploads a file of random bytes and downloads it, printing the seconds of each phase and
the speed ratio OpenSSH time / our time (goal >= 0.95x both ways at 50 ms). Our client is
timed as `convwiz send` and `fetch-xref` use it: login, then `upload` (`.part`, checks,
rename) or `download` of a known name; OpenSSH as one `sftp -b` batch (`put` or `get`).
Also a resumed upload (half the file already in the remote `.part`) against a fresh one.

--rtt MS puts client and server in their own network namespaces joined by a delay line
(bench/delay_line.py: TUN devices, no netem needed), and prints the turns of each phase
(a client packet with data after the server last sent data: the round trips a person
waits for). Without it, everything runs over loopback. Linux only.

    python bench/sftp.py --rtt 50 --mb 50
    python bench/sftp.py --mb 200
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import delay_line  # noqa: E402
from tests.helpers import sshd as sshd_helper  # noqa: E402
from wizard.progress import NullProgress  # noqa: E402
from wizard.services import sftp  # noqa: E402

CLIENT_IP, SERVER_IP = "10.77.0.1", "10.77.0.2"


@dataclass
class Phase:
    seconds: list[float] = field(default_factory=list)
    turns: int = 0

    @property
    def best(self) -> float:
        return min(self.seconds)


class Link:
    """The delay line's counters (none over loopback)."""

    def __init__(self, proc: subprocess.Popen[str] | None) -> None:
        self.proc = proc

    def turns(self) -> int:
        if self.proc is None or self.proc.stdin is None or self.proc.stdout is None:
            return 0
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline().split()[0])


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextlib.contextmanager
def delayed_link(rtt: float, mtu: int) -> Iterator[tuple[Link, str]]:
    """Two namespaces joined by the delay line; this process moves into the client's."""
    tag = str(os.getpid())
    client_ns, server_ns = f"cwz-c{tag}", f"cwz-s{tag}"
    _ip("netns", "add", client_ns)
    _ip("netns", "add", server_ns)
    proc = None
    try:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("delay_line.py")), client_ns,
             server_ns, "--rtt", str(rtt)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the delay line did not start")
        for ns, mine, peer in ((client_ns, CLIENT_IP, SERVER_IP),
                               (server_ns, SERVER_IP, CLIENT_IP)):
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "addr", "add", mine, "peer", peer, "dev", delay_line.DEVICE)
            _ip("-n", ns, "link", "set", delay_line.DEVICE, "mtu", str(mtu), "up")
        delay_line.enter(client_ns)
        yield Link(proc), server_ns
    finally:
        if proc is not None:
            with contextlib.suppress(Exception):
                assert proc.stdin is not None
                proc.stdin.close()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        for ns in (client_ns, server_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def random_file(path: Path, mb: int) -> None:
    with open(path, "wb") as handle:
        for _ in range(mb):
            handle.write(os.urandom(1 << 20))


def sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def measure(phase: Phase, link: Link, action: Callable[[], object]) -> None:
    before = link.turns()
    start = time.perf_counter()
    action()
    phase.seconds.append(time.perf_counter() - start)
    phase.turns = link.turns() - before


def run(args: argparse.Namespace, link: Link, server: sshd_helper.Sshd, work: Path) -> None:
    key = sshd_helper.keygen(work / "id_ed25519", "ed25519")
    server.authorize(key.with_suffix(".pub"))
    remote_dir, local_remote = server.workspace("bench")
    owner = local_remote.stat()
    source = work / "payload.bin"
    random_file(source, args.mb)
    size = source.stat().st_size
    expected = sha(source)
    remote = f"{remote_dir}/payload.bin"
    endpoint = sftp.Endpoint(server.host, server.port, server.user, server.fingerprint,
                             "ssh-ed25519", str(key))
    phases = {name: Phase() for name in (
        "ours login", "ours upload", "ours download", "ours resumed upload",
        "OpenSSH login", "OpenSSH upload", "OpenSSH download")}
    session: list[sftp.Session] = []

    def login() -> None:
        session.append(sftp.open_session(endpoint, None))

    def up() -> None:
        with session.pop() as s:
            sftp.upload(s, source, remote_dir, sftp.UploadState(), NullProgress())

    def down() -> None:
        with session.pop() as s, open(work / "ours.bin", "wb") as target:
            if hasattr(sftp, "download"):
                sftp.download(s, remote, target, NullProgress(), "bench")
            else:  # the code before the split, as its fetch-xref used it (for "before" figures)
                found = sftp.list_files(s, remote_dir)[0]
                s.read_into(found.path, target, found.size, NullProgress(), "bench")  # type: ignore[attr-defined]
                s.sftp.stat(found.path)

    def openssh(batch: str) -> Callable[[], None]:
        script = work / "batch"

        def go() -> None:
            script.write_text(batch + "\n")
            subprocess.run(
                ["sftp", "-q", "-i", str(key), "-P", str(server.port), "-o",
                 "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={os.devnull}", "-o",
                 "BatchMode=yes", "-o", "GSSAPIAuthentication=no", "-b", str(script),
                 f"{server.user}@{server.host}"],
                check=True, capture_output=True)
        return go

    def half_part() -> None:
        part = local_remote / "payload.bin.part"
        with open(source, "rb") as src, open(part, "wb") as out:
            out.write(src.read(size // 2))
        os.chown(part, owner.st_uid, owner.st_gid)

    for number in range(1, args.repeat + 1):
        print(f"run {number} of {args.repeat}", flush=True)
        measure(phases["ours login"], link, login)
        measure(phases["ours upload"], link, up)
        assert sha(local_remote / "payload.bin") == expected
        measure(phases["ours login"], link, login)
        measure(phases["ours download"], link, down)
        assert sha(work / "ours.bin") == expected
        (local_remote / "payload.bin").unlink()
        half_part()
        measure(phases["ours login"], link, login)
        measure(phases["ours resumed upload"], link, up)
        assert sha(local_remote / "payload.bin") == expected
        (local_remote / "payload.bin").unlink()
        measure(phases["OpenSSH login"], link, openssh("pwd"))
        measure(phases["OpenSSH upload"], link, openssh(f"put {source} {remote}"))
        measure(phases["OpenSSH download"], link, openssh(f"get {remote} {work / 'theirs.bin'}"))
        assert sha(work / "theirs.bin") == expected
    report(args, phases, size)
    shutil.rmtree(local_remote, ignore_errors=True)


def report(args: argparse.Namespace, phases: dict[str, Phase], size: int) -> None:
    where = f"a {args.rtt:g} ms round-trip link" if args.rtt else "loopback"
    print(f"\n{args.mb} MB over {where}, best of {args.repeat}; turns = round trips seen "
          "on the wire (client data after server data)")
    print(f"{'phase':<22} {'seconds':>8} {'turns':>7}")
    for name, phase in phases.items():
        print(f"{name:<22} {phase.best:8.3f} {phase.turns:7d}")
    login = phases["ours login"].best
    up, down = login + phases["ours upload"].best, login + phases["ours download"].best
    resumed = login + phases["ours resumed upload"].best
    ssh_up, ssh_down = phases["OpenSSH upload"].best, phases["OpenSSH download"].best
    print(f"\nas a person waits (login + transfer): upload ours {up:.3f} s, OpenSSH "
          f"{ssh_up:.3f} s; download ours {down:.3f} s, OpenSSH {ssh_down:.3f} s")
    print(f"speed ours/OpenSSH: upload {ssh_up / up:.2f}x, download {ssh_down / down:.2f}x "
          f"(goal >= 0.95x); {size / 1e6 / phases['ours upload'].best:.1f} MB/s up, "
          f"{size / 1e6 / phases['ours download'].best:.1f} MB/s down")
    print(f"resumed upload (half in the .part) {resumed:.3f} s against a fresh one {up:.3f} s:"
          f" {'faster' if resumed < up else 'NOT faster'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each, alternating; the best of each counts (the machine "
                             "is shared, so the slower runs measure the neighbours)")
    parser.add_argument("--rtt", type=float, default=0.0, metavar="MS",
                        help="round trip of a delay line between client and server (0: "
                             "loopback)")
    parser.add_argument("--mtu", type=int, default=1500, help="the delay line's MTU")
    args = parser.parse_args()
    if not sshd_helper.available() or os.geteuid() != 0:
        print("needs root and OpenSSH's sshd (/usr/sbin/sshd)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="convwiz-bench-"))
    try:
        with contextlib.ExitStack() as stack:
            link, netns, host = Link(None), None, "127.0.0.1"
            if args.rtt:
                link, netns = stack.enter_context(delayed_link(args.rtt, args.mtu))
                host = SERVER_IP
            server = stack.enter_context(sshd_helper.running_sshd(work / "sshd", netns=netns,
                                                                  host=host))
            run(args, link, server, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
