"""`kyb`: the kybernetes command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from kybernetes import __version__

log = logging.getLogger("kyb")

DEFAULT_DATA_DIR = Path(os.environ.get("KYB_DATA_DIR", str(Path.home() / ".kyb")))


class DataDirInUse(Exception):
    pass


class DataDirLock:
    """An exclusive lock on a data dir, so that two servers never share one store."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "kyb.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(fd, 64).decode().strip()
            finally:
                os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise DataDirInUse(
                f"{self.path.parent} is in use by another kyb{who}; stop it first or pass another --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname).1s %(name)s: %(message)s", stream=sys.stderr)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run the main coroutine on uvloop when it is installed (its event loop and TLS are C; both matter)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


async def _run_until_signal(start: Callable[[], Coroutine[Any, Any, Any]], stop: Callable[[], Coroutine[Any, Any, Any]]) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await start()
        await stopping.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await stop()


def _apiserver_config(args: argparse.Namespace) -> Any:
    from kybernetes.apiserver.server import APIServerConfig

    return APIServerConfig(
        data_dir=Path(args.data_dir).expanduser().resolve(),
        datastore=args.datastore or "",
        bind_address=args.bind_address,
        port=args.port,
        advertise_address=args.advertise_address or ("127.0.0.1" if args.bind_address in ("0.0.0.0", "::") else args.bind_address),
        token_auth_file=Path(args.token_auth_file) if args.token_auth_file else None,
        watch_cache_size=args.default_watch_cache_size,
        compaction_interval=parse_duration(args.etcd_compaction_interval),
    )


def parse_duration(s: str) -> float:
    """Go-style durations as upstream flags take them: 300ms, 5s, 5m, 1h30m, or plain seconds."""
    import re

    s = s.strip()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", s)
    if not parts or "".join(n + u for n, u in parts) != s:
        raise argparse.ArgumentTypeError(f"invalid duration {s!r}")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * scale[u] for n, u in parts)


def cmd_up(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from kybernetes.apiserver.server import APIServer
    from kybernetes.client.kubeconfig import write_kubeconfig

    cfg = _apiserver_config(args)
    lock = DataDirLock(cfg.data_dir)
    try:
        lock.acquire()
    except DataDirInUse as e:
        print(f"kyb: {e}", file=sys.stderr)
        return 1
    server = APIServer(cfg)
    kubeconfig = Path(args.kubeconfig).expanduser().resolve() if args.kubeconfig else cfg.data_dir / "kubeconfig.yaml"

    async def start() -> None:
        await server.start()
        write_kubeconfig(
            kubeconfig, server.url, server.pki.ca_cert_pem, server.pki.admin_cert_pem, server.pki.admin_key_pem
        )
        print(f"kyb: cluster is up at {server.url}", file=sys.stderr)
        print(f"export KUBECONFIG={kubeconfig}", file=out, flush=True)

    try:
        run(_run_until_signal(start, server.stop))
    except OSError as e:
        print(f"kyb: cannot start: {e}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    return 0


def cmd_apiserver(args: argparse.Namespace) -> int:
    from kybernetes.apiserver.server import APIServer

    cfg = _apiserver_config(args)
    lock = DataDirLock(cfg.data_dir)
    try:
        lock.acquire()
    except DataDirInUse as e:
        print(f"kyb: {e}", file=sys.stderr)
        return 1
    server = APIServer(cfg)

    async def start() -> None:
        await server.start()
        print(f"kyb apiserver: serving at {server.url}", file=sys.stderr, flush=True)

    try:
        run(_run_until_signal(start, server.stop))
    except OSError as e:
        print(f"kyb: cannot start: {e}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    return 0


def _add_server_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="where state, certificates and logs live (default ~/.kyb)")
    p.add_argument("--datastore", default="", help="storage URL: sqlite:///path (default DIR/state.db) or etcd://host:port")
    p.add_argument("--port", type=int, default=6443, help="HTTPS port of the API server (0 picks a free one)")
    p.add_argument("--bind-address", default="127.0.0.1", help="address the API server listens on")
    p.add_argument("--advertise-address", default="", help="address other components and clients use")
    p.add_argument("--token-auth-file", default="", help="static bearer tokens (CSV: token,user,uid,\"group1,group2\")")
    p.add_argument("--default-watch-cache-size", type=int, default=20000,
                   help="events kept per resource for watches that resume from a past resourceVersion")
    p.add_argument("--etcd-compaction-interval", default="5m",
                   help="how often the store is compacted (a Go duration; 0 disables)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kyb", description="kybernetes: Kubernetes, written in Python")
    parser.add_argument("--version", action="version", version=f"kyb {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run a whole cluster in the foreground")
    _add_server_flags(up)
    up.add_argument("--kubeconfig", default="", help="where to write the admin kubeconfig (default DIR/kubeconfig.yaml)")
    up.set_defaults(func=cmd_up)
    api = sub.add_parser("apiserver", help="run the API server alone")
    _add_server_flags(api)
    api.set_defaults(func=cmd_apiserver)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    with contextlib.suppress(KeyboardInterrupt):
        rc: int = args.func(args)
        return rc
    return 130


if __name__ == "__main__":
    sys.exit(main())
