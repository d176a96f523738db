"""Build ``types.json``: the protobuf field table of the built-in Kubernetes kinds.

The table is derived from the Go type descriptors (reflection data) that a real ``kubectl`` binary
carries for every type it can serialize. Each Go struct field keeps its full struct tag there, e.g.
``json:"replicas,omitempty" protobuf:"varint,1,opt,name=replicas"``, together with the exact Go
field type (pointer, slice, map, named struct, embedded or not). That is everything the codec needs:
field numbers from the ``protobuf`` tag, JSON names and ``omitempty`` from the ``json`` tag, and
pointer-ness/collection kinds from the type. The data therefore matches the kubectl release that
the binary was built from (1.32 by default), and no upstream source is copied.

Run at development time::

    python -m kybernetes.api.protobuf.gen_table [--kubectl /path/to/kubectl-1.32] [--out types.json]

Only stdlib is used; the binary must be a statically linked, non-PIE ELF built by Go 1.20-1.23
(the runtime type layout used below; Go 1.24 changed the map type layout).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_KUBECTL_CANDIDATES = (
    "/usr/lib/google-cloud-sdk/bin/kubectl.1.32",
    "/usr/bin/kubectl",
)

# reflect.Kind values
K_BOOL, K_INT, K_INT8, K_INT16, K_INT32, K_INT64 = 1, 2, 3, 4, 5, 6
K_UINT, K_UINT8, K_UINT16, K_UINT32, K_UINT64 = 7, 8, 9, 10, 11
K_FLOAT32, K_FLOAT64 = 13, 14
K_ARRAY, K_CHAN, K_FUNC, K_INTERFACE, K_MAP, K_PTR, K_SLICE, K_STRING, K_STRUCT = (
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
)

# Offset of abi.UncommonType after the start of each kind's type descriptor (amd64, Go <= 1.23).
_UNCOMMON_OFFSET = {K_STRUCT: 80, K_PTR: 56, K_SLICE: 56, K_MAP: 88, K_ARRAY: 72, K_CHAN: 64, K_FUNC: 56}
_UNCOMMON_OFFSET[K_INTERFACE] = 80

TFLAG_UNCOMMON = 1
TFLAG_EXTRA_STAR = 2
TFLAG_NAMED = 4

API_PREFIX = "k8s.io/api/"
APIMACHINERY_PREFIX = "k8s.io/apimachinery/pkg/"

# Go types with custom JSON/protobuf marshalling: encoded by name in the table.
SPECIAL_TYPES = {
    "k8s.io/apimachinery/pkg/apis/meta/v1.Time": "@Time",
    "k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime": "@MicroTime",
    "k8s.io/apimachinery/pkg/apis/meta/v1.Duration": "@Duration",
    "k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1": "@FieldsV1",
    "k8s.io/apimachinery/pkg/api/resource.Quantity": "@Quantity",
    "k8s.io/apimachinery/pkg/util/intstr.IntOrString": "@IntOrString",
    "k8s.io/apimachinery/pkg/runtime.RawExtension": "@RawExtension",
}

# API group of each k8s.io/api/<dir> package.
GROUPS = {
    "admission": "admission.k8s.io",
    "admissionregistration": "admissionregistration.k8s.io",
    "apidiscovery": "apidiscovery.k8s.io",
    "apiserverinternal": "internal.apiserver.k8s.io",
    "apps": "apps",
    "authentication": "authentication.k8s.io",
    "authorization": "authorization.k8s.io",
    "autoscaling": "autoscaling",
    "batch": "batch",
    "certificates": "certificates.k8s.io",
    "coordination": "coordination.k8s.io",
    "core": "",
    "discovery": "discovery.k8s.io",
    "events": "events.k8s.io",
    "extensions": "extensions",
    "flowcontrol": "flowcontrol.apiserver.k8s.io",
    "imagepolicy": "imagepolicy.k8s.io",
    "networking": "networking.k8s.io",
    "node": "node.k8s.io",
    "policy": "policy",
    "rbac": "rbac.authorization.k8s.io",
    "resource": "resource.k8s.io",
    "scheduling": "scheduling.k8s.io",
    "storage": "storage.k8s.io",
    "storagemigration": "storagemigration.k8s.io",
}

SCALARS = {
    K_BOOL: "bool",
    K_INT32: "int32",
    K_INT64: "int64",
    K_INT: "int64",
    K_UINT32: "uint32",
    K_UINT64: "uint64",
    K_UINT: "uint64",
    K_FLOAT64: "float64",
    K_FLOAT32: "float32",
    K_STRING: "string",
}

# Field flags in the table.
F_OMITEMPTY = 1
F_POINTER = 2
F_INLINE = 4


@dataclass
class GoType:
    addr: int
    kind: int
    name: str
    named: bool
    pkg: str = ""
    elem: int = 0
    key: int = 0
    fields: list[tuple[str, str, bool, int]] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        """``pkgpath.Name`` for named types."""
        return f"{self.pkg}.{self.name.rsplit('.', 1)[-1]}"


class GoBinary:
    """Reads the runtime type descriptors of a Go ELF binary."""

    def __init__(self, path: str) -> None:
        self.data = Path(path).read_bytes()
        if self.data[:4] != b"\x7fELF" or self.data[4] != 2:
            raise ValueError(f"{path}: not a 64-bit ELF file")
        self.sections = self._sections()
        if ".typelink" not in self.sections or ".rodata" not in self.sections:
            raise ValueError(f"{path}: no Go type links (not a Go binary?)")
        self.types_base = self.sections[".rodata"][0]
        self.types: dict[int, GoType] = {}

    def _sections(self) -> dict[str, tuple[int, int, int]]:
        d = self.data
        shoff = struct.unpack_from("<Q", d, 0x28)[0]
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
        headers = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize) for i in range(shnum)]
        strtab = headers[shstrndx][4]
        out: dict[str, tuple[int, int, int]] = {}
        for h in headers:
            start = strtab + h[0]
            name = d[start : d.index(b"\0", start)].decode()
            out[name] = (h[3], h[4], h[5])
        return out

    def off(self, va: int) -> int:
        for addr, offset, size in self.sections.values():
            if addr and addr <= va < addr + size:
                return offset + (va - addr)
        raise ValueError(f"address {va:#x} is not in the file")

    def _uvarint(self, p: int) -> tuple[int, int]:
        n = shift = 0
        while True:
            b = self.data[p]
            p += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return n, p

    def read_name(self, va: int) -> tuple[int, str, str]:
        """An abi.Name: (flags, name, tag)."""
        p = self.off(va)
        flags = self.data[p]
        n, p = self._uvarint(p + 1)
        name = self.data[p : p + n].decode()
        p += n
        tag = ""
        if flags & 2:
            tn, p = self._uvarint(p)
            tag = self.data[p : p + tn].decode()
        return flags, name, tag

    def _q(self, va: int) -> int:
        return int(struct.unpack_from("<Q", self.data, self.off(va))[0])

    def load(self) -> dict[int, GoType]:
        _addr, offset, size = self.sections[".typelink"]
        roots = [
            self.types_base + struct.unpack_from("<i", self.data, offset + i)[0] for i in range(0, size, 4)
        ]
        todo = list(roots)
        while todo:
            t = todo.pop()
            if t == 0 or t in self.types:
                continue
            p = self.off(t)
            (_size, _ptr, _hash, tflag, _al, _fal, kind, _eq, _gc, stroff, _ptrto) = struct.unpack_from(
                "<QQIBBBBQQii", self.data, p
            )
            kind &= 0x1F
            name = self.read_name(self.types_base + stroff)[1]
            if tflag & TFLAG_EXTRA_STAR:
                name = name[1:]
            gt = GoType(addr=t, kind=kind, name=name, named=bool(tflag & TFLAG_NAMED))
            if tflag & TFLAG_UNCOMMON:
                pkgoff = struct.unpack_from("<i", self.data, p + _UNCOMMON_OFFSET.get(kind, 48))[0]
                if pkgoff:
                    gt.pkg = self.read_name(self.types_base + pkgoff)[1]
            self.types[t] = gt
            if kind in (K_PTR, K_SLICE, K_ARRAY, K_CHAN):
                gt.elem = self._q(t + 48)
                todo.append(gt.elem)
            elif kind == K_MAP:
                gt.key = self._q(t + 48)
                gt.elem = self._q(t + 56)
                todo += [gt.key, gt.elem]
            elif kind == K_STRUCT:
                fptr = self._q(t + 56)
                flen = self._q(t + 64)
                for i in range(flen):
                    name_ptr, typ, _offset = struct.unpack_from("<QQQ", self.data, self.off(fptr + 24 * i))
                    nflags, fname, tag = self.read_name(name_ptr)
                    gt.fields.append((fname, tag, bool(nflags & 8), typ))
                    todo.append(typ)
        return self.types


def parse_tag(tag: str) -> dict[str, str]:
    """Go's reflect.StructTag parsing (key:"value" pairs)."""
    out: dict[str, str] = {}
    i = 0
    n = len(tag)
    while i < n:
        while i < n and tag[i] == " ":
            i += 1
        j = i
        while j < n and tag[j] > " " and tag[j] != ":" and tag[j] != '"':
            j += 1
        if j == i or j + 1 >= n or tag[j] != ":" or tag[j + 1] != '"':
            break
        key = tag[i:j]
        k = j + 2
        while k < n and tag[k] != '"':
            if tag[k] == "\\":
                k += 1
            k += 1
        if k >= n:
            break
        out[key] = json.loads(tag[j + 1 : k + 1])
        i = k + 1
    return out


def short_name(qualified: str) -> str:
    if qualified.startswith(API_PREFIX):
        return qualified[len(API_PREFIX) :]
    if qualified.startswith(APIMACHINERY_PREFIX):
        return qualified[len(APIMACHINERY_PREFIX) :]
    return qualified


def _wanted_package(pkg: str) -> bool:
    return pkg.startswith(API_PREFIX) or pkg == "k8s.io/apimachinery/pkg/apis/meta/v1"


class TableBuilder:
    def __init__(self, types: dict[int, GoType]) -> None:
        self.types = types
        self.messages: dict[str, list[list[Any]]] = {}
        self.pending: list[GoType] = []

    def type_spec(self, t: GoType) -> Any:
        """A JSON-able description of a Go type as the codec sees it."""
        if t.named and t.pkg and t.qualified in SPECIAL_TYPES:
            return SPECIAL_TYPES[t.qualified]
        if t.kind == K_SLICE:
            elem = self.types[t.elem]
            if elem.kind == K_UINT8:
                return "bytes"
            spec = ["list", self.type_spec(elem)]
            if t.named and t.pkg:
                return ["wrap", self.type_spec(elem)]
            return spec
        if t.kind == K_MAP:
            return ["map", self.type_spec(self.types[t.key]), self.type_spec(self.types[t.elem])]
        if t.kind == K_STRUCT:
            if not (t.named and t.pkg):
                raise ValueError(f"anonymous struct type {t.name}")
            name = short_name(t.qualified)
            if name not in self.messages:
                self.messages[name] = []
                self.pending.append(t)
            return name
        if t.kind in SCALARS:
            return SCALARS[t.kind]
        raise ValueError(f"unsupported Go type {t.name} (kind {t.kind})")

    def build_message(self, t: GoType) -> None:
        fields: list[list[Any]] = []
        for fname, tag, embedded, typ in t.fields:
            tags = parse_tag(tag)
            pb = tags.get("protobuf")
            if not pb:
                continue  # not on the wire (e.g. the inline TypeMeta)
            parts = pb.split(",")
            number = int(parts[1])
            jtag = tags.get("json", "")
            jparts = jtag.split(",") if jtag else [""]
            jname = jparts[0]
            if jname == "-":
                continue
            omitempty = "omitempty" in jparts[1:]
            ft = self.types[typ]
            pointer = ft.kind == K_PTR
            if pointer:
                ft = self.types[ft.elem]
            inline = embedded and not jname and ft.kind == K_STRUCT
            if not jname and not inline:
                jname = fname
            flags = (
                (F_OMITEMPTY if omitempty else 0)
                | (F_POINTER if pointer else 0)
                | (F_INLINE if inline else 0)
            )
            fields.append([number, jname, flags, self.type_spec(ft)])
        self.messages[short_name(t.qualified)] = fields

    def run(self) -> dict[str, Any]:
        roots = [t for t in self.types.values() if t.kind == K_STRUCT and t.named and _wanted_package(t.pkg)]
        roots.sort(key=lambda t: t.qualified)
        kinds: dict[str, str] = {}
        for t in roots:
            self.type_spec(t)
            pkg = short_name(t.pkg)
            if t.pkg.startswith(API_PREFIX):
                group_dir, version = pkg.split("/", 1)
                group = GROUPS.get(group_dir)
                if group is None:
                    print(f"warning: unknown API group directory {group_dir}", file=sys.stderr)
                    continue
                kinds[f"{group}/{version}" if group else version] = pkg
        while self.pending:
            self.build_message(self.pending.pop())
        return {
            "source": "Go type descriptors of kubectl (k8s.io/api struct tags)",
            "apiVersions": dict(sorted(kinds.items())),
            "messages": dict(sorted(self.messages.items())),
        }


def build_table(kubectl: str) -> dict[str, Any]:
    types = GoBinary(kubectl).load()
    return TableBuilder(types).run()


def render_table(table: dict[str, Any]) -> str:
    """JSON with one message per line, so that diffs of a regenerated table stay readable."""

    def dump(v: Any) -> str:
        return json.dumps(v, separators=(",", ":"))

    lines = ["{", f'"source":{dump(table["source"])},', f'"apiVersions":{dump(table["apiVersions"])},']
    lines.append('"messages":{')
    items = list(table["messages"].items())
    for i, (name, fields) in enumerate(items):
        lines.append(f"{dump(name)}:{dump(fields)}{',' if i < len(items) - 1 else ''}")
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--kubectl", help="path of a Go-built kubectl binary (default: a 1.32 one on this machine)"
    )
    ap.add_argument("--out", default=str(Path(__file__).with_name("types.json")))
    args = ap.parse_args(argv)
    path = args.kubectl or next((p for p in DEFAULT_KUBECTL_CANDIDATES if os.path.exists(p)), None)
    if path is None:
        ap.error("no kubectl binary found; pass --kubectl")
    table = build_table(path)
    Path(args.out).write_text(render_table(table))
    print(f"{args.out}: {len(table['messages'])} messages, {len(table['apiVersions'])} API versions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
