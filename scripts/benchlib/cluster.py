"""A private, throwaway PostgreSQL cluster for the bench (`--private-cluster`): started with
pg_stat_statements preloaded so that SQL statements are counted by PostgreSQL itself, without touching
the shared server other work (the tests) runs against. initdb + start take about 2 s; the directory is
removed when the bench stops."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateCluster:
    """initdb -A trust, then pg_ctl start on a free port with shared_preload_libraries=pg_stat_statements.
    As root, the cluster runs as the `postgres` user (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        bindir = _bindir()
        if bindir is None:
            raise SystemExit("--private-cluster: initdb not found (install postgresql, or pass --database-url)")
        self.bindir = bindir
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gateway-bench-pg-"))
        self.data = self.dir / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/gateway_bench"

    def _run(self, *args: str) -> None:
        completed = subprocess.run(
            [*self._as, str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True, cwd=self.dir
        )
        if completed.returncode:
            raise SystemExit(f"--private-cluster: {args[0]} failed:\n{completed.stdout}{completed.stderr}")

    def start(self) -> PrivateCluster:
        started = time.perf_counter()
        self._run("initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D", str(self.data))
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all "
            "-c pg_stat_statements.max=10000 -c pg_stat_statements.track_utility=on "
            "-c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-o", options, "start")
        self.seconds = time.perf_counter() - started
        return self

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                cwd=self.dir,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


def available() -> bool:
    return _bindir() is not None
