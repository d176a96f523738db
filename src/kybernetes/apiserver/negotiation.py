"""Content negotiation: decoding request bodies and choosing the response representation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from kybernetes.api import errors

MAX_BODY_BYTES = 3 * 1024 * 1024

try:  # the C loader when PyYAML was built with libyaml
    _YamlLoader: Any = yaml.CSafeLoader
    _YamlDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader
    _YamlDumper = yaml.SafeDumper

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
CREATE_MEDIA_TYPES = [JSON, YAML, PROTOBUF, "application/cbor"]
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply-cbor",
}


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode_body(raw: bytes, content_type: str | None) -> Any:
    """Decode a create/update body (JSON or YAML)."""
    mt = media_type(content_type)
    if mt in ("", JSON, "*/*"):
        return decode_json(raw)
    if mt in (YAML, "application/x-yaml", "text/yaml"):
        return decode_yaml(raw)
    if mt == PROTOBUF:
        return decode_protobuf(raw)
    raise errors.unsupported_media_type(CREATE_MEDIA_TYPES)


def decode_protobuf(raw: bytes) -> Any:
    """Kubernetes' protobuf envelope, as kubectl's typed clients send it, into the JSON form."""
    from kybernetes.api import protobuf

    try:
        return protobuf.decode(raw)
    except protobuf.ProtobufUnknownKindError:
        raise errors.unsupported_media_type([JSON, YAML]) from None
    except protobuf.ProtobufDecodeError as e:
        raise errors.bad_request(f"the object provided is unrecognized or malformed protobuf: {e}") from None


def decode_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise errors.bad_request(f"the object provided is unrecognized or malformed JSON: {e}") from None


def decode_yaml(raw: bytes) -> Any:
    try:
        docs = list(yaml.load_all(raw, Loader=_YamlLoader))
    except yaml.YAMLError as e:
        raise errors.bad_request(f"error converting YAML to JSON: {e}") from None
    if len(docs) != 1:
        raise errors.bad_request("the body must hold exactly one YAML document")
    # YAML may produce non-JSON values (dates, sets); round-trip through JSON semantics
    try:
        return orjson.loads(orjson.dumps(docs[0], default=str))
    except (TypeError, orjson.JSONEncodeError) as e:
        raise errors.bad_request(f"error converting YAML to JSON: {e}") from None


def to_yaml(obj: Any) -> bytes:
    out: bytes = yaml.dump(obj, Dumper=_YamlDumper, default_flow_style=False, sort_keys=False).encode()
    return out


@dataclass(frozen=True, slots=True)
class Representation:
    """How to render the response: plain JSON/YAML, a Table, or partial object metadata."""

    media: str = JSON  # JSON or YAML
    as_kind: str = ""  # "", "Table", "PartialObjectMetadata", "PartialObjectMetadataList", "APIGroupDiscoveryList"
    version: str = ""
    group: str = ""


def parse_accept(accept: str | None) -> list[tuple[str, dict[str, str]]]:
    out: list[tuple[str, dict[str, str]]] = []
    for part in (accept or "").split(","):
        part = part.strip()
        if not part:
            continue
        pieces = part.split(";")
        mt = pieces[0].strip().lower()
        params: dict[str, str] = {}
        for p in pieces[1:]:
            if "=" in p:
                k, v = p.split("=", 1)
                params[k.strip()] = v.strip()
        out.append((mt, params))
    return out


_NEGOTIATED: dict[str, Representation] = {}


def negotiate(accept: str | None, allow_table: bool = True) -> Representation:
    """Pick the response representation from an Accept header, as upstream's negotiation does."""
    if not accept:
        return Representation()
    if allow_table:
        hit = _NEGOTIATED.get(accept)
        if hit is not None:
            return hit
        rep = _negotiate(accept, True)
        if len(_NEGOTIATED) < 1024:
            _NEGOTIATED[accept] = rep
        return rep
    return _negotiate(accept, False)


def _negotiate(accept: str, allow_table: bool) -> Representation:
    for mt, params in parse_accept(accept):
        as_kind = params.get("as", "")
        if mt in (JSON, "*/*", "application/*", YAML):
            media = YAML if mt == YAML else JSON
            if not as_kind:
                return Representation(media)
            g, v = params.get("g", ""), params.get("v", "")
            if as_kind == "Table" and allow_table and g == "meta.k8s.io" and v in ("v1", "v1beta1"):
                return Representation(media, "Table", v, g)
            if as_kind in ("PartialObjectMetadata", "PartialObjectMetadataList") and g == "meta.k8s.io" and v in (
                "v1",
                "v1beta1",
            ):
                return Representation(media, as_kind, v, g)
            continue
    for mt, params in parse_accept(accept):
        if mt == PROTOBUF and not params.get("as"):
            continue
    raise errors.not_acceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf"
    )
