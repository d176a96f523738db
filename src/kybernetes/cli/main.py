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


PARENT_PID_ENV = "KYB_PARENT_PID"


def die_with_parent() -> None:
    """A component started by `kyb up` ends when `kyb up` ends, even by SIGKILL (Linux PR_SET_PDEATHSIG)."""
    parent = os.environ.get(PARENT_PID_ENV)
    if not parent:
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != int(parent):  # the parent died before prctl took effect
        sys.exit(0)


class ChildProcess:
    """A component of `kyb up` in its own process (its own core and GIL), restarted if it dies."""

    def __init__(self, name: str, argv: list[str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"supervise-{self.name}")

    async def _supervise(self) -> None:
        backoff = 1.0
        while not self._stopping:
            log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                self.proc = await asyncio.create_subprocess_exec(
                    *self.argv, stdin=asyncio.subprocess.DEVNULL, stdout=log_fd, stderr=log_fd,
                    env={**os.environ, PARENT_PID_ENV: str(os.getpid())},
                )
            finally:
                os.close(log_fd)
            rc = await self.proc.wait()
            if self._stopping:
                return
            log.warning("%s exited with %s; restarting in %.0f s", self.name, rc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)

    async def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        proc = self.proc
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._task is not None:
            self._task.cancel()


def cmd_up(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """The whole cluster as one process tree: the API server here, each component a child process
    that talks to it through the API like any client."""
    from kybernetes.apiserver.server import APIServer
    from kybernetes.client.kubeconfig import write_kubeconfig
    cfg = _apiserver_config(args)
    if args.controllers != "*":
        # checked here so a typo fails at once; the default needs no check (importing every controller
        # would cost the API server's start-up time)
        from kybernetes.controllers.manager import enabled_controllers

        try:
            enabled_controllers(args.controllers)
        except ValueError as e:
            print(f"kyb: {e}", file=sys.stderr)
            return 1
    lock = DataDirLock(cfg.data_dir)
    try:
        lock.acquire()
    except DataDirInUse as e:
        print(f"kyb: {e}", file=sys.stderr)
        return 1
    server = APIServer(cfg)
    kubeconfig = Path(args.kubeconfig).expanduser().resolve() if args.kubeconfig else cfg.data_dir / "kubeconfig.yaml"
    logs = cfg.data_dir / "logs"
    children: list[ChildProcess] = []

    async def start() -> None:
        await server.start()
        write_kubeconfig(
            kubeconfig, server.url, server.pki.ca_cert_pem, server.pki.admin_cert_pem, server.pki.admin_key_pem
        )
        logs.mkdir(exist_ok=True)
        verbosity = ["-" + "v" * args.verbose] if args.verbose else []
        children.append(ChildProcess(
            "controller-manager",
            [sys.executable, "-m", "kybernetes", *verbosity, "controller-manager", "--kubeconfig", str(kubeconfig),
             "--controllers", args.controllers],
            logs / "controller-manager.log",
        ))
        children.append(ChildProcess(
            "scheduler",
            [sys.executable, "-m", "kybernetes", *verbosity, "scheduler", "--kubeconfig", str(kubeconfig)],
            logs / "scheduler.log",
        ))
        if args.simulated_nodes > 0:
            children.append(ChildProcess(
                "simulated-nodes",
                [sys.executable, "-m", "kybernetes", *verbosity, "simulate", "--kubeconfig", str(kubeconfig),
                 "--nodes", str(args.simulated_nodes)],
                logs / "simulated-nodes.log",
            ))
        for child in children:
            child.start()
        print(f"kyb: cluster is up at {server.url} (logs in {logs})", file=sys.stderr)
        print(f"export KUBECONFIG={kubeconfig}", file=out, flush=True)

    async def stop() -> None:
        await asyncio.gather(*(c.stop() for c in children), return_exceptions=True)
        await server.stop()

    try:
        run(_run_until_signal(start, stop))
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
    up.add_argument("--simulated-nodes", type=int, default=0,
                    help="also run N simulated nodes (as kwok does; no containers, no root needed)")
    up.add_argument("--controllers", default="*",
                    help="controllers to run: '*' for all, '-name' to disable one (as kube-controller-manager)")
    up.set_defaults(func=cmd_up)
    api = sub.add_parser("apiserver", help="run the API server alone")
    _add_server_flags(api)
    api.set_defaults(func=cmd_apiserver)
    _add_simulate_parser(sub)
    _add_scheduler_parser(sub)
    _add_controller_manager_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    die_with_parent()
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    with contextlib.suppress(KeyboardInterrupt):
        rc: int = args.func(args)
        return rc
    return 130


def _bool_flag(s: str) -> bool:
    if s.lower() in ("true", "1", "yes", "t"):
        return True
    if s.lower() in ("false", "0", "no", "f"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean {s!r}")


def _add_controller_manager_parser(sub: Any) -> None:
    cm = sub.add_parser("controller-manager", help="run the controller manager against an API server")
    cm.add_argument("--kubeconfig", default="", help="kubeconfig of the API server (default $KUBECONFIG or ~/.kube/config)")
    cm.add_argument("--controllers", default="*",
                    help="controllers to enable: '*' (all on by default), 'foo' enables foo, '-foo' disables foo")
    cm.add_argument("--leader-elect", type=_bool_flag, nargs="?", const=True, default=True,
                    help="campaign for the kube-system/kube-controller-manager Lease before running controllers")
    cm.add_argument("--leader-elect-lease-duration", default="15s", type=parse_duration)
    cm.add_argument("--leader-elect-renew-deadline", default="10s", type=parse_duration)
    cm.add_argument("--leader-elect-retry-period", default="2s", type=parse_duration)
    cm.add_argument("--leader-elect-resource-name", default="kube-controller-manager")
    cm.add_argument("--leader-elect-resource-namespace", default="kube-system")
    cm.set_defaults(func=cmd_controller_manager)


def cmd_controller_manager(args: argparse.Namespace) -> int:
    from kybernetes.client.kubeconfig import KubeConfigError, default_kubeconfig_path, load_kubeconfig
    from kybernetes.controllers.manager import ControllerManager, ControllerManagerOptions

    path = Path(args.kubeconfig).expanduser() if args.kubeconfig else default_kubeconfig_path()
    try:
        config = load_kubeconfig(path)
        opts = ControllerManagerOptions(
            controllers=args.controllers,
            leader_elect=args.leader_elect,
            lease_duration=args.leader_elect_lease_duration,
            renew_deadline=args.leader_elect_renew_deadline,
            retry_period=args.leader_elect_retry_period,
            lease_name=args.leader_elect_resource_name,
            lease_namespace=args.leader_elect_resource_namespace,
        )
        manager = ControllerManager(config, opts)
    except (KubeConfigError, ValueError) as e:
        print(f"kyb controller-manager: {e}", file=sys.stderr)
        return 1

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await manager.run(stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    run(serve())
    return 0


def _parse_labels(s: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in s.split(","))):
        k, sep, v = part.partition("=")
        if not sep or not k:
            raise argparse.ArgumentTypeError(f"invalid label {part!r}: want key=value")
        out[k] = v
    return out


def _parse_taints(s: str) -> list[dict[str, str]]:
    """`key=value:Effect` or `key:Effect`, comma-separated, as kubectl taint spells them."""
    out: list[dict[str, str]] = []
    for part in filter(None, (p.strip() for p in s.split(","))):
        kv, sep, effect = part.rpartition(":")
        if not sep or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise argparse.ArgumentTypeError(f"invalid taint {part!r}: want key[=value]:NoSchedule|PreferNoSchedule|NoExecute")
        key, _, value = kv.partition("=")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        out.append(taint)
    return out


def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulated nodes (as kwok does) against any cluster: they register, heartbeat and run the pods bound to them."""
    from kybernetes.client.kubeconfig import default_kubeconfig_path
    from kybernetes.kubelet.simulated import run_simulated_nodes

    path = Path(args.kubeconfig).expanduser() if args.kubeconfig else default_kubeconfig_path()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_simulated_nodes(
            path, stop, args.nodes, prefix=args.prefix, cpu=args.cpu, memory=args.memory, pods=args.pods,
            labels=args.labels, taints=args.taints,
        )

    run(serve())
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    """kube-scheduler: binds pending pods to nodes, through the API."""
    from kybernetes.client.kubeconfig import default_kubeconfig_path
    from kybernetes.scheduler.scheduler import run_scheduler

    path = Path(args.kubeconfig).expanduser() if args.kubeconfig else default_kubeconfig_path()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_scheduler(path, stop, leader_elect=args.leader_elect, scheduler_name=args.scheduler_name)

    run(serve())
    return 0


def _add_scheduler_parser(sub: Any) -> None:
    p = sub.add_parser("scheduler", help="run the scheduler against an API server")
    p.add_argument("--kubeconfig", default="", help="kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)")
    p.add_argument("--leader-elect", type=_bool_flag, default=True, help="elect a leader among schedulers (Lease)")
    p.add_argument("--scheduler-name", default="default-scheduler",
                   help="profile names (spec.schedulerName) this scheduler serves, comma-separated")
    p.set_defaults(func=cmd_scheduler)


def _add_simulate_parser(sub: Any) -> None:
    p = sub.add_parser("simulate", help="run simulated nodes against a cluster (no containers; as kwok)")
    p.add_argument("--kubeconfig", default="", help="kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)")
    p.add_argument("--nodes", type=int, default=1, help="how many nodes")
    p.add_argument("--prefix", default="sim-node-", help="node name prefix")
    p.add_argument("--cpu", default="4", help="cpu capacity of each node")
    p.add_argument("--memory", default="16Gi", help="memory capacity of each node")
    p.add_argument("--pods", type=int, default=110, help="pod capacity of each node")
    p.add_argument("--labels", type=_parse_labels, default={}, help="extra node labels: k=v,k2=v2")
    p.add_argument("--taints", type=_parse_taints, default=[], help="node taints: key=value:NoSchedule,...")
    p.set_defaults(func=cmd_simulate)


if __name__ == "__main__":
    sys.exit(main())
