"""Server-side printing: ``meta.k8s.io/v1 Table`` for every built-in kind.

The apiserver answers ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io`` with
:func:`table_for`. Columns and cells are exactly upstream's
``pkg/printers/internalversion/printers.go`` (Kubernetes 1.32), generated as the apiserver
does with ``Wide: true`` (priority-1 columns are always filled; kubectl shows them with
``-o wide``). Kinds without a printer (Role, ClusterRole, LimitRange, CRDs, ...) get
upstream's default table: ``Name`` and ``Created At``. Custom resources are printed from
their CRD's ``additionalPrinterColumns`` by :func:`table_for_custom_resource`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

import orjson

from kybernetes.api import schema
from kybernetes.api.quantity import QuantityError, parse_quantity
from kybernetes.api.resources import ResourceInfo
from kybernetes.api.selectors import (
    SelectorParseError,
    format_label_selector,
    format_labels,
    selector_from_label_selector,
)
from kybernetes.api.timeutil import format_time, human_duration, parse_time

Obj = Mapping[str, Any]
Cell = Any

TABLE_GROUP: Final = "meta.k8s.io"
INCLUDE_OBJECT: Final = "Object"
INCLUDE_METADATA: Final = "Metadata"
INCLUDE_NONE: Final = "None"

LOAD_BALANCER_WIDTH: Final = 16
LABEL_NODE_ROLE_PREFIX: Final = "node-role.kubernetes.io/"
NODE_LABEL_ROLE: Final = "kubernetes.io/role"
NODE_UNREACHABLE_POD_REASON: Final = "NodeLost"


class TableOptionsError(ValueError):
    """Bad table options (e.g. includeObject); the apiserver answers 400 with the message."""


# -- descriptions (SwaggerDoc) -----------------------------------------------------------


@cache
def _doc(definition: str, prop: str) -> str:
    """The description of a property, from the upstream OpenAPI definitions ("" if unknown).

    ``definition`` is ``meta.ObjectMeta`` or ``<group>.<version>.<Type>`` (``core.v1.Pod``).
    """
    if definition.startswith("meta."):
        name = "io.k8s.apimachinery.pkg.apis.meta.v1." + definition[len("meta.") :]
    else:
        name = "io.k8s.api." + definition
    d = schema.definitions().get(name)
    if d is None:
        return ""
    p = (d.get("properties") or {}).get(prop)
    if not isinstance(p, dict):
        return ""
    desc = p.get("description")
    if isinstance(desc, str):
        return desc
    target = schema.resolve(p)
    if target is not None and isinstance(target.get("description"), str):
        return str(target["description"])
    return ""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


def _name_col() -> Column:
    return Column("Name", "string", "name", _doc("meta.ObjectMeta", "name"))


def _age_col() -> Column:
    return Column("Age", "string", "", _doc("meta.ObjectMeta", "creationTimestamp"))


def _c(
    name: str, type_: str = "string", doc: tuple[str, str] | str = "", priority: int = 0, fmt: str = ""
) -> Column:
    desc = _doc(*doc) if isinstance(doc, tuple) else doc
    return Column(name, type_, fmt, desc, priority)


_CONTAINERS_DOC: Final = "Names of each container in the template."
_IMAGES_DOC: Final = "Images referenced by each container in the template."


# -- small helpers ------------------------------------------------------------------------


def _get(obj: Any, *path: str) -> Any:
    cur = obj
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _str(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _int(v: Any) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return 0
    return 0


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _map(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, dict) else {}


def _name(obj: Obj) -> str:
    return _str(_get(obj, "metadata", "name"))


_ZERO_TIME: Final = datetime(1, 1, 1, tzinfo=UTC)


class _Ctx:
    """Per-table context: the clock."""

    __slots__ = ("now",)

    def __init__(self, now: datetime) -> None:
        self.now = now

    def since(self, ts: Any) -> str:
        """translateTimestampSince / translateMicroTimestampSince."""
        dt = parse_time(ts) if isinstance(ts, str) else None
        if dt is None:
            return "<unknown>"
        return human_duration(self.now - dt)

    def age(self, obj: Obj) -> str:
        return self.since(_get(obj, "metadata", "creationTimestamp"))


def _quantity_string(v: Any) -> str:
    """resource.Quantity.String() of a wire value; an absent quantity is "0"."""
    if v is None:
        return "0"
    s = v if isinstance(v, str) else _str(v)
    try:
        return str(parse_quantity(s))
    except QuantityError:
        return s


def _bool_ptr(v: Any) -> str:
    if v is None:
        return "<unset>"
    return "True" if v else "False"


def _layout_container_cells(containers: Any) -> tuple[str, str]:
    cs = _list(containers)
    names = ",".join(_str(_map(c).get("name")) for c in cs)
    images = ",".join(_str(_map(c).get("image")) for c in cs)
    return names, images


def _list_with_more(items: list[str], more: bool, count: int, max_: int) -> str:
    ret = ",".join(items)
    if more:
        return f"{ret} + {count - max_} more..."
    return ret or "<unset>"


def _join_host_port(host: str, port: int) -> str:
    try:
        if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
            return f"[{host}]:{port}"
    except ValueError:
        if ":" in host:
            return f"[{host}]:{port}"
    return f"{host}:{port}"


def _label_selector_string(sel: Any) -> str:
    """metav1.LabelSelectorAsSelector(sel).String(), "<invalid>" on error (Deployment column)."""
    try:
        return str(selector_from_label_selector(sel if isinstance(sel, dict) else None))
    except SelectorParseError:
        return "<invalid>"


def _condition_true(conditions: Any, type_: str) -> bool:
    for c in _list(conditions):
        if _map(c).get("type") == type_:
            return _map(c).get("status") == "True"
    return False


# -- row builders -----------------------------------------------------------------------------

Row = tuple[list[Cell], list[dict[str, Any]] | None]
RowFunc = Callable[[Obj, _Ctx], Row]


def _row(*cells: Cell) -> Row:
    return list(cells), None


def _is_restartable_init_container(c: Any) -> bool:
    return isinstance(c, dict) and c.get("restartPolicy") == "Always"


def _time_or_zero(ts: Any) -> datetime:
    dt = parse_time(ts) if isinstance(ts, str) else None
    return dt or _ZERO_TIME


_POD_SUCCESS_CONDITIONS: Final = [
    {
        "type": "Completed",
        "status": "True",
        "reason": "Succeeded",
        "message": "The pod has completed successfully.",
    }
]
_POD_FAILED_CONDITIONS: Final = [
    {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
]


def pod_status_reason(pod: Obj) -> str:
    """The STATUS column of ``kubectl get pods`` (upstream's printPod reason logic)."""
    cells, _ = _print_pod(pod, _Ctx(datetime.now(UTC)))
    return str(cells[2])


def _print_pod(pod: Obj, ctx: _Ctx) -> Row:
    spec = _map(pod.get("spec"))
    status = _map(pod.get("status"))
    restarts = 0
    restartable_init_restarts = 0
    total_containers = len(_list(spec.get("containers")))
    ready_containers = 0
    last_restart = _ZERO_TIME
    last_restartable_init_restart = _ZERO_TIME

    phase = _str(status.get("phase"))
    reason = phase
    if status.get("reason"):
        reason = _str(status.get("reason"))

    conditions = _list(status.get("conditions"))
    for cond in conditions:
        c = _map(cond)
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    row_conditions: list[dict[str, Any]] | None = None
    if phase == "Succeeded":
        row_conditions = [dict(c) for c in _POD_SUCCESS_CONDITIONS]
    elif phase == "Failed":
        row_conditions = [dict(c) for c in _POD_FAILED_CONDITIONS]

    init_specs = _list(spec.get("initContainers"))
    init_containers: dict[str, Any] = {}
    for ic in init_specs:
        init_containers[_str(_map(ic).get("name"))] = ic
        if _is_restartable_init_container(ic):
            total_containers += 1

    initializing = False
    for i, cs_any in enumerate(_list(status.get("initContainerStatuses"))):
        cs = _map(cs_any)
        restarts += _int(cs.get("restartCount"))
        last_term = _map(_get(cs, "lastState", "terminated"))
        if last_term:
            t = _time_or_zero(last_term.get("finishedAt"))
            if last_restart < t:
                last_restart = t
        restartable = _is_restartable_init_container(init_containers.get(_str(cs.get("name"))))
        if restartable:
            restartable_init_restarts += _int(cs.get("restartCount"))
            if last_term:
                t = _time_or_zero(last_term.get("finishedAt"))
                if last_restartable_init_restart < t:
                    last_restartable_init_restart = t
        state = _map(cs.get("state"))
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if isinstance(terminated, dict) and _int(terminated.get("exitCode")) == 0:
            continue
        if restartable and cs.get("started") is True:
            if cs.get("ready"):
                ready_containers += 1
            continue
        if isinstance(terminated, dict):
            if not terminated.get("reason"):
                if _int(terminated.get("signal")) != 0:
                    reason = f"Init:Signal:{_int(terminated.get('signal'))}"
                else:
                    reason = f"Init:ExitCode:{_int(terminated.get('exitCode'))}"
            else:
                reason = "Init:" + _str(terminated.get("reason"))
            initializing = True
        elif (
            isinstance(waiting, dict) and waiting.get("reason") and waiting.get("reason") != "PodInitializing"
        ):
            reason = "Init:" + _str(waiting.get("reason"))
            initializing = True
        else:
            reason = f"Init:{i}/{len(init_specs)}"
            initializing = True
        break

    if not initializing or _condition_true_first(conditions, "Initialized"):
        restarts = restartable_init_restarts
        last_restart = last_restartable_init_restart
        has_running = False
        statuses = _list(status.get("containerStatuses"))
        for cs_any in reversed(statuses):
            cs = _map(cs_any)
            restarts += _int(cs.get("restartCount"))
            last_term = _map(_get(cs, "lastState", "terminated"))
            if last_term:
                t = _time_or_zero(last_term.get("finishedAt"))
                if last_restart < t:
                    last_restart = t
            state = _map(cs.get("state"))
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = _str(waiting.get("reason"))
            elif isinstance(terminated, dict) and terminated.get("reason"):
                reason = _str(terminated.get("reason"))
            elif isinstance(terminated, dict):
                if _int(terminated.get("signal")) != 0:
                    reason = f"Signal:{_int(terminated.get('signal'))}"
                else:
                    reason = f"ExitCode:{_int(terminated.get('exitCode'))}"
            elif cs.get("ready") and isinstance(state.get("running"), dict):
                has_running = True
                ready_containers += 1
        # change pod status back to "Running" if there is at least one container still running
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true_any(conditions, "Ready") else "NotReady"

    deleting = bool(_get(pod, "metadata", "deletionTimestamp"))
    if deleting and status.get("reason") == NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif deleting and phase not in ("Failed", "Succeeded"):
        reason = "Terminating"

    restarts_str = str(restarts)
    if restarts != 0 and last_restart != _ZERO_TIME:
        restarts_str = f"{restarts} ({human_duration(ctx.now - last_restart)} ago)"

    node_name = _str(spec.get("nodeName")) or "<none>"
    nominated = _str(status.get("nominatedNodeName")) or "<none>"
    pod_ips = _list(status.get("podIPs"))
    pod_ip = _str(_map(pod_ips[0]).get("ip")) if pod_ips else _str(status.get("podIP"))
    pod_ip = pod_ip or "<none>"
    gates = _list(spec.get("readinessGates"))
    readiness_gates = "<none>"
    if gates:
        true_conditions = 0
        for g in gates:
            ctype = _map(g).get("conditionType")
            for cond in conditions:
                if _map(cond).get("type") == ctype:
                    if _map(cond).get("status") == "True":
                        true_conditions += 1
                    break
        readiness_gates = f"{true_conditions}/{len(gates)}"
    cells = [
        _name(pod),
        f"{ready_containers}/{total_containers}",
        reason,
        restarts_str,
        ctx.age(pod),
        pod_ip,
        node_name,
        nominated,
        readiness_gates,
    ]
    return cells, row_conditions


def _condition_true_first(conditions: list[Any], type_: str) -> bool:
    """isPodInitializedConditionTrue: the first condition of the type decides."""
    for c in conditions:
        if _map(c).get("type") == type_:
            return _map(c).get("status") == "True"
    return False


def _condition_true_any(conditions: list[Any], type_: str) -> bool:
    """hasPodReadyCondition: any condition of the type with status True."""
    return any(_map(c).get("type") == type_ and _map(c).get("status") == "True" for c in conditions)


def _print_pod_template(obj: Obj, ctx: _Ctx) -> Row:
    names, images = _layout_container_cells(_get(obj, "template", "spec", "containers"))
    return _row(_name(obj), names, images, format_labels(_get(obj, "template", "metadata", "labels")))


def _print_pdb(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    min_available = _str(spec["minAvailable"]) if spec.get("minAvailable") is not None else "N/A"
    max_unavailable = _str(spec["maxUnavailable"]) if spec.get("maxUnavailable") is not None else "N/A"
    return _row(
        _name(obj),
        min_available,
        max_unavailable,
        _int(_get(obj, "status", "disruptionsAllowed")),
        ctx.age(obj),
    )


def _print_rc(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    names, images = _layout_container_cells(_get(spec, "template", "spec", "containers"))
    return _row(
        _name(obj),
        _int(spec.get("replicas")),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        ctx.age(obj),
        names,
        images,
        format_labels(spec.get("selector")),
    )


def _print_replica_set(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    names, images = _layout_container_cells(_get(spec, "template", "spec", "containers"))
    return _row(
        _name(obj),
        _int(spec.get("replicas")),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        ctx.age(obj),
        names,
        images,
        format_label_selector(spec.get("selector")),
    )


def _print_job(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    succeeded = _int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{_int(spec.get('completions'))}"
    else:
        parallelism = _int(spec.get("parallelism"))
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start = parse_time(status.get("startTime")) if isinstance(status.get("startTime"), str) else None
    completion = (
        parse_time(status.get("completionTime")) if isinstance(status.get("completionTime"), str) else None
    )
    if start is None:
        job_duration = ""
    elif completion is None:
        job_duration = human_duration(ctx.now - start)
    else:
        job_duration = human_duration(completion - start)
    conditions = status.get("conditions")
    if _condition_true(conditions, "Complete"):
        job_status = "Complete"
    elif _condition_true(conditions, "Failed"):
        job_status = "Failed"
    elif _get(obj, "metadata", "deletionTimestamp"):
        job_status = "Terminating"
    elif _condition_true(conditions, "Suspended"):
        job_status = "Suspended"
    elif _condition_true(conditions, "FailureTarget"):
        job_status = "FailureTarget"
    else:
        job_status = "Running"
    names, images = _layout_container_cells(_get(spec, "template", "spec", "containers"))
    return _row(
        _name(obj),
        job_status,
        completions,
        job_duration,
        ctx.age(obj),
        names,
        images,
        format_label_selector(spec.get("selector")),
    )


def _print_cron_job(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    last_schedule = "<none>"
    if status.get("lastScheduleTime") is not None:
        last_schedule = ctx.since(status.get("lastScheduleTime"))
    tz = _str(spec["timeZone"]) if spec.get("timeZone") is not None else "<none>"
    job_spec = _map(_get(spec, "jobTemplate", "spec"))
    names, images = _layout_container_cells(_get(job_spec, "template", "spec", "containers"))
    return _row(
        _name(obj),
        _str(spec.get("schedule")),
        tz,
        _bool_ptr(spec.get("suspend")),
        len(_list(status.get("active"))),
        last_schedule,
        ctx.age(obj),
        names,
        images,
        format_label_selector(job_spec.get("selector")),
    )


def _lb_status_string(lb: Any, wide: bool = True) -> str:
    result: set[str] = set()
    for ing in _list(_map(lb).get("ingress")):
        m = _map(ing)
        if m.get("ip"):
            result.add(_str(m.get("ip")))
        elif m.get("hostname"):
            result.add(_str(m.get("hostname")))
    r = ",".join(sorted(result))
    if not wide and len(r) > LOAD_BALANCER_WIDTH:
        r = r[: LOAD_BALANCER_WIDTH - 3] + "..."
    return r


def _service_external_ip(svc: Obj) -> str:
    spec = _map(svc.get("spec"))
    svc_type = spec.get("type")
    external_ips = [_str(x) for x in _list(spec.get("externalIPs"))]
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else "<none>"
    if svc_type == "LoadBalancer":
        lb_ips = _lb_status_string(_get(svc, "status", "loadBalancer"))
        if external_ips:
            results = (lb_ips.split(",") if lb_ips else []) + external_ips
            return ",".join(results)
        return lb_ips or "<pending>"
    if svc_type == "ExternalName":
        return _str(spec.get("externalName"))
    return "<unknown>"


def _service_ports(ports: Any) -> str:
    pieces: list[str] = []
    for p_any in _list(ports):
        p = _map(p_any)
        if _int(p.get("nodePort")) > 0:
            pieces.append(f"{_int(p.get('port'))}:{_int(p.get('nodePort'))}/{_str(p.get('protocol'))}")
        else:
            pieces.append(f"{_int(p.get('port'))}/{_str(p.get('protocol'))}")
    return ",".join(pieces)


def _print_service(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    cluster_ips = _list(spec.get("clusterIPs"))
    internal_ip = "<none>"
    if cluster_ips:
        internal_ip = _str(cluster_ips[0])
    elif spec.get("clusterIP"):
        internal_ip = _str(spec.get("clusterIP"))
    ports = _service_ports(spec.get("ports")) or "<none>"
    return _row(
        _name(obj),
        _str(spec.get("type")),
        internal_ip,
        _service_external_ip(obj),
        ports,
        ctx.age(obj),
        format_labels(spec.get("selector")),
    )


def _format_hosts(rules: Any) -> str:
    rs = _list(rules)
    items: list[str] = []
    max_ = 3
    more = False
    for r in rs:
        if len(items) == max_:
            more = True
        host = _str(_map(r).get("host"))
        if not more and host:
            items.append(host)
    if not items:
        return "*"
    ret = ",".join(items)
    if more:
        return f"{ret} + {len(rs) - max_} more..."
    return ret


def _print_ingress(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    class_name = _str(spec["ingressClassName"]) if spec.get("ingressClassName") is not None else "<none>"
    ports = "80, 443" if _list(spec.get("tls")) else "80"
    address = _lb_status_string(_get(obj, "status", "loadBalancer"))
    return _row(_name(obj), class_name, _format_hosts(spec.get("rules")), address, ports, ctx.age(obj))


def _print_ingress_class(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    parameters = "<none>"
    params = spec.get("parameters")
    if isinstance(params, dict):
        parameters = _str(params.get("kind"))
        if params.get("apiGroup") is not None:
            parameters += "." + _str(params.get("apiGroup"))
        parameters += "/" + _str(params.get("name"))
    return _row(_name(obj), _str(spec.get("controller")), parameters, ctx.age(obj))


def _print_stateful_set(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    names, images = _layout_container_cells(_get(spec, "template", "spec", "containers"))
    ready = _int(_get(obj, "status", "readyReplicas"))
    return _row(_name(obj), f"{ready}/{_int(spec.get('replicas'))}", ctx.age(obj), names, images)


def _print_daemon_set(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    names, images = _layout_container_cells(_get(spec, "template", "spec", "containers"))
    return _row(
        _name(obj),
        _int(status.get("desiredNumberScheduled")),
        _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")),
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
        format_labels(_get(spec, "template", "spec", "nodeSelector")),
        ctx.age(obj),
        names,
        images,
        format_label_selector(spec.get("selector")),
    )


def format_endpoints(endpoints: Obj) -> str:
    subsets = _list(endpoints.get("subsets"))
    if not subsets:
        return "<none>"
    items: list[str] = []
    max_ = 3
    more = False
    count = 0
    for ss_any in subsets:
        ss = _map(ss_any)
        addresses = _list(ss.get("addresses"))
        ports = _list(ss.get("ports"))
        if not ports:
            count += len(addresses)
            for a in addresses:
                if len(items) == max_:
                    more = True
                    break
                items.append(_str(_map(a).get("ip")))
            continue
        for port in ports:
            count += len(addresses)
            for a in addresses:
                if len(items) == max_:
                    more = True
                    break
                items.append(_join_host_port(_str(_map(a).get("ip")), _int(_map(port).get("port"))))
    ret = ",".join(items)
    if more:
        return f"{ret} + {count - max_} more..."
    return ret


def _print_endpoints(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), format_endpoints(obj), ctx.age(obj))


def _print_endpoint_slice(obj: Obj, ctx: _Ctx) -> Row:
    ports: list[str] = []
    max_ = 3
    more = False
    count = 0
    for p_any in _list(obj.get("ports")):
        p = _map(p_any)
        if len(ports) < max_:
            if p.get("port") is not None:
                ports.append(str(_int(p.get("port"))))
            elif p.get("name") is not None:
                ports.append(_str(p.get("name")))
            else:
                ports.append("*")
        elif len(ports) == max_:
            more = True
        count += 1
    ports_str = _list_with_more(ports, more, count, max_)
    addrs: list[str] = []
    more = False
    count = 0
    for ep in _list(obj.get("endpoints")):
        for a in _list(_map(ep).get("addresses")):
            if len(addrs) < max_:
                addrs.append(_str(a))
            elif len(addrs) == max_:
                more = True
            count += 1
    eps_str = _list_with_more(addrs, more, count, max_)
    return _row(_name(obj), _str(obj.get("addressType")), ports_str, eps_str, ctx.age(obj))


def _print_csi_node(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), len(_list(_get(obj, "spec", "drivers"))), ctx.age(obj))


def _print_csi_driver(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    attach_required = True if spec.get("attachRequired") is None else bool(spec.get("attachRequired"))
    modes = ",".join(_str(m) for m in _list(spec.get("volumeLifecycleModes"))) or "<none>"
    token_requests = "<unset>"
    if spec.get("tokenRequests") is not None:
        token_requests = ",".join(_str(_map(t).get("audience")) for t in _list(spec.get("tokenRequests")))
    return _row(
        _name(obj),
        attach_required,
        bool(spec.get("podInfoOnMount")),
        bool(spec.get("storageCapacity")),
        token_requests,
        bool(spec.get("requiresRepublish")),
        modes,
        ctx.age(obj),
    )


def _print_csi_storage_capacity(obj: Obj, ctx: _Ctx) -> Row:
    capacity = "<unset>" if obj.get("capacity") is None else _quantity_string(obj.get("capacity"))
    return _row(_name(obj), _str(obj.get("storageClassName")), capacity)


def _print_webhook_configuration(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), len(_list(obj.get("webhooks"))), ctx.age(obj))


def _print_admission_policy(rules_field: str) -> RowFunc:
    def fn(obj: Obj, ctx: _Ctx) -> Row:
        spec = _map(obj.get("spec"))
        param_kind = "<unset>"
        pk = spec.get("paramKind")
        if isinstance(pk, dict):
            param_kind = _str(pk.get("apiVersion")) + "/" + _str(pk.get("kind"))
        return _row(_name(obj), len(_list(spec.get(rules_field))), param_kind, ctx.age(obj))

    return fn


def _print_admission_policy_binding(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    param_name = "<unset>"
    pr = spec.get("paramRef")
    if isinstance(pr, dict):
        if pr.get("name"):
            if pr.get("namespace"):
                param_name = _str(pr.get("namespace")) + "/" + _str(pr.get("name"))
            else:
                param_name = "*/" + _str(pr.get("name"))
        elif pr.get("selector") is not None:
            param_name = _label_selector_string(pr.get("selector"))
    return _row(_name(obj), _str(spec.get("policyName")), param_name, ctx.age(obj))


def _print_namespace(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), _str(_get(obj, "status", "phase")), ctx.age(obj))


def _print_secret(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), _str(obj.get("type")), len(_map(obj.get("data"))), ctx.age(obj))


def _print_service_account(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), len(_list(obj.get("secrets"))), ctx.age(obj))


def find_node_roles(node: Obj) -> list[str]:
    roles: set[str] = set()
    for k, v in _map(_get(node, "metadata", "labels")).items():
        if k.startswith(LABEL_NODE_ROLE_PREFIX):
            role = k[len(LABEL_NODE_ROLE_PREFIX) :]
            if role:
                roles.add(role)
        elif k == NODE_LABEL_ROLE and v != "":
            roles.add(_str(v))
    return sorted(roles)


def _node_address(node: Obj, type_: str) -> str:
    for a in _list(_get(node, "status", "addresses")):
        if _map(a).get("type") == type_:
            return _str(_map(a).get("address"))
    return "<none>"


def _print_node(obj: Obj, ctx: _Ctx) -> Row:
    status_parts: list[str] = []
    cond_map: dict[str, Mapping[str, Any]] = {}
    for c in _list(_get(obj, "status", "conditions")):
        cond_map[_str(_map(c).get("type"))] = _map(c)
    ready = cond_map.get("Ready")
    if ready is not None:
        status_parts.append("Ready" if ready.get("status") == "True" else "NotReady")
    if not status_parts:
        status_parts.append("Unknown")
    if _get(obj, "spec", "unschedulable"):
        status_parts.append("SchedulingDisabled")
    roles = ",".join(find_node_roles(obj)) or "<none>"
    info = _map(_get(obj, "status", "nodeInfo"))
    return _row(
        _name(obj),
        ",".join(status_parts),
        roles,
        ctx.age(obj),
        _str(info.get("kubeletVersion")),
        _node_address(obj, "InternalIP"),
        _node_address(obj, "ExternalIP"),
        _str(info.get("osImage")) or "<unknown>",
        _str(info.get("kernelVersion")) or "<unknown>",
        _str(info.get("containerRuntimeVersion")) or "<unknown>",
    )


def access_modes_string(modes: Any) -> str:
    ms = {_str(m) for m in _list(modes)}
    out: list[str] = []
    for mode, short in (
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ):
        if mode in ms:
            out.append(short)
    return ",".join(out)


_BETA_STORAGE_CLASS_ANNOTATION: Final = "volume.beta.kubernetes.io/storage-class"


def _storage_class_of(obj: Obj) -> str:
    annotations = _map(_get(obj, "metadata", "annotations"))
    if _BETA_STORAGE_CLASS_ANNOTATION in annotations:
        return _str(annotations[_BETA_STORAGE_CLASS_ANNOTATION])
    return _str(_get(obj, "spec", "storageClassName"))


def _print_pv(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    claim = ""
    claim_ref = spec.get("claimRef")
    if isinstance(claim_ref, dict):
        claim = _str(claim_ref.get("namespace")) + "/" + _str(claim_ref.get("name"))
    phase = _str(_get(obj, "status", "phase"))
    if _get(obj, "metadata", "deletionTimestamp"):
        phase = "Terminating"
    volume_mode = _str(spec["volumeMode"]) if spec.get("volumeMode") is not None else "<unset>"
    vac = (
        _str(spec["volumeAttributesClassName"])
        if spec.get("volumeAttributesClassName") is not None
        else "<unset>"
    )
    return _row(
        _name(obj),
        _quantity_string(_map(spec.get("capacity")).get("storage")),
        access_modes_string(spec.get("accessModes")),
        _str(spec.get("persistentVolumeReclaimPolicy")),
        phase,
        claim,
        _storage_class_of(obj),
        vac,
        _str(_get(obj, "status", "reason")),
        ctx.age(obj),
        volume_mode,
    )


def _print_pvc(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    phase = _str(status.get("phase"))
    if _get(obj, "metadata", "deletionTimestamp"):
        phase = "Terminating"
    vac = (
        _str(spec["volumeAttributesClassName"])
        if spec.get("volumeAttributesClassName") is not None
        else "<unset>"
    )
    capacity = ""
    access_modes = ""
    if spec.get("volumeName"):
        access_modes = access_modes_string(status.get("accessModes"))
        capacity = _quantity_string(_map(status.get("capacity")).get("storage"))
    volume_mode = _str(spec["volumeMode"]) if spec.get("volumeMode") is not None else "<unset>"
    return _row(
        _name(obj),
        phase,
        _str(spec.get("volumeName")),
        capacity,
        access_modes,
        _storage_class_of(obj),
        vac,
        ctx.age(obj),
        volume_mode,
    )


def _event_view(obj: Obj) -> dict[str, Any]:
    """Normalise a core/v1 or events.k8s.io/v1 Event to the core field names."""
    if "regarding" in obj or "note" in obj or str(obj.get("apiVersion", "")).startswith("events.k8s.io/"):
        return {
            "metadata": obj.get("metadata"),
            "involvedObject": _map(obj.get("regarding")),
            "reason": obj.get("reason"),
            "message": obj.get("note"),
            "source": _map(obj.get("deprecatedSource")),
            "firstTimestamp": obj.get("deprecatedFirstTimestamp"),
            "lastTimestamp": obj.get("deprecatedLastTimestamp"),
            "count": obj.get("deprecatedCount"),
            "type": obj.get("type"),
            "eventTime": obj.get("eventTime"),
            "series": obj.get("series"),
            "reportingComponent": obj.get("reportingController"),
            "reportingInstance": obj.get("reportingInstance"),
        }
    return dict(obj)


def _print_event(raw: Obj, ctx: _Ctx) -> Row:
    obj = _event_view(raw)
    first_ts = obj.get("firstTimestamp")
    if isinstance(first_ts, str) and parse_time(first_ts) is not None:
        first = ctx.since(first_ts)
    else:
        first = ctx.since(obj.get("eventTime"))
    last_ts = obj.get("lastTimestamp")
    last = ctx.since(last_ts) if isinstance(last_ts, str) and parse_time(last_ts) is not None else first
    count = _int(obj.get("count"))
    series = obj.get("series")
    if isinstance(series, dict):
        last = ctx.since(series.get("lastObservedTime"))
        count = _int(series.get("count"))
    elif count == 0:
        count = 1  # singleton events don't have a count set in the new API
    io = _map(obj.get("involvedObject"))
    kind = _str(io.get("kind")).lower()
    target = f"{kind}/{_str(io.get('name'))}" if io.get("name") else kind
    source = _map(obj.get("source"))
    component = _str(source.get("component")) or _str(obj.get("reportingComponent"))
    instance = _str(source.get("host")) or _str(obj.get("reportingInstance"))
    source_str = component if not instance else f"{component}, {instance}"
    return _row(
        last,
        _str(obj.get("type")),
        _str(obj.get("reason")),
        target,
        _str(io.get("fieldPath")),
        source_str,
        _str(obj.get("message")).strip(),
        first,
        count,
        _name(raw),
    )


def subjects_strings(subjects: Any) -> tuple[list[str], list[str], list[str], list[str]]:
    users: list[str] = []
    groups: list[str] = []
    sas: list[str] = []
    others: list[str] = []
    for s_any in _list(subjects):
        s = _map(s_any)
        kind = s.get("kind")
        if kind == "ServiceAccount":
            sas.append(f"{_str(s.get('namespace'))}/{_str(s.get('name'))}")
        elif kind == "User":
            users.append(_str(s.get("name")))
        elif kind == "Group":
            groups.append(_str(s.get("name")))
        else:
            others.append(f"{_str(kind)}/{_str(s.get('namespace'))}/{_str(s.get('name'))}")
    return users, groups, sas, others


def _print_role_binding(obj: Obj, ctx: _Ctx) -> Row:
    ref = _map(obj.get("roleRef"))
    users, groups, sas, _ = subjects_strings(obj.get("subjects"))
    return _row(
        _name(obj),
        f"{_str(ref.get('kind'))}/{_str(ref.get('name'))}",
        ctx.age(obj),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    )


def csr_status(obj: Obj) -> str:
    approved = denied = failed = False
    for c in _list(_get(obj, "status", "conditions")):
        t = _map(c).get("type")
        if t == "Approved":
            approved = True
        elif t == "Denied":
            denied = True
        elif t == "Failed":
            failed = True
    status = "Denied" if denied else "Approved" if approved else "Pending"
    if failed:
        status += ",Failed"
    if _get(obj, "status", "certificate"):
        status += ",Issued"
    return status


def _print_csr(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    signer = _str(spec.get("signerName")) or "<none>"
    requested = "<none>"
    if spec.get("expirationSeconds") is not None:
        requested = human_duration(float(_int(spec.get("expirationSeconds"))))
    return _row(_name(obj), ctx.age(obj), signer, _str(spec.get("username")), requested, csr_status(obj))


def _print_cluster_trust_bundle(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), _str(_get(obj, "spec", "signerName")) or "<none>")


def _print_component_status(obj: Obj, ctx: _Ctx) -> Row:
    status = "Unknown"
    message = ""
    error = ""
    for c_any in _list(obj.get("conditions")):
        c = _map(c_any)
        if c.get("type") == "Healthy":
            status = "Healthy" if c.get("status") == "True" else "Unhealthy"
            message = _str(c.get("message"))
            error = _str(c.get("error"))
            break
    return _row(_name(obj), status, message, error)


def _print_deployment(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    names, images = _layout_container_cells(_get(spec, "template", "spec", "containers"))
    return _row(
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'))}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        ctx.age(obj),
        names,
        images,
        _label_selector_string(spec.get("selector")),
    )


def _hpa_v2_view(obj: Obj) -> tuple[list[Any], list[Any]]:
    """(spec.metrics, status.currentMetrics) in autoscaling/v2 shape (v1 objects converted)."""
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    if "targetCPUUtilizationPercentage" not in spec and "currentCPUUtilizationPercentage" not in status:
        return _list(spec.get("metrics")), _list(status.get("currentMetrics"))
    metrics: list[Any] = []
    current: list[Any] = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics.append(
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {
                        "type": "Utilization",
                        "averageUtilization": spec["targetCPUUtilizationPercentage"],
                    },
                },
            }
        )
    if status.get("currentCPUUtilizationPercentage") is not None:
        current.append(
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]},
                },
            }
        )
    return metrics, current


def format_hpa_metrics(specs: list[Any], statuses: list[Any]) -> str:
    if not specs:
        return "<none>"
    items: list[str] = []
    max_ = 2
    count = 0
    for i, spec_any in enumerate(specs):
        spec = _map(spec_any)
        st = _map(statuses[i]) if len(statuses) > i else {}
        t = spec.get("type")
        if t == "External":
            items.append(_metric_value_pair(spec, st, "external"))
        elif t == "Pods":
            cur_m = _map(st.get("pods"))
            current = _quantity_string(_get(cur_m, "current", "averageValue")) if cur_m else "<unknown>"
            items.append(f"{current}/{_quantity_string(_get(spec, 'pods', 'target', 'averageValue'))}")
        elif t == "Object":
            items.append(_metric_value_pair(spec, st, "object"))
        elif t in ("Resource", "ContainerResource"):
            field = "resource" if t == "Resource" else "containerResource"
            src = _map(spec.get(field))
            target = _map(src.get("target"))
            cur_src = _map(st.get(field))
            if target.get("averageValue") is not None:
                current = (
                    _quantity_string(_get(cur_src, "current", "averageValue")) if cur_src else "<unknown>"
                )
                items.append(
                    f"{_str(src.get('name'))}: {current}/{_quantity_string(target.get('averageValue'))}"
                )
            else:
                current = "<unknown>"
                util = _get(cur_src, "current", "averageUtilization")
                if cur_src and util is not None:
                    current = f"{_int(util)}%"
                tgt = "<auto>"
                if target.get("averageUtilization") is not None:
                    tgt = f"{_int(target.get('averageUtilization'))}%"
                items.append(f"{_str(src.get('name'))}: {current}/{tgt}")
        else:
            items.append("<unknown type>")
        count += 1
    more = False
    if count > max_:
        items = items[:max_]
        more = True
    ret = ", ".join(items)
    if more:
        return f"{ret} + {count - max_} more..."
    return ret


def _metric_value_pair(spec: Mapping[str, Any], st: Mapping[str, Any], field: str) -> str:
    target = _map(_get(spec, field, "target"))
    cur_src = _map(st.get(field))
    if target.get("averageValue") is not None:
        current = "<unknown>"
        if cur_src and _get(cur_src, "current", "averageValue") is not None:
            current = _quantity_string(_get(cur_src, "current", "averageValue"))
        return f"{current}/{_quantity_string(target.get('averageValue'))} (avg)"
    current = "<unknown>"
    if cur_src:
        current = _quantity_string(_get(cur_src, "current", "value"))
    return f"{current}/{_quantity_string(target.get('value'))}"


def _print_hpa(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    ref = _map(spec.get("scaleTargetRef"))
    metrics, current = _hpa_v2_view(obj)
    min_pods = str(_int(spec.get("minReplicas"))) if spec.get("minReplicas") is not None else "<unset>"
    return _row(
        _name(obj),
        f"{_str(ref.get('kind'))}/{_str(ref.get('name'))}",
        format_hpa_metrics(metrics, current),
        min_pods,
        _int(spec.get("maxReplicas")),
        _int(_get(obj, "status", "currentReplicas")),
        ctx.age(obj),
    )


def _print_config_map(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), len(_map(obj.get("data"))) + len(_map(obj.get("binaryData"))), ctx.age(obj))


def _print_network_policy(obj: Obj, ctx: _Ctx) -> Row:
    pod_selector = _get(obj, "spec", "podSelector")
    return _row(
        _name(obj), format_label_selector(pod_selector if pod_selector is not None else {}), ctx.age(obj)
    )


def _is_true_annotation(obj: Obj, *keys: str) -> bool:
    annotations = _map(_get(obj, "metadata", "annotations"))
    return any(annotations.get(k) == "true" for k in keys)


def _print_storage_class(obj: Obj, ctx: _Ctx) -> Row:
    name = _name(obj)
    if _is_true_annotation(
        obj, "storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"
    ):
        name += " (default)"
    reclaim = _str(obj["reclaimPolicy"]) if obj.get("reclaimPolicy") is not None else "Delete"
    binding = _str(obj["volumeBindingMode"]) if obj.get("volumeBindingMode") is not None else "Immediate"
    return _row(
        name,
        _str(obj.get("provisioner")),
        reclaim,
        binding,
        bool(obj.get("allowVolumeExpansion")),
        ctx.age(obj),
    )


def _print_volume_attributes_class(obj: Obj, ctx: _Ctx) -> Row:
    name = _name(obj)
    if _is_true_annotation(obj, "storage.kubernetes.io/is-default-class"):
        name += " (default)"
    return _row(name, _str(obj.get("driverName")), ctx.age(obj))


def _print_lease(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), _str(_get(obj, "spec", "holderIdentity")), ctx.age(obj))


def _print_lease_candidate(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    return _row(
        _name(obj),
        _str(spec.get("leaseName")),
        _str(spec.get("binaryVersion")),
        _str(spec.get("emulationVersion")),
        ctx.age(obj),
    )


def _print_status(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_str(obj.get("status")), _str(obj.get("reason")), _str(obj.get("message")))


def _print_controller_revision(obj: Obj, ctx: _Ctx) -> Row:
    controller = "<none>"
    for ref_any in _list(_get(obj, "metadata", "ownerReferences")):
        ref = _map(ref_any)
        if ref.get("controller") is True:
            group = _str(ref.get("apiVersion")).rpartition("/")[0]
            kind = _str(ref.get("kind"))
            gk = f"{kind}.{group}" if group else kind
            name = _str(ref.get("name"))
            controller = f"{gk.lower()}/{name}" if (kind or group) else name
            break
    return _row(_name(obj), controller, _int(obj.get("revision")), ctx.age(obj))


def _print_resource_quota(obj: Obj, ctx: _Ctx) -> Row:
    hard = _map(_get(obj, "status", "hard"))
    used = _map(_get(obj, "status", "used"))
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        target = requests
        pieces = resource.split(".")
        if len(pieces) > 1 and pieces[0] == "limits":
            target = limits
        target.append(
            f"{resource}: {_quantity_string(used.get(resource))}/{_quantity_string(hard.get(resource))}"
        )
    return _row(_name(obj), ", ".join(requests), ", ".join(limits), ctx.age(obj))


def _print_priority_class(obj: Obj, ctx: _Ctx) -> Row:
    return _row(
        _name(obj),
        _int(obj.get("value")),
        bool(obj.get("globalDefault")),
        ctx.age(obj),
        _str(obj.get("preemptionPolicy")),
    )


def _print_runtime_class(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), _str(obj.get("handler")), ctx.age(obj))


def _print_volume_attachment(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    pv_name = _str(_get(spec, "source", "persistentVolumeName"))
    return _row(
        _name(obj),
        _str(spec.get("attacher")),
        pv_name,
        _str(spec.get("nodeName")),
        bool(_get(obj, "status", "attached")),
        ctx.age(obj),
    )


def _print_flow_schema(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    distinguisher = "<none>"
    if isinstance(spec.get("distinguisherMethod"), dict):
        distinguisher = _str(_get(spec, "distinguisherMethod", "type"))
    bad_pl_ref = "?"
    for c in _list(_get(obj, "status", "conditions")):
        if _map(c).get("type") == "Dangling":
            bad_pl_ref = _str(_map(c).get("status"))
            break
    return _row(
        _name(obj),
        _str(_get(spec, "priorityLevelConfiguration", "name")),
        _int(spec.get("matchingPrecedence")),
        distinguisher,
        ctx.age(obj),
        bad_pl_ref,
    )


def _print_priority_level(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    ncs: Cell = "<none>"
    queues: Cell = "<none>"
    hand_size: Cell = "<none>"
    queue_length_limit: Cell = "<none>"
    limited = spec.get("limited")
    if isinstance(limited, dict):
        ncs = _int(limited.get("nominalConcurrencyShares"))
        qc = _get(limited, "limitResponse", "queuing")
        if isinstance(qc, dict):
            queues = _int(qc.get("queues"))
            hand_size = _int(qc.get("handSize"))
            queue_length_limit = _int(qc.get("queueLengthLimit"))
    return _row(_name(obj), _str(spec.get("type")), ncs, queues, hand_size, queue_length_limit, ctx.age(obj))


def _print_storage_version(obj: Obj, ctx: _Ctx) -> Row:
    status = _map(obj.get("status"))
    cev = (
        _str(status["commonEncodingVersion"])
        if status.get("commonEncodingVersion") is not None
        else "<unset>"
    )
    items: list[str] = []
    max_ = 3
    more = False
    count = 0
    for sv in _list(status.get("storageVersions")):
        if len(items) < max_:
            items.append(f"{_str(_map(sv).get('apiServerID'))}={_str(_map(sv).get('encodingVersion'))}")
        elif len(items) == max_:
            more = True
        count += 1
    return _row(_name(obj), cev, _list_with_more(items, more, count, max_), ctx.age(obj))


def _print_service_cidr(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), ",".join(_str(c) for c in _list(_get(obj, "spec", "cidrs"))), ctx.age(obj))


def _print_ip_address(obj: Obj, ctx: _Ctx) -> Row:
    parent = "<none>"
    ref = _get(obj, "spec", "parentRef")
    if isinstance(ref, dict):
        group = _str(ref.get("group"))
        resource = _str(ref.get("resource"))
        parent = (f"{resource}.{group}" if group else resource).lower()
        if ref.get("namespace"):
            parent += "/" + _str(ref.get("namespace"))
        parent += "/" + _str(ref.get("name"))
    return _row(_name(obj), parent, ctx.age(obj))


def _print_scale(obj: Obj, ctx: _Ctx) -> Row:
    return _row(
        _name(obj), _int(_get(obj, "spec", "replicas")), _int(_get(obj, "status", "replicas")), ctx.age(obj)
    )


def _print_name_age(obj: Obj, ctx: _Ctx) -> Row:
    return _row(_name(obj), ctx.age(obj))


def _print_resource_claim(obj: Obj, ctx: _Ctx) -> Row:
    states: list[str] = []
    deleted = bool(_get(obj, "metadata", "deletionTimestamp"))
    if deleted:
        states.append("deleted")
    if _get(obj, "status", "allocation") is None:
        if not deleted:
            states.append("pending")
    else:
        states.append("allocated")
        if _list(_get(obj, "status", "reservedFor")):
            states.append("reserved")
    return _row(_name(obj), ",".join(states), ctx.age(obj))


def _print_resource_slice(obj: Obj, ctx: _Ctx) -> Row:
    spec = _map(obj.get("spec"))
    return _row(
        _name(obj),
        _str(spec.get("nodeName")),
        _str(spec.get("driver")),
        _str(_get(spec, "pool", "name")),
        ctx.age(obj),
    )


def _print_storage_version_migration(obj: Obj, ctx: _Ctx) -> Row:
    r = _map(_get(obj, "spec", "resource"))
    return _row(_name(obj), f"{_str(r.get('resource'))}.{_str(r.get('version'))}.{_str(r.get('group'))}")


# -- the table of printers ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Printer:
    columns: tuple[Column, ...]
    row: RowFunc
    sort_key: Callable[[Obj], Any] | None = None


def _containers_images_selector(selector_doc: tuple[str, str]) -> list[Column]:
    return [
        _c("Containers", doc=_CONTAINERS_DOC, priority=1),
        _c("Images", doc=_IMAGES_DOC, priority=1),
        _c("Selector", doc=selector_doc, priority=1),
    ]


def _p(columns: Sequence[Column], row: RowFunc, sort_key: Callable[[Obj], Any] | None = None) -> Printer:
    return Printer(tuple(columns), row, sort_key)


@cache
def _printers() -> dict[tuple[str, str], Printer]:
    name = _name_col()
    age = _age_col()
    om = "meta.ObjectMeta"
    pod = _p(
        [
            name,
            _c("Ready", doc="The aggregate readiness state of this pod for accepting traffic."),
            _c("Status", doc="The aggregate status of the containers in this pod."),
            _c(
                "Restarts",
                doc="The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            age,
            _c("IP", doc=("core.v1.PodStatus", "podIP"), priority=1),
            _c("Node", doc=("core.v1.PodSpec", "nodeName"), priority=1),
            _c("Nominated Node", doc=("core.v1.PodStatus", "nominatedNodeName"), priority=1),
            _c("Readiness Gates", doc=("core.v1.PodSpec", "readinessGates"), priority=1),
        ],
        _print_pod,
    )
    event_cols = [
        _c("Last Seen", doc=("core.v1.Event", "lastTimestamp")),
        _c("Type", doc=("core.v1.Event", "type")),
        _c("Reason", doc=("core.v1.Event", "reason")),
        _c("Object", doc=("core.v1.Event", "involvedObject")),
        _c("Subobject", doc=("core.v1.ObjectReference", "fieldPath"), priority=1),
        _c("Source", doc=("core.v1.Event", "source"), priority=1),
        _c("Message", doc=("core.v1.Event", "message")),
        _c("First Seen", doc=("core.v1.Event", "firstTimestamp"), priority=1),
        _c("Count", doc=("core.v1.Event", "count"), priority=1),
        Column("Name", "string", "name", _doc(om, "name"), 1),
    ]
    event = _p(event_cols, _print_event)
    role_binding_cols = [
        name,
        _c("Role", doc=("rbac.v1.RoleBinding", "roleRef")),
        age,
        _c("Users", doc="Users in the roleBinding", priority=1),
        _c("Groups", doc="Groups in the roleBinding", priority=1),
        _c("ServiceAccounts", doc="ServiceAccounts in the roleBinding", priority=1),
    ]
    cluster_role_binding_cols = [
        name,
        _c("Role", doc=("rbac.v1.ClusterRoleBinding", "roleRef")),
        age,
        _c("Users", doc="Users in the clusterRoleBinding", priority=1),
        _c("Groups", doc="Groups in the clusterRoleBinding", priority=1),
        _c("ServiceAccounts", doc="ServiceAccounts in the clusterRoleBinding", priority=1),
    ]
    webhook_cols = [
        name,
        _c(
            "Webhooks",
            "integer",
            "Webhooks indicates the number of webhooks registered in this configuration",
        ),
        age,
    ]
    policy_binding_cols = [
        name,
        _c("PolicyName", doc="PolicyName indicates the policy definition which the policy binding binded to"),
        _c("ParamRef", doc="ParamRef indicates the param resource which sets the configration param"),
        age,
    ]
    param_kind = _c(
        "ParamKind", doc="ParamKind specifies the kind of resources used to parameterize this policy"
    )
    hpa = _p(
        [
            name,
            _c("Reference", doc=("autoscaling.v2.HorizontalPodAutoscalerSpec", "scaleTargetRef")),
            _c("Targets", doc=("autoscaling.v2.HorizontalPodAutoscalerSpec", "metrics")),
            _c("MinPods", doc=("autoscaling.v2.HorizontalPodAutoscalerSpec", "minReplicas")),
            _c("MaxPods", doc=("autoscaling.v2.HorizontalPodAutoscalerSpec", "maxReplicas")),
            _c("Replicas", doc=("autoscaling.v2.HorizontalPodAutoscalerStatus", "currentReplicas")),
            age,
        ],
        _print_hpa,
    )
    name_age = _p([name, age], _print_name_age)
    return {
        ("", "Pod"): pod,
        ("", "PodTemplate"): _p(
            [
                name,
                _c("Containers", doc=_CONTAINERS_DOC),
                _c("Images", doc=_IMAGES_DOC),
                _c("Pod Labels", doc="The labels for the pod template."),
            ],
            _print_pod_template,
        ),
        ("policy", "PodDisruptionBudget"): _p(
            [
                name,
                _c("Min Available", doc="The minimum number of pods that must be available."),
                _c("Max Unavailable", doc="The maximum number of pods that may be unavailable."),
                _c(
                    "Allowed Disruptions",
                    "integer",
                    "Calculated number of pods that may be disrupted at this time.",
                ),
                age,
            ],
            _print_pdb,
        ),
        ("", "ReplicationController"): _p(
            [
                name,
                _c("Desired", "integer", ("core.v1.ReplicationControllerSpec", "replicas")),
                _c("Current", "integer", ("core.v1.ReplicationControllerStatus", "replicas")),
                _c("Ready", "integer", ("core.v1.ReplicationControllerStatus", "readyReplicas")),
                age,
                *_containers_images_selector(("core.v1.ReplicationControllerSpec", "selector")),
            ],
            _print_rc,
        ),
        ("apps", "ReplicaSet"): _p(
            [
                name,
                _c("Desired", "integer", ("apps.v1.ReplicaSetSpec", "replicas")),
                _c("Current", "integer", ("apps.v1.ReplicaSetStatus", "replicas")),
                _c("Ready", "integer", ("apps.v1.ReplicaSetStatus", "readyReplicas")),
                age,
                *_containers_images_selector(("apps.v1.ReplicaSetSpec", "selector")),
            ],
            _print_replica_set,
        ),
        ("apps", "DaemonSet"): _p(
            [
                name,
                _c("Desired", "integer", ("apps.v1.DaemonSetStatus", "desiredNumberScheduled")),
                _c("Current", "integer", ("apps.v1.DaemonSetStatus", "currentNumberScheduled")),
                _c("Ready", "integer", ("apps.v1.DaemonSetStatus", "numberReady")),
                _c("Up-to-date", "integer", ("apps.v1.DaemonSetStatus", "updatedNumberScheduled")),
                _c("Available", "integer", ("apps.v1.DaemonSetStatus", "numberAvailable")),
                _c("Node Selector", doc=("core.v1.PodSpec", "nodeSelector")),
                age,
                *_containers_images_selector(("apps.v1.DaemonSetSpec", "selector")),
            ],
            _print_daemon_set,
        ),
        ("batch", "Job"): _p(
            [
                name,
                _c("Status", doc="Status of the job."),
                _c("Completions", doc=("batch.v1.JobStatus", "succeeded")),
                _c("Duration", doc="Time required to complete the job."),
                age,
                *_containers_images_selector(("batch.v1.JobSpec", "selector")),
            ],
            _print_job,
        ),
        ("batch", "CronJob"): _p(
            [
                name,
                _c("Schedule", doc=("batch.v1.CronJobSpec", "schedule")),
                _c("Timezone", doc=("batch.v1.CronJobSpec", "timeZone")),
                _c("Suspend", "boolean", ("batch.v1.CronJobSpec", "suspend")),
                _c("Active", "integer", ("batch.v1.CronJobStatus", "active")),
                _c("Last Schedule", doc=("batch.v1.CronJobStatus", "lastScheduleTime")),
                age,
                *_containers_images_selector(("batch.v1.JobSpec", "selector")),
            ],
            _print_cron_job,
        ),
        ("", "Service"): _p(
            [
                name,
                _c("Type", doc=("core.v1.ServiceSpec", "type")),
                _c("Cluster-IP", doc=("core.v1.ServiceSpec", "clusterIP")),
                _c("External-IP", doc=("core.v1.ServiceSpec", "externalIPs")),
                _c("Port(s)", doc=("core.v1.ServiceSpec", "ports")),
                age,
                _c("Selector", doc=("core.v1.ServiceSpec", "selector"), priority=1),
            ],
            _print_service,
        ),
        ("networking.k8s.io", "Ingress"): _p(
            [
                name,
                _c(
                    "Class",
                    doc="The name of the IngressClass resource that should be used for additional configuration",
                ),
                _c("Hosts", doc="Hosts that incoming requests are matched against before the ingress rule"),
                _c("Address", doc="Address is a list containing ingress points for the load-balancer"),
                _c("Ports", doc="Ports of TLS configurations that open"),
                age,
            ],
            _print_ingress,
        ),
        ("networking.k8s.io", "IngressClass"): _p(
            [
                name,
                _c("Controller", doc="Controller that is responsible for handling this class"),
                _c("Parameters", doc="A reference to a resource with additional parameters"),
                age,
            ],
            _print_ingress_class,
        ),
        ("apps", "StatefulSet"): _p(
            [
                name,
                _c("Ready", doc="Number of the pod with ready state"),
                age,
                _c("Containers", doc=_CONTAINERS_DOC, priority=1),
                _c("Images", doc=_IMAGES_DOC, priority=1),
            ],
            _print_stateful_set,
        ),
        ("", "Endpoints"): _p(
            [name, _c("Endpoints", doc=("core.v1.Endpoints", "subsets")), age], _print_endpoints
        ),
        ("", "Node"): _p(
            [
                name,
                _c("Status", doc="The status of the node"),
                _c("Roles", doc="The roles of the node"),
                age,
                _c("Version", doc=("core.v1.NodeSystemInfo", "kubeletVersion")),
                _c("Internal-IP", doc=("core.v1.NodeStatus", "addresses"), priority=1),
                _c("External-IP", doc=("core.v1.NodeStatus", "addresses"), priority=1),
                _c("OS-Image", doc=("core.v1.NodeSystemInfo", "osImage"), priority=1),
                _c("Kernel-Version", doc=("core.v1.NodeSystemInfo", "kernelVersion"), priority=1),
                _c(
                    "Container-Runtime", doc=("core.v1.NodeSystemInfo", "containerRuntimeVersion"), priority=1
                ),
            ],
            _print_node,
        ),
        ("", "Event"): event,
        ("events.k8s.io", "Event"): event,
        ("", "Namespace"): _p([name, _c("Status", doc="The status of the namespace"), age], _print_namespace),
        ("", "Secret"): _p(
            [
                name,
                _c("Type", doc=("core.v1.Secret", "type")),
                _c("Data", doc=("core.v1.Secret", "data")),
                age,
            ],
            _print_secret,
        ),
        ("", "ServiceAccount"): _p(
            [name, _c("Secrets", doc=("core.v1.ServiceAccount", "secrets")), age], _print_service_account
        ),
        ("", "PersistentVolume"): _p(
            [
                name,
                _c("Capacity", doc=("core.v1.PersistentVolumeSpec", "capacity")),
                _c("Access Modes", doc=("core.v1.PersistentVolumeSpec", "accessModes")),
                _c("Reclaim Policy", doc=("core.v1.PersistentVolumeSpec", "persistentVolumeReclaimPolicy")),
                _c("Status", doc=("core.v1.PersistentVolumeStatus", "phase")),
                _c("Claim", doc=("core.v1.PersistentVolumeSpec", "claimRef")),
                _c("StorageClass", doc="StorageClass of the pv"),
                _c("VolumeAttributesClass", doc="VolumeAttributesClass of the pv"),
                _c("Reason", doc=("core.v1.PersistentVolumeStatus", "reason")),
                age,
                _c("VolumeMode", doc=("core.v1.PersistentVolumeSpec", "volumeMode"), priority=1),
            ],
            _print_pv,
        ),
        ("", "PersistentVolumeClaim"): _p(
            [
                name,
                _c("Status", doc=("core.v1.PersistentVolumeClaimStatus", "phase")),
                _c("Volume", doc=("core.v1.PersistentVolumeClaimSpec", "volumeName")),
                _c("Capacity", doc=("core.v1.PersistentVolumeClaimStatus", "capacity")),
                _c("Access Modes", doc=("core.v1.PersistentVolumeClaimStatus", "accessModes")),
                _c("StorageClass", doc="StorageClass of the pvc"),
                _c("VolumeAttributesClass", doc="VolumeAttributesClass of the pvc"),
                age,
                _c("VolumeMode", doc=("core.v1.PersistentVolumeClaimSpec", "volumeMode"), priority=1),
            ],
            _print_pvc,
        ),
        ("", "ComponentStatus"): _p(
            [
                name,
                _c("Status", doc="Status of the component conditions"),
                _c("Message", doc="Message of the component conditions"),
                _c("Error", doc="Error of the component conditions"),
            ],
            _print_component_status,
        ),
        ("apps", "Deployment"): _p(
            [
                name,
                _c("Ready", doc="Number of the pod with ready state"),
                _c("Up-to-date", doc=("apps.v1.DeploymentStatus", "updatedReplicas")),
                _c("Available", doc=("apps.v1.DeploymentStatus", "availableReplicas")),
                age,
                *_containers_images_selector(("apps.v1.DeploymentSpec", "selector")),
            ],
            _print_deployment,
        ),
        ("autoscaling", "HorizontalPodAutoscaler"): hpa,
        ("", "ConfigMap"): _p([name, _c("Data", doc=("core.v1.ConfigMap", "data")), age], _print_config_map),
        ("networking.k8s.io", "NetworkPolicy"): _p(
            [name, _c("Pod-Selector", doc=("networking.v1.NetworkPolicySpec", "podSelector")), age],
            _print_network_policy,
        ),
        ("rbac.authorization.k8s.io", "RoleBinding"): _p(role_binding_cols, _print_role_binding),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _p(
            cluster_role_binding_cols, _print_role_binding
        ),
        ("certificates.k8s.io", "CertificateSigningRequest"): _p(
            [
                name,
                age,
                _c("SignerName", doc=("certificates.v1.CertificateSigningRequestSpec", "signerName")),
                _c("Requestor", doc=("certificates.v1.CertificateSigningRequestSpec", "request")),
                _c(
                    "RequestedDuration",
                    doc=("certificates.v1.CertificateSigningRequestSpec", "expirationSeconds"),
                ),
                _c("Condition", doc=("certificates.v1.CertificateSigningRequestStatus", "conditions")),
            ],
            _print_csr,
        ),
        ("certificates.k8s.io", "ClusterTrustBundle"): _p(
            [name, _c("SignerName", doc=("certificates.v1alpha1.ClusterTrustBundleSpec", "signerName"))],
            _print_cluster_trust_bundle,
        ),
        ("coordination.k8s.io", "Lease"): _p(
            [name, _c("Holder", doc=("coordination.v1.LeaseSpec", "holderIdentity")), age], _print_lease
        ),
        ("coordination.k8s.io", "LeaseCandidate"): _p(
            [
                name,
                _c("LeaseName", doc=("coordination.v1alpha2.LeaseCandidateSpec", "leaseName")),
                _c("BinaryVersion", doc=(om, "binaryVersion")),
                _c("EmulationVersion", doc=(om, "emulationVersion")),
                age,
            ],
            _print_lease_candidate,
        ),
        ("storage.k8s.io", "StorageClass"): _p(
            [
                name,
                _c("Provisioner", doc=("storage.v1.StorageClass", "provisioner")),
                _c("ReclaimPolicy", doc=("storage.v1.StorageClass", "reclaimPolicy")),
                _c("VolumeBindingMode", doc=("storage.v1.StorageClass", "volumeBindingMode")),
                _c("AllowVolumeExpansion", doc=("storage.v1.StorageClass", "allowVolumeExpansion")),
                age,
            ],
            _print_storage_class,
        ),
        ("storage.k8s.io", "VolumeAttributesClass"): _p(
            [name, _c("DriverName", doc=("storage.v1beta1.VolumeAttributesClass", "driverName")), age],
            _print_volume_attributes_class,
        ),
        ("", "Status"): _p(
            [
                _c("Status", doc=("meta.Status", "status")),
                _c("Reason", doc=("meta.Status", "reason")),
                _c("Message", doc=("meta.Status", "Message")),
            ],
            _print_status,
        ),
        ("apps", "ControllerRevision"): _p(
            [
                name,
                _c("Controller", doc="Controller of the object"),
                _c("Revision", doc=("apps.v1.ControllerRevision", "revision")),
                age,
            ],
            _print_controller_revision,
        ),
        ("", "ResourceQuota"): _p(
            [
                name,
                _c(
                    "Request",
                    doc="Request represents a minimum amount of cpu/memory that a container may consume.",
                ),
                _c(
                    "Limit",
                    doc="Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
                ),
                age,
            ],
            _print_resource_quota,
        ),
        ("scheduling.k8s.io", "PriorityClass"): _p(
            [
                name,
                _c("Value", "integer", ("scheduling.v1.PriorityClass", "value")),
                _c("Global-Default", "boolean", ("scheduling.v1.PriorityClass", "globalDefault")),
                age,
                _c("PreemptionPolicy", doc=("scheduling.v1.PriorityClass", "preemptionPolicy")),
            ],
            _print_priority_class,
        ),
        ("node.k8s.io", "RuntimeClass"): _p(
            [name, _c("Handler", doc=(om, "handler")), age], _print_runtime_class
        ),
        ("storage.k8s.io", "VolumeAttachment"): _p(
            [
                name,
                _c("Attacher", fmt="name", doc=("storage.v1.VolumeAttachmentSpec", "attacher")),
                _c("PV", doc=("storage.v1.VolumeAttachmentSource", "persistentVolumeName")),
                _c("Node", doc=("storage.v1.VolumeAttachmentSpec", "nodeName")),
                _c("Attached", "boolean", ("storage.v1.VolumeAttachmentStatus", "attached")),
                age,
            ],
            _print_volume_attachment,
        ),
        ("discovery.k8s.io", "EndpointSlice"): _p(
            [
                name,
                _c("AddressType", doc=("discovery.v1.EndpointSlice", "addressType")),
                _c("Ports", doc=("discovery.v1.EndpointSlice", "ports")),
                _c("Endpoints", doc=("discovery.v1.EndpointSlice", "endpoints")),
                age,
            ],
            _print_endpoint_slice,
        ),
        ("storage.k8s.io", "CSINode"): _p(
            [
                name,
                _c(
                    "Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"
                ),
                age,
            ],
            _print_csi_node,
        ),
        ("storage.k8s.io", "CSIDriver"): _p(
            [
                name,
                _c("AttachRequired", "boolean", ("storage.v1.CSIDriverSpec", "attachRequired")),
                _c("PodInfoOnMount", "boolean", ("storage.v1.CSIDriverSpec", "podInfoOnMount")),
                _c("StorageCapacity", "boolean", ("storage.v1.CSIDriverSpec", "storageCapacity")),
                _c("TokenRequests", doc=("storage.v1.CSIDriverSpec", "tokenRequests")),
                _c("RequiresRepublish", "boolean", ("storage.v1.CSIDriverSpec", "requiresRepublish")),
                _c("Modes", doc=("storage.v1.CSIDriverSpec", "volumeLifecycleModes")),
                age,
            ],
            _print_csi_driver,
        ),
        ("storage.k8s.io", "CSIStorageCapacity"): _p(
            [
                name,
                _c("StorageClassName", doc=("storage.v1.CSIStorageCapacity", "storageClassName")),
                _c("Capacity", doc=("storage.v1.CSIStorageCapacity", "capacity")),
            ],
            _print_csi_storage_capacity,
        ),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): _p(
            webhook_cols, _print_webhook_configuration
        ),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): _p(
            webhook_cols, _print_webhook_configuration
        ),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"): _p(
            [
                name,
                _c(
                    "Validations",
                    "integer",
                    "Validations indicates the number of validation rules defined in this configuration",
                ),
                param_kind,
                age,
            ],
            _print_admission_policy("validations"),
        ),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"): _p(
            policy_binding_cols, _print_admission_policy_binding
        ),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"): _p(
            [
                name,
                _c(
                    "Mutations",
                    "integer",
                    "Mutation indicates the number of mutations rules defined in this configuration",
                ),
                param_kind,
                age,
            ],
            _print_admission_policy("mutations"),
        ),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"): _p(
            policy_binding_cols, _print_admission_policy_binding
        ),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"): _p(
            [
                name,
                _c("PriorityLevel", doc=("flowcontrol.v1.PriorityLevelConfigurationReference", "name")),
                _c("MatchingPrecedence", doc=("flowcontrol.v1.FlowSchemaSpec", "matchingPrecedence")),
                _c("DistinguisherMethod", doc=("flowcontrol.v1.FlowSchemaSpec", "distinguisherMethod")),
                age,
                _c("MissingPL", doc="references a broken or non-existent PriorityLevelConfiguration"),
            ],
            _print_flow_schema,
            sort_key=lambda o: (_int(_get(o, "spec", "matchingPrecedence")), _name(o)),
        ),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"): _p(
            [
                name,
                _c("Type", doc=("flowcontrol.v1.PriorityLevelConfigurationSpec", "type")),
                _c(
                    "NominalConcurrencyShares",
                    doc=("flowcontrol.v1.LimitedPriorityLevelConfiguration", "nominalConcurrencyShares"),
                ),
                _c("Queues", doc=("flowcontrol.v1.QueuingConfiguration", "queues")),
                _c("HandSize", doc=("flowcontrol.v1.QueuingConfiguration", "handSize")),
                _c("QueueLengthLimit", doc=("flowcontrol.v1.QueuingConfiguration", "queueLengthLimit")),
                age,
            ],
            _print_priority_level,
        ),
        ("internal.apiserver.k8s.io", "StorageVersion"): _p(
            [
                name,
                _c(
                    "CommonEncodingVersion",
                    doc=("apiserverinternal.v1alpha1.StorageVersionStatus", "commonEncodingVersion"),
                ),
                _c(
                    "StorageVersions",
                    doc=("apiserverinternal.v1alpha1.StorageVersionStatus", "storageVersions"),
                ),
                age,
            ],
            _print_storage_version,
        ),
        ("autoscaling", "Scale"): _p(
            [
                Column("Name", "string", "", _doc(om, "name")),
                _c("Desired", "integer", ("autoscaling.v1.ScaleSpec", "replicas")),
                _c("Available", "integer", ("autoscaling.v1.ScaleStatus", "replicas")),
                age,
            ],
            _print_scale,
        ),
        ("resource.k8s.io", "DeviceClass"): name_age,
        ("resource.k8s.io", "ResourceClaim"): _p(
            [
                name,
                _c("State", doc="A summary of the current state (allocated, pending, reserved, etc.)."),
                age,
            ],
            _print_resource_claim,
        ),
        ("resource.k8s.io", "ResourceClaimTemplate"): name_age,
        ("resource.k8s.io", "ResourceSlice"): _p(
            [
                name,
                _c("Node", doc=("resource.v1beta1.ResourceSliceSpec", "nodeName")),
                _c("Driver", doc=("resource.v1beta1.ResourceSliceSpec", "driver")),
                _c("Pool", doc=("resource.v1beta1.ResourcePool", "name")),
                age,
            ],
            _print_resource_slice,
        ),
        ("networking.k8s.io", "ServiceCIDR"): _p(
            [name, _c("CIDRs", doc=("networking.v1beta1.ServiceCIDRSpec", "cidrs")), age], _print_service_cidr
        ),
        ("networking.k8s.io", "IPAddress"): _p(
            [name, _c("ParentRef", doc=("networking.v1beta1.IPAddressSpec", "parentRef"))], _print_ip_address
        ),
        ("storagemigration.k8s.io", "StorageVersionMigration"): _p(
            [
                Column("Name", "string", "", _doc(om, "name")),
                _c("Resource", doc="Fully qualified resource to migrate"),
            ],
            _print_storage_version_migration,
        ),
    }


def printer_for(group: str, kind: str) -> Printer | None:
    """The built-in printer of a kind, or None when the default table applies."""
    return _printers().get((group, kind))


def has_printer(group: str, kind: str) -> bool:
    return (group, kind) in _printers()


@cache
def _default_columns() -> tuple[Column, ...]:
    return (
        Column("Name", "string", "name", _doc("meta.ObjectMeta", "name")),
        Column("Created At", "date", "", _doc("meta.ObjectMeta", "creationTimestamp")),
    )


def _default_row(obj: Obj, ctx: _Ctx) -> Row:
    created = parse_time(_get(obj, "metadata", "creationTimestamp"))
    return _row(_name(obj), format_time(created or _ZERO_TIME))


def column_definitions(group: str, kind: str) -> list[dict[str, Any]]:
    p = printer_for(group, kind)
    cols = p.columns if p is not None else _default_columns()
    return [c.as_dict() for c in cols]


# -- the Table ---------------------------------------------------------------------------------


def _row_object(
    obj: Obj, include_object: str, resource: ResourceInfo | None, table_version: str
) -> dict[str, Any] | None:
    if include_object == INCLUDE_NONE:
        return None
    if include_object == INCLUDE_OBJECT:
        out = dict(obj)
        if resource is not None:
            out.setdefault("apiVersion", resource.api_version)
            out.setdefault("kind", resource.kind)
        return out
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"{TABLE_GROUP}/{table_version}",
        "metadata": dict(_map(obj.get("metadata"))),
    }


def _table_metadata(list_meta: Mapping[str, Any] | None) -> dict[str, Any]:
    md: dict[str, Any] = {}
    if list_meta:
        if list_meta.get("resourceVersion"):
            md["resourceVersion"] = list_meta["resourceVersion"]
        if list_meta.get("continue"):
            md["continue"] = list_meta["continue"]
        if list_meta.get("remainingItemCount") is not None:
            md["remainingItemCount"] = list_meta["remainingItemCount"]
    return md


def _check_include_object(include_object: str) -> str:
    if include_object in ("", INCLUDE_METADATA):
        return INCLUDE_METADATA
    if include_object in (INCLUDE_OBJECT, INCLUDE_NONE):
        return include_object
    raise TableOptionsError(f'unrecognized includeObject value: "{include_object}"')


def table_for(
    resource: ResourceInfo,
    objects: Sequence[Obj],
    *,
    include_object: str = INCLUDE_METADATA,
    now: datetime | None = None,
    list_meta: Mapping[str, Any] | None = None,
    no_headers: bool = False,
    table_version: str = "v1",
) -> dict[str, Any]:
    """A ``meta.k8s.io/v1 Table`` for objects of a resource (a list, or one object for a get).

    ``list_meta`` gives the Table's metadata (resourceVersion, continue, remainingItemCount);
    for a get, pass ``{"resourceVersion": obj.metadata.resourceVersion}``. ``no_headers``
    (TableOptions.noHeaders, used by watches after the first event) leaves the column
    definitions out. Raises TableOptionsError for an unknown ``include_object``.
    """
    include = _check_include_object(include_object)
    ctx = _Ctx(now or datetime.now(UTC))
    printer = printer_for(resource.group, resource.kind)
    if printer is None:
        columns = _default_columns()
        row_fn: RowFunc = _default_row
        items: Sequence[Obj] = objects
    else:
        columns = printer.columns
        row_fn = printer.row
        items = sorted(objects, key=printer.sort_key) if printer.sort_key and len(objects) > 1 else objects
    rows: list[dict[str, Any]] = []
    for obj in items:
        cells, conditions = row_fn(obj, ctx)
        row: dict[str, Any] = {"cells": cells}
        if conditions:
            row["conditions"] = conditions
        row["object"] = _row_object(obj, include, resource, table_version)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": f"{TABLE_GROUP}/{table_version}",
        "metadata": _table_metadata(list_meta),
        "columnDefinitions": None if no_headers else [c.as_dict() for c in columns],
        "rows": rows,
    }


# -- custom resources (additionalPrinterColumns) ----------------------------------------------


def _jsonpath_find(obj: Any, path: str) -> list[Any]:
    """A simple JSONPath as CRDs allow (``.spec.replicas``, ``.status.conditions[0].type``,
    ``.items[*].name``, ``.metadata.labels.app\\.kubernetes\\.io/name``)."""
    p = path.strip()
    if p.startswith("{") and p.endswith("}"):
        p = p[1:-1]
    if p.startswith("$"):
        p = p[1:]
    tokens: list[str | int | None] = []  # str key, int index, None wildcard
    i = 0
    n = len(p)
    while i < n:
        ch = p[i]
        if ch == ".":
            i += 1
            key = ""
            while i < n and p[i] not in ".[":
                if p[i] == "\\" and i + 1 < n:
                    key += p[i + 1]
                    i += 2
                    continue
                key += p[i]
                i += 1
            if key:
                tokens.append(key)
        elif ch == "[":
            j = p.find("]", i)
            if j < 0:
                return []
            inner = p[i + 1 : j].strip()
            i = j + 1
            if inner == "*":
                tokens.append(None)
            elif inner.lstrip("-").isdigit():
                tokens.append(int(inner))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                tokens.append(inner[1:-1])
            else:
                return []
        else:
            return []
    current: list[Any] = [obj]
    for tok in tokens:
        nxt: list[Any] = []
        for c in current:
            if tok is None:
                if isinstance(c, list):
                    nxt.extend(c)
                elif isinstance(c, dict):
                    nxt.extend(c.values())
            elif isinstance(tok, int):
                if isinstance(c, list) and -len(c) <= tok < len(c):
                    nxt.append(c[tok])
            elif isinstance(c, dict) and tok in c:
                nxt.append(c[tok])
        current = nxt
    return current


def _jsonpath_print(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return orjson.dumps(value).decode()


def _cell_for_json_value(type_: str, value: Any, ctx: _Ctx) -> Cell:
    if value is None:
        return None
    if type_ == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        return None
    if type_ == "number":
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return float(value)
        return None
    if type_ == "boolean":
        return value if isinstance(value, bool) else None
    if type_ == "string":
        return value if isinstance(value, str) else None
    if type_ == "date":
        if isinstance(value, str):
            dt = parse_time(value)
            if dt is None:
                return "<invalid>"
            return human_duration(ctx.now - dt)
        return None
    return None


def custom_resource_columns(printer_columns: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Column definitions of a custom resource version (Name + additionalPrinterColumns, or Age)."""
    cols = list(printer_columns or [])
    if not cols:
        cols = [
            {
                "name": "Age",
                "type": "date",
                "description": _doc("meta.ObjectMeta", "creationTimestamp"),
                "jsonPath": ".metadata.creationTimestamp",
            }
        ]
    out = [_name_col().as_dict()]
    for c in cols:
        out.append(
            {
                "name": _str(c.get("name")),
                "type": _str(c.get("type")),
                "format": _str(c.get("format")),
                "description": _str(c.get("description")),
                "priority": _int(c.get("priority")),
            }
        )
    return out


def table_for_custom_resource(
    printer_columns: Sequence[Mapping[str, Any]] | None,
    objects: Sequence[Obj],
    *,
    include_object: str = INCLUDE_METADATA,
    now: datetime | None = None,
    list_meta: Mapping[str, Any] | None = None,
    no_headers: bool = False,
    table_version: str = "v1",
) -> dict[str, Any]:
    """The Table of custom resources, from a CRD version's ``additionalPrinterColumns``."""
    include = _check_include_object(include_object)
    ctx = _Ctx(now or datetime.now(UTC))
    cols = list(printer_columns or [])
    if not cols:
        cols = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    rows: list[dict[str, Any]] = []
    for obj in objects:
        cells: list[Cell] = [_name(obj)]
        for c in cols:
            results = _jsonpath_find(obj, _str(c.get("jsonPath")))
            if not results:
                cells.append(None)
                continue
            value = results[0]
            if c.get("type") == "string":
                cells.append(_jsonpath_print(value))
            else:
                cells.append(_cell_for_json_value(_str(c.get("type")), value, ctx))
        rows.append({"cells": cells, "object": _row_object(obj, include, None, table_version)})
    return {
        "kind": "Table",
        "apiVersion": f"{TABLE_GROUP}/{table_version}",
        "metadata": _table_metadata(list_meta),
        "columnDefinitions": None if no_headers else custom_resource_columns(printer_columns),
        "rows": rows,
    }
