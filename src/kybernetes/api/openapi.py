"""The ``/openapi/v2`` and ``/openapi/v3`` documents, built from the resource table.

The definitions are the upstream 1.32 ones (:mod:`kybernetes.api.schema`), converted
from the stored JSON-schema flavour back to OpenAPI: ``type`` lists become one type,
references point into ``#/definitions/`` (v2) or ``#/components/schemas/`` (v3), the
``enum`` added on ``apiVersion``/``kind`` is dropped, IntOrString and Quantity get their
upstream shapes. Paths and operations follow kube-apiserver's naming exactly
(``listCoreV1NamespacedPod``, ``x-kubernetes-action``, ``x-kubernetes-group-version-kind``,
the ``fieldValidation``/``dryRun``/``fieldManager`` parameters kubectl looks for).

Everything is built lazily and cached per :class:`OpenAPIService` (one per set of
resources + extra definitions); :func:`service` memoises services, and every document is
also available pre-serialised (``*_bytes``) with its upstream hash/ETag (uppercase hex
sha512 of the serialised bytes).

Custom resources plug in by passing extra :class:`ResourceInfo` rows and their
definitions (any flavour: ``#/$defs/``, ``#/definitions/`` or ``#/components/schemas/``
references) to :func:`service`; their definitions need ``x-kubernetes-group-version-kind``
for the kind and the list kind.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from kybernetes.api import schema
from kybernetes.api.resource_table import subresource_info
from kybernetes.api.resources import ResourceInfo

Schema = dict[str, Any]

SERVER_VERSION = "v" + schema.KUBERNETES_VERSION

V2_REF = "#/definitions/"
V3_REF = "#/components/schemas/"

INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
DELETE_OPTIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
PATCH = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
WATCH_EVENT = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"
API_RESOURCE_LIST = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList"
API_GROUP = "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup"
API_GROUP_LIST = "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList"
API_VERSIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions"
VERSION_INFO = "io.k8s.apimachinery.pkg.version.Info"

_INT_OR_STRING_DESCRIPTION = (
    "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
    "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you "
    "to have, for example, a JSON field that can accept a name or number."
)
_QUANTITY_DESCRIPTION = (
    "Quantity is a fixed-point representation of a number. It provides convenient "
    "marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors."
    "\n\nThe serialization format is:\n\n``` <quantity>        ::= <signedNumber><suffix>\n\n"
    '\t(Note that <suffix> may be empty, from the "" case in <decimalSI>.)\n\n'
    "<digit>           ::= 0 | 1 | ... | 9 <digits>          ::= <digit> | <digit><digits> "
    "<number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> "
    '<sign>            ::= "+" | "-" <signedNumber>    ::= <number> | <sign><number> '
    "<suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI> "
    "<binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n"
    "\t(International System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n"
    '<decimalSI>       ::= m | "" | k | M | G | T | P | E\n\n'
    "\t(Note that 1024 = 1Ki but 1000 = 1k; I didn't choose the capitalization.)\n\n"
    '<decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber> ```'
)

_JSON = "application/json"
_YAML = "application/yaml"
_PROTOBUF = "application/vnd.kubernetes.protobuf"
_WATCH_JSON = "application/json;stream=watch"
_WATCH_PROTOBUF = "application/vnd.kubernetes.protobuf;stream=watch"
_PRODUCES = (_JSON, _YAML, _PROTOBUF)
_PRODUCES_LIST = (_JSON, _YAML, _PROTOBUF, _WATCH_JSON, _WATCH_PROTOBUF)
_PRODUCES_LOG = ("text/plain", _JSON, _YAML, _PROTOBUF)
_ANY = ("*/*",)
_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
_PATCH_TYPES_NO_SMP = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)

# ---------------------------------------------------------------- parameter texts (upstream)

_D = {
    "pretty": "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent "
    "indicates a browser or command-line HTTP tool (curl and wget).",
    "namespace": "object name and auth scope, such as for teams and projects",
    "dryRun": "When present, indicates that modifications should not be persisted. An invalid or "
    "unrecognized dryRun directive will result in an error response and no further processing of the "
    "request. Valid values are: - All: all dry run stages will be processed",
    "fieldManager": "fieldManager is a name associated with the actor or entity that is making these "
    "changes. The value must be less than or 128 characters long, and only contain printable characters, "
    "as defined by https://golang.org/pkg/unicode/#IsPrint.",
    "fieldManagerPatch": "fieldManager is a name associated with the actor or entity that is making "
    "these changes. The value must be less than or 128 characters long, and only contain printable "
    "characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply "
    "requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, "
    "StrategicMergePatch).",
    "fieldValidation": "fieldValidation instructs the server on how to handle objects in the request "
    "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore "
    "any unknown fields that are silently dropped from the object, and will ignore all but the last "
    "duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: "
    "This will send a warning via the standard warning response header for each unknown field that is "
    "dropped from the object, and for each duplicate field that is encountered. The request will still "
    "succeed if there are no other errors, and will only persist the last of any duplicate fields. This "
    "is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown "
    "fields would be dropped from the object, or if any duplicate fields are present. The error returned "
    "from the server will contain all unknown and duplicate fields encountered.",
    "force": 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields '
    "owned by other people. Force flag must be unset for non-apply patch requests.",
    "gracePeriodSeconds": "The duration in seconds before the object should be deleted. Value must be "
    "non-negative integer. The value zero indicates delete immediately. If this value is nil, the default "
    "grace period for the specified type will be used. Defaults to a per object value if not specified. "
    "zero means delete immediately.",
    "ignoreStoreReadErrorWithClusterBreakingPotential": "if set to true, it will trigger an unsafe "
    "deletion of the resource in case the normal deletion flow fails with a corrupt object error. A "
    "resource is considered corrupt if it can not be retrieved from the underlying storage successfully "
    "because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into "
    "an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and "
    "removes the object from the storage. WARNING: This may potentially break the cluster if the workload "
    "associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you "
    "REALLY know what you are doing. The default value is false, and the user must opt in to enable it",
    "orphanDependents": "Deprecated: please use the PropagationPolicy, this field will be deprecated in "
    '1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added '
    "to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but "
    "not both.",
    "propagationPolicy": "Whether and how garbage collection will be performed. Either this field or "
    "OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer "
    "set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: "
    "'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the "
    "dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the "
    "foreground.",
    "allowWatchBookmarks": 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that '
    "do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion. "
    "Clients should not assume bookmarks are returned at any specific interval, nor may they assume the "
    "server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.",
    "continue": "The continue option should be set when retrieving more results from the server. Since "
    "this value is server defined, clients may only use the continue value from a previous query result "
    "with identical query parameters (except for the value of continue) and the server may reject a "
    "continue value it does not recognize. If the specified continue value is no longer valid whether due "
    "to expiration (generally five to fifteen minutes) or a configuration change on the server, the server "
    "will respond with a 410 ResourceExpired error together with a continue token. If the client needs a "
    "consistent list, it must restart their list without the continue field. Otherwise, the client may "
    "send another list request with the token received with the 410 error, the server will respond with "
    "a list starting from the next key, but from the latest snapshot, which is inconsistent from the "
    "previous list results - objects that are created, modified, or deleted after the first list request "
    'will be included in the response, as long as their keys are after the "next key".\n\nThis field is '
    "not supported when watch is true. Clients may start a watch from the last resourceVersion value "
    "returned by the server and not miss any modifications.",
    "fieldSelector": "A selector to restrict the list of returned objects by their fields. Defaults to "
    "everything.",
    "labelSelector": "A selector to restrict the list of returned objects by their labels. Defaults to "
    "everything.",
    "limit": "limit is a maximum number of responses to return for a list call. If more items exist, the "
    "server will set the `continue` field on the list metadata to a value that can be used with the same "
    "initial query to retrieve the next set of results. Setting a limit may return fewer than the "
    "requested amount of items (up to zero items) in the event all requested objects are filtered out "
    "and clients should only use the presence of the continue field to determine whether more results "
    "are available. Servers may choose not to support the limit argument and will return all of the "
    "available results. If limit is specified and the continue field is empty, clients may assume that no "
    "more results are available. This field is not supported if watch is true.\n\nThe server guarantees "
    "that the objects returned when using continue will be identical to issuing a single list call "
    "without a limit - that is, no objects created, modified, or deleted after the first request is "
    "issued will be included in any subsequent continued requests. This is sometimes referred to as a "
    "consistent snapshot, and ensures that a client that is using limit to receive smaller chunks of a "
    "very large result can ensure they see all possible objects. If objects are updated during a chunked "
    "list the version of the object that was present at the time the first list result was calculated is "
    "returned.",
    "resourceVersion": "resourceVersion sets a constraint on what resource versions a request may be "
    "served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for "
    "details.\n\nDefaults to unset",
    "resourceVersionMatch": "resourceVersionMatch determines how resourceVersion is applied to list "
    "calls. It is highly recommended that resourceVersionMatch be set for list calls where "
    "resourceVersion is set See "
    "https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details."
    "\n\nDefaults to unset",
    "sendInitialEvents": "`sendInitialEvents=true` may be set together with `watch=true`. In that case, "
    "the watch stream will begin with synthetic events to produce the current state of objects in the "
    'collection. Once all such events have been sent, a synthetic "Bookmark" event  will be sent. The '
    "bookmark will report the ResourceVersion (RV) corresponding to the set of objects, and be marked "
    'with `"k8s.io/initial-events-end": "true"` annotation. Afterwards, the watch stream will proceed as '
    "usual, sending watch events corresponding to changes (subsequent to the RV) to objects watched.\n\n"
    "When `sendInitialEvents` option is set, we require `resourceVersionMatch` option to also be set. The "
    "semantic of the watch request is as following: - `resourceVersionMatch` = NotOlderThan\n  is "
    'interpreted as "data at least as new as the provided `resourceVersion`"\n  and the bookmark event '
    "is send when the state is synced\n  to a `resourceVersion` at least as fresh as the one provided by "
    'the ListOptions.\n  If `resourceVersion` is unset, this is interpreted as "consistent read" and the\n'
    "  bookmark event is send when the state is synced at least to the moment\n  when request started "
    "being processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is "
    'returned.\n\nDefaults to true if `resourceVersion=""` or `resourceVersion="0"` (for backward '
    "compatibility reasons) and to false otherwise.",
    "timeoutSeconds": "Timeout for the list/watch call. This limits the duration of the call, regardless "
    "of any activity or inactivity.",
    "watch": "Watch for changes to the described resources and return them as a stream of add, update, "
    "and remove notifications. Specify resourceVersion.",
}

_LOG_PARAMS: tuple[tuple[str, str, str], ...] = (
    (
        "container",
        "string",
        "The container for which to stream logs. Defaults to only container if there is one container "
        "in the pod.",
    ),
    ("follow", "boolean", "Follow the log stream of the pod. Defaults to false."),
    (
        "insecureSkipTLSVerifyBackend",
        "boolean",
        "insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the validity of the "
        "serving certificate of the backend it is connecting to.  This will make the HTTPS connection "
        "between the apiserver and the backend insecure. This means the apiserver cannot verify the log "
        "data it is receiving came from the real kubelet.  If the kubelet is configured to verify the "
        "apiserver's TLS credentials, it does not mean the connection to the real kubelet is vulnerable to "
        "a man in the middle attack (e.g. an attacker could not intercept the actual log data coming from "
        "the real kubelet).",
    ),
    (
        "limitBytes",
        "integer",
        "If set, the number of bytes to read from the server before terminating the log output. This may "
        "not display a complete final line of logging, and may return slightly more or slightly less than "
        "the specified limit.",
    ),
    ("previous", "boolean", "Return previous terminated container logs. Defaults to false."),
    (
        "sinceSeconds",
        "integer",
        "A relative time in seconds before the current time from which to show logs. If this value "
        "precedes the time a pod was started, only logs since the pod start will be returned. If this "
        "value is in the future, no logs will be returned. Only one of sinceSeconds or sinceTime may be "
        "specified.",
    ),
    (
        "stream",
        "string",
        'Specify which container log stream to return to the client. Acceptable values are "All", '
        '"Stdout" and "Stderr". If not specified, "All" is used, and both stdout and stderr are returned '
        'interleaved. Note that when "TailLines" is specified, "Stream" can only be set to nil or "All".',
    ),
    (
        "tailLines",
        "integer",
        "If set, the number of lines from the end of the logs to show. If not specified, logs are shown "
        "from the creation of the container or sinceSeconds or sinceTime",
    ),
    (
        "timestamps",
        "boolean",
        "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. "
        "Defaults to false.",
    ),
)

_EXEC_PARAMS: tuple[tuple[str, str, str], ...] = (
    (
        "command",
        "string",
        "Command is the remote command to execute. argv array. Not executed within a shell.",
    ),
    (
        "container",
        "string",
        "Container in which to execute the command. Defaults to only container if there is only one "
        "container in the pod.",
    ),
    ("stderr", "boolean", "Redirect the standard error stream of the pod for this call."),
    ("stdin", "boolean", "Redirect the standard input stream of the pod for this call. Defaults to false."),
    ("stdout", "boolean", "Redirect the standard output stream of the pod for this call."),
    (
        "tty",
        "boolean",
        "TTY if true indicates that a tty will be allocated for the exec call. Defaults to false.",
    ),
)

_ATTACH_PARAMS: tuple[tuple[str, str, str], ...] = (
    (
        "container",
        "string",
        "The container in which to execute the command. Defaults to only container if there is only one "
        "container in the pod.",
    ),
    (
        "stderr",
        "boolean",
        "Stderr if true indicates that stderr is to be redirected for the attach call. Defaults to true.",
    ),
    (
        "stdin",
        "boolean",
        "Stdin if true, redirects the standard input stream of the pod for this call. Defaults to false.",
    ),
    (
        "stdout",
        "boolean",
        "Stdout if true indicates that stdout is to be redirected for the attach call. Defaults to true.",
    ),
    (
        "tty",
        "boolean",
        "TTY if true indicates that a tty will be allocated for the attach call. This is passed through "
        "the container runtime so the tty is allocated on the worker node by the container runtime. "
        "Defaults to false.",
    ),
)

_PORTFORWARD_PARAMS: tuple[tuple[str, str, str], ...] = (
    ("ports", "integer", "List of ports to forward Required when using WebSockets"),
)

_LIST_PARAM_NAMES = (
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)
_BOOL_PARAMS = frozenset(
    {
        "allowWatchBookmarks",
        "force",
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        "orphanDependents",
        "sendInitialEvents",
        "watch",
    }
)
_INT_PARAMS = frozenset({"gracePeriodSeconds", "limit", "timeoutSeconds"})


# ---------------------------------------------------------------- neutral operation model


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    location: str  # "query" | "path"
    type: str
    description: str
    required: bool = False


@dataclass(slots=True)
class _Op:
    method: str
    operation_id: str
    description: str
    action: str
    tag: str
    gvk: dict[str, str] | None
    params: list[_Param] = field(default_factory=list)
    body: str | None = None  # definition name of the request body
    body_required: bool = False
    consumes: tuple[str, ...] = _ANY
    produces: tuple[str, ...] = _PRODUCES
    # (code, description, definition name | "string" | None)
    responses: list[tuple[str, str, str | None]] = field(default_factory=list)


@dataclass(slots=True)
class _Path:
    path: str
    params: list[_Param]
    ops: list[_Op]


def _q(name: str, description: str | None = None, type_: str | None = None) -> _Param:
    if type_ is None:
        type_ = "boolean" if name in _BOOL_PARAMS else "integer" if name in _INT_PARAMS else "string"
    return _Param(name, "query", type_, description if description is not None else _D[name])


def _path_param(name: str, description: str) -> _Param:
    return _Param(name, "path", "string", description, True)


_PRETTY = _q("pretty")
_NAMESPACE = _path_param("namespace", _D["namespace"])
_WRITE_PARAMS = [_q("dryRun"), _q("fieldManager"), _q("fieldValidation")]
_PATCH_PARAMS = [
    _q("dryRun"),
    _q("fieldManager", _D["fieldManagerPatch"]),
    _q("fieldValidation"),
    _q("force"),
]
_DELETE_PARAMS = [
    _q("dryRun"),
    _q("gracePeriodSeconds"),
    _q("ignoreStoreReadErrorWithClusterBreakingPotential"),
    _q("orphanDependents"),
    _q("propagationPolicy"),
]
_LIST_PARAMS = [_q(n) for n in _LIST_PARAM_NAMES]
_DELETECOLLECTION_PARAMS = sorted(
    [
        *_DELETE_PARAMS,
        *(_q(n) for n in _LIST_PARAM_NAMES if n not in ("allowWatchBookmarks", "watch")),
    ],
    key=lambda p: p.name,
)


def _camel(s: str) -> str:
    return s[:1].upper() + s[1:]


def group_friendly_name(group: str) -> str:
    """``rbac.authorization.k8s.io`` -> ``rbacAuthorization`` (core -> ``core``), as upstream tags."""
    if not group:
        return "core"
    g = group.removesuffix(".k8s.io")
    parts = [p for p in g.replace("-", ".").split(".") if p]
    return parts[0] + "".join(_camel(p) for p in parts[1:])


def _gv_prefix(group: str, version: str) -> str:
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


# ---------------------------------------------------------------- definition conversion

_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONES = ("additionalProperties", "items", "not", "additionalItems")


def _convert_node(node: Schema, ref_prefix: str, v3: bool) -> Schema:
    out: Schema = {}
    for k, v in node.items():
        if k == "type":
            if isinstance(v, list):
                types = [t for t in v if t != "null"]
                if types:
                    out["type"] = types[0]
            else:
                out["type"] = v
        elif k == "$ref" and isinstance(v, str):
            name = schema.ref_target(node)
            out["$ref"] = ref_prefix + name if name is not None else v
        elif k in _SCHEMA_MAPS and isinstance(v, dict):
            out[k] = {
                pk: _convert_node(pv, ref_prefix, v3) if isinstance(pv, dict) else pv for pk, pv in v.items()
            }
        elif k in _SCHEMA_LISTS and isinstance(v, list):
            out[k] = [_convert_node(x, ref_prefix, v3) if isinstance(x, dict) else x for x in v]
        elif k in _SCHEMA_ONES and isinstance(v, dict):
            out[k] = _convert_node(v, ref_prefix, v3)
        elif k == "items" and isinstance(v, list):
            out[k] = [_convert_node(x, ref_prefix, v3) if isinstance(x, dict) else x for x in v]
        else:
            out[k] = v
    if v3 and "$ref" in out and len(out) > 1:
        # OpenAPI 3.0 ignores siblings of $ref: upstream wraps the reference in allOf
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def convert_definition(name: str, node: Schema, *, v3: bool) -> Schema:
    """One stored definition converted to OpenAPI v2 (``v3=False``) or v3 form."""
    if name == INT_OR_STRING:
        if v3:
            return {
                "description": _INT_OR_STRING_DESCRIPTION,
                "format": "int-or-string",
                "oneOf": [{"type": "integer"}, {"type": "string"}],
            }
        return {"description": _INT_OR_STRING_DESCRIPTION, "format": "int-or-string", "type": "string"}
    if name == QUANTITY:
        if v3:
            return {"description": _QUANTITY_DESCRIPTION, "oneOf": [{"type": "string"}, {"type": "number"}]}
        return {"description": _QUANTITY_DESCRIPTION, "type": "string"}
    props = node.get("properties")
    if isinstance(props, dict) and any(
        isinstance(props.get(p), dict) and "enum" in props[p] for p in ("apiVersion", "kind")
    ):
        # the stored data pins apiVersion/kind with an enum; upstream documents do not
        node = dict(node)
        node["properties"] = {
            k: ({kk: vv for kk, vv in v.items() if kk != "enum"} if k in ("apiVersion", "kind") else v)
            for k, v in props.items()
        }
    out = _convert_node(node, V3_REF if v3 else V2_REF, v3)
    if v3 and out.get("x-kubernetes-group-version-kind"):
        _add_v3_defaults(out)
    return out


def _add_v3_defaults(out: Schema) -> None:
    """``default: {}`` where upstream marks non-pointer struct fields of top-level kinds:
    metadata/spec/status of objects and the items of lists."""
    props = out.get("properties")
    if not isinstance(props, dict):
        return
    for key in ("metadata", "spec", "status"):
        p = props.get(key)
        if isinstance(p, dict) and ("allOf" in p or "$ref" in p):
            if "$ref" in p:
                props[key] = p = {
                    "allOf": [{"$ref": p["$ref"]}],
                    **{k: v for k, v in p.items() if k != "$ref"},
                }
            p.setdefault("default", {})
    items = props.get("items")
    if isinstance(items, dict) and items.get("type") == "array":
        inner = items.get("items")
        if isinstance(inner, dict) and "$ref" in inner:
            items["items"] = {"allOf": [{"$ref": inner["$ref"]}], "default": {}}


# ---------------------------------------------------------------- the service


def _dumps(doc: Mapping[str, Any]) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def _hash(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest().upper()


@dataclass(frozen=True, slots=True)
class Document:
    """A built document: its bytes (JSON, sorted keys) and hash (uppercase hex sha512)."""

    data: bytes
    hash: str

    @property
    def etag(self) -> str:
        return f'"{self.hash}"'


class OpenAPIService:
    """Builds and caches the OpenAPI documents for one set of resources (+ extra definitions)."""

    def __init__(
        self,
        resources: Iterable[ResourceInfo],
        extra_definitions: Mapping[str, Schema] | None = None,
        server_version: str = SERVER_VERSION,
    ) -> None:
        self.resources: tuple[ResourceInfo, ...] = tuple(resources)
        self.server_version = server_version
        self._extra: dict[str, Schema] = dict(extra_definitions or {})
        self._defs: Mapping[str, Schema] = (
            {**schema.definitions(), **self._extra} if self._extra else schema.definitions()
        )
        self._extra_index = schema.gvk_index_of(self._extra)
        self._lock = threading.RLock()
        self._v2_defs: dict[str, Schema] = {}
        self._v3_defs: dict[str, Schema] = {}
        self._paths: dict[str, list[_Path]] | None = None  # by v3 key ("api/v1", "apis/apps/v1"...)
        self._v2: Schema | None = None
        self._v2_doc: Document | None = None
        self._v3: dict[str, Schema] = {}
        self._v3_docs: dict[str, Document] = {}
        self._v3_index: Schema | None = None
        self._v3_index_doc: Document | None = None

    # ------------------------------------------------------------ definitions

    def definition_name(self, group: str, version: str, kind: str) -> str | None:
        name = self._extra_index.get((group, version, kind))
        return name if name is not None else schema.definition_name(group, version, kind)

    def _is_custom(self, info: ResourceInfo) -> bool:
        return (info.group, info.version, info.kind) in self._extra_index

    def _v2_def(self, name: str) -> Schema:
        d = self._v2_defs.get(name)
        if d is None:
            d = self._v2_defs[name] = convert_definition(name, self._defs[name], v3=False)
        return d

    def _v3_def(self, name: str) -> Schema:
        d = self._v3_defs.get(name)
        if d is None:
            d = self._v3_defs[name] = convert_definition(name, self._defs[name], v3=True)
        return d

    # ------------------------------------------------------------ paths

    def _all_paths(self) -> dict[str, list[_Path]]:
        if self._paths is None:
            by_gv: dict[str, list[_Path]] = {}
            groups: dict[str, list[str]] = {}
            for info in self.resources:
                key = _gv_prefix(info.group, info.version).lstrip("/")
                if key not in by_gv:
                    by_gv[key] = [self._gv_discovery_path(info.group, info.version)]
                    if info.group:
                        groups.setdefault(info.group, [])
                by_gv[key].extend(self._resource_paths(info))
            for group in groups:
                by_gv[f"apis/{group}"] = [self._group_path(group)]
            by_gv["api"] = [
                _simple_path(
                    "/api/", "getCoreAPIVersions", "get available API versions", API_VERSIONS, "core"
                )
            ]
            by_gv["apis"] = [
                _simple_path("/apis/", "getAPIVersions", "get available API versions", API_GROUP_LIST, "apis")
            ]
            by_gv["version"] = [
                _simple_path(
                    "/version/",
                    "getCodeVersion",
                    "get the version information for this server",
                    VERSION_INFO,
                    "version",
                    produces=(_JSON,),
                )
            ]
            for paths in by_gv.values():
                paths.sort(key=lambda p: p.path)
            self._paths = dict(sorted(by_gv.items()))
        return self._paths

    def _gv_discovery_path(self, group: str, version: str) -> _Path:
        friendly = group_friendly_name(group)
        op_id = f"get{_camel(friendly)}{_camel(version)}APIResources"
        return _simple_path(
            _gv_prefix(group, version) + "/",
            op_id,
            "get available resources",
            API_RESOURCE_LIST,
            f"{friendly}_{version}",
        )

    def _group_path(self, group: str) -> _Path:
        friendly = group_friendly_name(group)
        return _simple_path(
            f"/apis/{group}/",
            f"get{_camel(friendly)}APIGroup",
            "get information of a group",
            API_GROUP,
            friendly,
        )

    def _resource_paths(self, info: ResourceInfo) -> list[_Path]:
        kind_def = self.definition_name(info.group, info.version, info.kind)
        if kind_def is None:
            return []
        list_def = self.definition_name(info.group, info.version, info.list_kind)
        friendly = group_friendly_name(info.group)
        gv_id = _camel(friendly) + _camel(info.version)
        tag = f"{friendly}_{info.version}"
        gvk = {"group": info.group, "kind": info.kind, "version": info.version}
        prefix = _gv_prefix(info.group, info.version)
        ns = "Namespaced" if info.namespaced else ""
        kind = info.kind
        verbs = set(info.verbs)
        patch_types = _PATCH_TYPES_NO_SMP if self._is_custom(info) else _PATCH_TYPES
        if info.namespaced:
            collection = f"{prefix}/namespaces/{{namespace}}/{info.resource}"
            watch_collection = f"{prefix}/watch/namespaces/{{namespace}}/{info.resource}"
            scope_params = [_NAMESPACE, _PRETTY]
        else:
            collection = f"{prefix}/{info.resource}"
            watch_collection = f"{prefix}/watch/{info.resource}"
            scope_params = [_PRETTY]
        item = collection + "/{name}"
        name_param = _path_param("name", f"name of the {kind}")
        item_params = [name_param, *scope_params]
        paths: list[_Path] = []

        def op(method: str, verb: str, action: str, description: str, suffix: str = "", **kw: Any) -> _Op:
            collection_word = "Collection" if verb == "deleteCollection" else ""
            verb_word = "delete" if verb == "deleteCollection" else verb
            return _Op(
                method=method,
                operation_id=f"{verb_word}{gv_id}{collection_word}{ns}{kind}{suffix}",
                description=description,
                action=action,
                tag=tag,
                gvk=kw.pop("gvk", gvk),
                **kw,
            )

        def ok(d: str | None) -> list[tuple[str, str, str | None]]:
            return [("200", "OK", d), ("401", "Unauthorized", None)]

        def created(d: str) -> list[tuple[str, str, str | None]]:
            return [
                ("200", "OK", d),
                ("201", "Created", d),
                ("202", "Accepted", d),
                ("401", "Unauthorized", None),
            ]

        # collection
        ops: list[_Op] = []
        if "deletecollection" in verbs:
            ops.append(
                op(
                    "delete",
                    "deleteCollection",
                    "deletecollection",
                    f"delete collection of {kind}",
                    params=list(_DELETECOLLECTION_PARAMS),
                    body=DELETE_OPTIONS,
                    responses=ok(STATUS),
                )
            )
        if "list" in verbs and list_def is not None:
            ops.append(
                op(
                    "get",
                    "list",
                    "list",
                    f"list or watch objects of kind {kind}",
                    params=list(_LIST_PARAMS),
                    produces=_PRODUCES_LIST,
                    responses=ok(list_def),
                )
            )
        if "create" in verbs:
            ops.append(
                op(
                    "post",
                    "create",
                    "post",
                    f"create {_article(kind)} {kind}",
                    params=list(_WRITE_PARAMS),
                    body=kind_def,
                    body_required=True,
                    responses=created(kind_def),
                )
            )
        if ops:
            paths.append(_Path(collection, list(scope_params), ops))

        # item
        ops = []
        if "delete" in verbs:
            ops.append(
                op(
                    "delete",
                    "delete",
                    "delete",
                    f"delete {_article(kind)} {kind}",
                    params=list(_DELETE_PARAMS),
                    body=DELETE_OPTIONS,
                    responses=[
                        ("200", "OK", STATUS),
                        ("202", "Accepted", STATUS),
                        ("401", "Unauthorized", None),
                    ],
                )
            )
        if "get" in verbs:
            ops.append(op("get", "read", "get", f"read the specified {kind}", responses=ok(kind_def)))
        if "patch" in verbs:
            ops.append(
                op(
                    "patch",
                    "patch",
                    "patch",
                    f"partially update the specified {kind}",
                    params=list(_PATCH_PARAMS),
                    body=PATCH,
                    body_required=True,
                    consumes=patch_types,
                    responses=[
                        ("200", "OK", kind_def),
                        ("201", "Created", kind_def),
                        ("401", "Unauthorized", None),
                    ],
                )
            )
        if "update" in verbs:
            ops.append(
                op(
                    "put",
                    "replace",
                    "put",
                    f"replace the specified {kind}",
                    params=list(_WRITE_PARAMS),
                    body=kind_def,
                    body_required=True,
                    responses=[
                        ("200", "OK", kind_def),
                        ("201", "Created", kind_def),
                        ("401", "Unauthorized", None),
                    ],
                )
            )
        if ops:
            paths.append(_Path(item, list(item_params), ops))

        # all namespaces list + deprecated watch paths
        if "watch" in verbs and "list" in verbs:
            list_watch_params = [*_LIST_PARAMS[:-1], _PRETTY, _LIST_PARAMS[-1]]
            list_watch_params.sort(key=lambda p: p.name)
            if info.namespaced and list_def is not None:
                paths.append(
                    _Path(
                        f"{prefix}/{info.resource}",
                        list_watch_params,
                        [
                            op(
                                "get",
                                "list",
                                "list",
                                f"list or watch objects of kind {kind}",
                                produces=_PRODUCES_LIST,
                                responses=ok(list_def),
                            )
                        ],
                    )
                )
                paths[-1].ops[0].operation_id = f"list{gv_id}{kind}ForAllNamespaces"
                paths.append(
                    _Path(
                        f"{prefix}/watch/{info.resource}",
                        list_watch_params,
                        [
                            _Op(
                                "get",
                                f"watch{gv_id}{kind}ListForAllNamespaces",
                                f"watch individual changes to a list of {kind}. deprecated: use the 'watch' "
                                "parameter with a list operation instead.",
                                "watchlist",
                                tag,
                                gvk,
                                produces=_PRODUCES_LIST,
                                responses=ok(WATCH_EVENT),
                            )
                        ],
                    )
                )
            scope_watch = [_NAMESPACE] if info.namespaced else []
            paths.append(
                _Path(
                    watch_collection,
                    sorted([*list_watch_params, *scope_watch], key=lambda p: p.name),
                    [
                        _Op(
                            "get",
                            f"watch{gv_id}{ns}{kind}List",
                            f"watch individual changes to a list of {kind}. deprecated: use the 'watch' "
                            "parameter with a list operation instead.",
                            "watchlist",
                            tag,
                            gvk,
                            produces=_PRODUCES_LIST,
                            responses=ok(WATCH_EVENT),
                        )
                    ],
                )
            )
            paths.append(
                _Path(
                    watch_collection + "/{name}",
                    sorted([*list_watch_params, *scope_watch, name_param], key=lambda p: p.name),
                    [
                        _Op(
                            "get",
                            f"watch{gv_id}{ns}{kind}",
                            f"watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter "
                            "with a list operation instead, filtered to a single item with the 'fieldSelector' "
                            "parameter.",
                            "watch",
                            tag,
                            gvk,
                            produces=_PRODUCES_LIST,
                            responses=ok(WATCH_EVENT),
                        )
                    ],
                )
            )

        # subresources
        for sub_name, _ in info.subresources:
            sub = subresource_info(info, sub_name)
            if sub is None:
                continue
            suffix = _camel(sub_name)
            sub_path = f"{item}/{sub_name}"
            sub_group = sub.group if sub.group is not None else info.group
            sub_version = sub.version if sub.version is not None else info.version
            sub_gvk = {"group": sub_group, "kind": sub.kind, "version": sub_version}
            sub_params = [_path_param("name", f"name of the {sub.kind}"), *scope_params]
            if sub_name in ("log",):
                paths.append(
                    _Path(
                        sub_path,
                        sorted(
                            [*sub_params, *(_q(n, d, t) for n, t, d in _LOG_PARAMS)], key=lambda p: p.name
                        ),
                        [
                            op(
                                "get",
                                "read",
                                "get",
                                f"read log of the specified {kind}",
                                suffix=suffix,
                                consumes=_ANY,
                                produces=_PRODUCES_LOG,
                                responses=ok("string"),
                            )
                        ],
                    )
                )
                continue
            if sub_name in ("exec", "attach", "portforward", "proxy"):
                table = {"exec": _EXEC_PARAMS, "attach": _ATTACH_PARAMS, "portforward": _PORTFORWARD_PARAMS}
                what = {"Pod": "pod", "Service": "service", "Node": "node"}.get(kind, kind.lower())
                conn_params: list[_Param] = [_path_param("name", f"name of the {sub.kind}")]
                methods: tuple[str, ...]
                if info.namespaced:
                    conn_params.append(_NAMESPACE)
                if sub_name == "proxy":
                    conn_params.append(
                        _q("path", f"Path is the URL path to use for the current proxy request to {what}.")
                    )
                    methods = ("delete", "get", "patch", "post", "put")
                else:
                    conn_params.extend(_q(n, d, t) for n, t, d in table[sub_name])
                    methods = ("get", "post")
                conn_params.sort(key=lambda p: p.name)

                conn_gvk = {"group": info.group, "kind": sub.kind, "version": info.version}
                conn_id = f"{gv_id}{{}}{ns}{kind}{suffix}{{}}"
                conn_desc = f"connect {{}} requests to {sub_name} of {kind}"

                def connect_ops(
                    methods: Sequence[str],
                    with_path: str,
                    conn_id: str,
                    conn_desc: str,
                    conn_gvk: dict[str, str],
                ) -> list[_Op]:
                    return [
                        _Op(
                            m,
                            "connect" + conn_id.format(_camel(m), with_path),
                            conn_desc.format(m.upper()),
                            "connect",
                            tag,
                            conn_gvk,
                            consumes=_ANY,
                            produces=_ANY,
                            responses=ok("string"),
                        )
                        for m in methods
                    ]

                paths.append(
                    _Path(sub_path, conn_params, connect_ops(methods, "", conn_id, conn_desc, conn_gvk))
                )
                if sub_name == "proxy":
                    with_path_params = [p for p in conn_params if p.name != "path"]
                    with_path_params.append(_path_param("path", "path to the resource"))
                    with_path_params.sort(key=lambda p: p.name)
                    paths.append(
                        _Path(
                            sub_path + "/{path}",
                            with_path_params,
                            connect_ops(methods, "WithPath", conn_id, conn_desc, conn_gvk),
                        )
                    )
                continue
            body_def = self.definition_name(sub_group, sub_version, sub.kind)
            if body_def is None:
                continue
            sub_ops: list[_Op] = []
            if "get" in sub.verbs:
                sub_ops.append(
                    op(
                        "get",
                        "read",
                        "get",
                        f"read {sub_name} of the specified {kind}",
                        suffix=suffix,
                        gvk=sub_gvk,
                        responses=ok(body_def),
                    )
                )
            if "patch" in sub.verbs:
                sub_ops.append(
                    op(
                        "patch",
                        "patch",
                        "patch",
                        f"partially update {sub_name} of the specified {kind}",
                        suffix=suffix,
                        gvk=sub_gvk,
                        params=list(_PATCH_PARAMS),
                        body=PATCH,
                        body_required=True,
                        consumes=patch_types,
                        responses=[
                            ("200", "OK", body_def),
                            ("201", "Created", body_def),
                            ("401", "Unauthorized", None),
                        ],
                    )
                )
            if "create" in sub.verbs:
                sub_ops.append(
                    op(
                        "post",
                        "create",
                        "post",
                        f"create {sub_name} of {_article(kind)} {kind}",
                        suffix=suffix,
                        gvk=sub_gvk,
                        params=list(_WRITE_PARAMS),
                        body=body_def,
                        body_required=True,
                        responses=created(body_def),
                    )
                )
            if "update" in sub.verbs:
                sub_ops.append(
                    op(
                        "put",
                        "replace",
                        "put",
                        f"replace {sub_name} of the specified {kind}",
                        suffix=suffix,
                        gvk=sub_gvk,
                        params=list(_WRITE_PARAMS),
                        body=body_def,
                        body_required=True,
                        responses=[
                            ("200", "OK", body_def),
                            ("201", "Created", body_def),
                            ("401", "Unauthorized", None),
                        ],
                    )
                )
            if sub_ops:
                paths.append(_Path(sub_path, sub_params, sub_ops))
        return paths

    # ------------------------------------------------------------ v2

    def v2(self) -> Schema:
        """The Swagger 2.0 document served at ``/openapi/v2``."""
        with self._lock:
            if self._v2 is None:
                paths: dict[str, Any] = {}
                for gv_paths in self._all_paths().values():
                    for p in gv_paths:
                        paths[p.path] = _render_path_v2(p)
                used = schema.definition_closure(schema.referenced_definitions(paths), self._defs)
                self._v2 = {
                    "swagger": "2.0",
                    "info": {"title": "Kubernetes", "version": self.server_version},
                    "paths": dict(sorted(paths.items())),
                    "definitions": {name: self._v2_def(name) for name in sorted(used)},
                    "securityDefinitions": {
                        "BearerToken": {
                            "description": "Bearer Token authentication",
                            "in": "header",
                            "name": "authorization",
                            "type": "apiKey",
                        }
                    },
                    "security": [{"BearerToken": []}],
                }
            return self._v2

    def v2_document(self) -> Document:
        with self._lock:
            if self._v2_doc is None:
                data = _dumps(self.v2())
                self._v2_doc = Document(data, _hash(data))
            return self._v2_doc

    # ------------------------------------------------------------ v3

    def v3_paths(self) -> list[str]:
        """The keys of the v3 index: ``api``, ``api/v1``, ``apis``, ``apis/apps``, ``apis/apps/v1``..."""
        with self._lock:
            return list(self._all_paths())

    def v3(self, key: str) -> Schema | None:
        """The OpenAPI 3.0 document for ``key`` (e.g. ``api/v1``, ``apis/apps/v1``), or None."""
        key = key.strip("/")
        with self._lock:
            doc = self._v3.get(key)
            if doc is None:
                gv_paths = self._all_paths().get(key)
                if gv_paths is None:
                    return None
                paths = {p.path: _render_path_v3(p) for p in gv_paths}
                used = schema.definition_closure(schema.referenced_definitions(paths), self._defs)
                doc = self._v3[key] = {
                    "openapi": "3.0.0",
                    "info": {"title": "Kubernetes", "version": self.server_version},
                    "paths": paths,
                    "components": {
                        "schemas": {name: self._v3_def(name) for name in sorted(used)},
                        "securitySchemes": {
                            "BearerToken": {
                                "description": "Bearer Token authentication",
                                "in": "header",
                                "name": "authorization",
                                "type": "apiKey",
                            }
                        },
                    },
                    "security": [{"BearerToken": []}],
                }
            return doc

    def v3_document(self, key: str) -> Document | None:
        key = key.strip("/")
        with self._lock:
            d = self._v3_docs.get(key)
            if d is None:
                doc = self.v3(key)
                if doc is None:
                    return None
                data = _dumps(doc)
                d = self._v3_docs[key] = Document(data, _hash(data))
            return d

    def v3_index(self) -> Schema:
        """The ``/openapi/v3`` discovery document: one ``serverRelativeURL`` (with hash) per path."""
        with self._lock:
            if self._v3_index is None:
                out: dict[str, Any] = {}
                for key in self._all_paths():
                    d = self.v3_document(key)
                    assert d is not None
                    out[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={d.hash}"}
                self._v3_index = {"paths": out}
            return self._v3_index

    def v3_index_document(self) -> Document:
        with self._lock:
            if self._v3_index_doc is None:
                data = _dumps(self.v3_index())
                self._v3_index_doc = Document(data, _hash(data))
            return self._v3_index_doc


def _article(kind: str) -> str:
    """upstream writes "create a Pod", "create an Ingress"."""
    return "an" if kind[:1] in "AEIOU" else "a"


def _simple_path(
    path: str,
    operation_id: str,
    description: str,
    response: str,
    tag: str,
    produces: tuple[str, ...] = _PRODUCES,
) -> _Path:
    return _Path(
        path,
        [],
        [
            _Op(
                "get",
                operation_id,
                description,
                "",
                tag,
                None,
                consumes=produces,
                produces=produces,
                responses=[("200", "OK", response), ("401", "Unauthorized", None)],
            )
        ],
    )


# ---------------------------------------------------------------- rendering


def _render_param_v2(p: _Param) -> Schema:
    out: Schema = {
        "description": p.description,
        "in": p.location,
        "name": p.name,
        "type": p.type,
        "uniqueItems": True,
    }
    if p.required:
        out["required"] = True
    return out


def _render_param_v3(p: _Param) -> Schema:
    out: Schema = {
        "description": p.description,
        "in": p.location,
        "name": p.name,
        "schema": {"type": p.type, "uniqueItems": True},
    }
    if p.required:
        out["required"] = True
    return out


def _response_schema(d: str | None, prefix: str) -> Schema | None:
    if d is None:
        return None
    if d == "string":
        return {"type": "string"}
    return {"$ref": prefix + d}


def _render_op_v2(op: _Op) -> Schema:
    params = [_render_param_v2(p) for p in op.params]
    if op.body is not None:
        body: Schema = {"in": "body", "name": "body", "schema": {"$ref": V2_REF + op.body}}
        if op.body_required:
            body["required"] = True
        params.insert(0, body)
    responses: dict[str, Any] = {}
    for code, desc, d in op.responses:
        r: Schema = {"description": desc}
        s = _response_schema(d, V2_REF)
        if s is not None:
            r["schema"] = s
        responses[code] = r
    out: Schema = {
        "consumes": list(op.consumes),
        "description": op.description,
        "operationId": op.operation_id,
        "produces": list(op.produces),
        "responses": responses,
        "schemes": ["https"],
        "tags": [op.tag],
    }
    if params:
        out["parameters"] = params
    if op.action:
        out["x-kubernetes-action"] = op.action
    if op.gvk is not None:
        out["x-kubernetes-group-version-kind"] = op.gvk
    return out


def _render_path_v2(p: _Path) -> Schema:
    out: Schema = {op.method: _render_op_v2(op) for op in p.ops}
    if p.params:
        out["parameters"] = [_render_param_v2(x) for x in p.params]
    return out


def _render_op_v3(op: _Op) -> Schema:
    out: Schema = {"description": op.description, "operationId": op.operation_id}
    if op.params:
        out["parameters"] = [_render_param_v3(p) for p in op.params]
    if op.body is not None:
        ref = {"$ref": V3_REF + op.body}
        rb: Schema = {"content": {ct: {"schema": ref} for ct in op.consumes}}
        if op.body_required:
            rb["required"] = True
        out["requestBody"] = rb
    responses: dict[str, Any] = {}
    for code, desc, d in op.responses:
        r: Schema = {"description": desc}
        s = _response_schema(d, V3_REF)
        if s is not None:
            r["content"] = {ct: {"schema": s} for ct in op.produces}
        responses[code] = r
    out["responses"] = responses
    out["tags"] = [op.tag]
    if op.action:
        out["x-kubernetes-action"] = op.action
    if op.gvk is not None:
        out["x-kubernetes-group-version-kind"] = op.gvk
    return out


def _render_path_v3(p: _Path) -> Schema:
    out: Schema = {op.method: _render_op_v3(op) for op in p.ops}
    if p.params:
        out["parameters"] = [_render_param_v3(x) for x in p.params]
    return out


# ---------------------------------------------------------------- module-level API

_SERVICES: dict[tuple[tuple[ResourceInfo, ...], str], OpenAPIService] = {}
_SERVICES_LOCK = threading.Lock()
_MAX_SERVICES = 8


def _extra_key(extra: Mapping[str, Schema] | None) -> str:
    if not extra:
        return ""
    return hashlib.sha256(_dumps(dict(extra))).hexdigest()


def service(
    resources: Iterable[ResourceInfo] | None = None, extra_definitions: Mapping[str, Schema] | None = None
) -> OpenAPIService:
    """The (memoised) service for ``resources`` (default: the built-in table) + extra definitions."""
    if resources is None:
        from kybernetes.api.resources import all_resources

        resources = all_resources()
    res = tuple(resources)
    key = (res, _extra_key(extra_definitions))
    with _SERVICES_LOCK:
        svc = _SERVICES.get(key)
        if svc is None:
            if len(_SERVICES) >= _MAX_SERVICES:
                _SERVICES.pop(next(iter(_SERVICES)))
            svc = _SERVICES[key] = OpenAPIService(res, extra_definitions)
        return svc


def build_v2(
    resources: Iterable[ResourceInfo] | None = None, extra_definitions: Mapping[str, Schema] | None = None
) -> Schema:
    """The ``/openapi/v2`` Swagger document (cached; treat as read-only)."""
    return service(resources, extra_definitions).v2()


def build_v3_index(
    resources: Iterable[ResourceInfo] | None = None, extra_definitions: Mapping[str, Schema] | None = None
) -> Schema:
    """The ``/openapi/v3`` index (cached; treat as read-only)."""
    return service(resources, extra_definitions).v3_index()


def build_v3(
    group_version: str,
    resources: Iterable[ResourceInfo] | None = None,
    extra_definitions: Mapping[str, Schema] | None = None,
) -> Schema | None:
    """The OpenAPI v3 document of one group-version (``v1``, ``apps/v1``) or index key
    (``api/v1``, ``apis/apps/v1``, ``apis/apps``, ``api``, ``apis``, ``version``)."""
    key = group_version.strip("/")
    if not key.startswith(("api/", "apis/")) and key not in ("api", "apis", "version"):
        key = f"apis/{key}" if "/" in key else f"api/{key}"
    return service(resources, extra_definitions).v3(key)
