"""Bad input never crashes the server or changes the store: random bodies and paths, no 5xx."""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.testing.cluster import KybCluster

SNAPSHOT_COLLECTIONS = [
    "/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/pods", "/api/v1/namespaces/default/services",
    "/api/v1/namespaces/default/secrets", "/api/v1/namespaces/default/serviceaccounts", "/api/v1/namespaces",
    "/api/v1/nodes", "/apis/apps/v1/namespaces/default/deployments", "/apis/batch/v1/namespaces/default/jobs",
]


RECONCILED = {
    ("/api/v1/namespaces/default/configmaps", "kube-root-ca.crt"),
    ("/api/v1/namespaces/default/serviceaccounts", "default"),
    ("/api/v1/namespaces/default/services", "kubernetes"),
}


class Raw:
    """A keep-alive HTTPS connection with the admin identity."""

    def __init__(self, c: KybCluster) -> None:
        kc = load_kubeconfig(c.kubeconfig)
        self.ctx: ssl.SSLContext = kc.ssl_context()
        self.host, port = c.server.removeprefix("https://").rsplit(":", 1)
        self.port = int(port)
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept": "application/json"}
        if ctype:
            headers["Content-Type"] = ctype
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = self._connect()
        raise AssertionError("unreachable")

    def revision(self) -> frozenset[tuple[str, str, str]]:
        """What the fuzzed paths can reach: every object's (collection, name, resourceVersion).

        Background writers (controllers renewing their Lease) change the global revision, so the
        snapshot names the objects themselves."""
        out: set[tuple[str, str, str]] = set()
        for coll in SNAPSHOT_COLLECTIONS:
            status, body = self.request("GET", coll)
            assert status == 200, body
            for item in json.loads(body)["items"]:
                if (coll, item["metadata"]["name"]) in RECONCILED:
                    continue  # controllers bring these back after an earlier (valid) delete
                out.add((coll, item["metadata"]["name"], item["metadata"]["resourceVersion"]))
        return frozenset(out)


@pytest.fixture(scope="module")
def raw(cluster: KybCluster) -> Iterator[Raw]:
    r = Raw(cluster)
    # let the controllers finish their start-up writes in `default` before comparing snapshots
    deadline = time.monotonic() + 30
    for path in ("/api/v1/namespaces/default/serviceaccounts/default", "/api/v1/namespaces/default/configmaps/kube-root-ca.crt"):
        while r.request("GET", path)[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    yield r
    r.conn.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)

KNOWN_KEYS = ["apiVersion", "kind", "metadata", "spec", "status", "data", "name", "namespace", "labels",
              "containers", "image", "replicas", "selector", "template", "ports", "port", "type", "items"]

object_like = st.fixed_dictionaries(
    {},
    optional={
        "apiVersion": st.sampled_from(["v1", "apps/v1", "batch/v1", "", "v2", "apps/v9"]) | st.text(max_size=8),
        "kind": st.sampled_from(["ConfigMap", "Pod", "Deployment", "Service", "Secret", "Namespace", "Job", ""])
        | st.text(max_size=8),
        "metadata": st.dictionaries(st.sampled_from([*KNOWN_KEYS, "generateName", "resourceVersion", "uid", "annotations", "finalizers"]), json_values, max_size=4)
        | json_values,
        "spec": st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values, max_size=5) | json_values,
        "data": json_values,
        "status": json_values,
    },
)

PATHS = [
    "/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/configmaps/{name}",
    "/api/v1/namespaces/default/pods", "/api/v1/namespaces/default/pods/{name}",
    "/api/v1/namespaces/default/pods/{name}/status", "/api/v1/namespaces/default/pods/{name}/binding",
    "/api/v1/namespaces/default/pods/{name}/eviction", "/api/v1/namespaces/default/services",
    "/api/v1/namespaces/default/services/{name}", "/api/v1/namespaces/{name}", "/api/v1/namespaces",
    "/apis/apps/v1/namespaces/default/deployments", "/apis/apps/v1/namespaces/default/deployments/{name}",
    "/apis/apps/v1/namespaces/default/deployments/{name}/scale", "/apis/batch/v1/namespaces/default/jobs",
    "/api/v1/nodes/{name}", "/api/v1/namespaces/default/secrets", "/api/v1/namespaces/default/serviceaccounts/{name}/token",
    "/apis/authentication.k8s.io/v1/selfsubjectreviews", "/apis/{name}/v1/things", "/api/v1/{name}",
    "/api/v1/namespaces/{name}/configmaps/{name}", "/apis/apps/v1/{name}", "/{name}",
]
CONTENT_TYPES = ["application/json", "application/yaml", "application/merge-patch+json",
                 "application/strategic-merge-patch+json", "application/json-patch+json",
                 "application/apply-patch+yaml", "application/vnd.kubernetes.protobuf", "text/plain", None]
names = st.sampled_from(["kubernetes", "default", "x", "Bad_Name", "..", "%2e%2e", "a" * 300, "kube-system"]) | st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"), min_size=1, max_size=20)


def _body(draw_obj: Any, as_raw: bytes | None) -> bytes:
    if as_raw is not None:
        return as_raw
    return json.dumps(draw_obj).encode()


@settings(max_examples=300, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET"]),
    path=st.sampled_from(PATHS),
    name=names,
    obj=object_like | json_values,
    raw_body=st.none() | st.binary(max_size=64) | st.sampled_from([b"{", b"[", b"{\"a\":", b"---\n- a\n: b", b"\xff\xfe",
                                                                  b"k8s\x00\x0a\x02", b"null", b"[]", b"{}"]),
    ctype=st.sampled_from(CONTENT_TYPES),
    query=st.sampled_from(["", "?dryRun=All", "?fieldValidation=Strict", "?fieldValidation=Bogus", "?dryRun=Bad",
                           "?labelSelector=a%3D%3D%3Db", "?fieldSelector=spec.bogus%3D1", "?limit=-1",
                           "?resourceVersion=abc", "?continue=%%%", "?gracePeriodSeconds=x",
                           "?resourceVersionMatch=Exact", "?watch=true&timeoutSeconds=1"]),
)
def test_random_requests_never_5xx_and_never_change_the_store_when_refused(
    raw: Raw, method: str, path: str, name: str, obj: Any, raw_body: bytes | None, ctype: str | None, query: str
) -> None:
    from urllib.parse import quote

    p = path.replace("{name}", quote(name, safe="")) + query
    before = raw.revision()
    body = None if method in ("GET",) else _body(obj, raw_body)
    status, resp = raw.request(method, p, body, ctype)
    assert status < 500, (method, p, ctype, body, resp[:500])
    if status >= 400:
        assert raw.revision() == before, (method, p, ctype, body, status, resp[:300])
        if resp:
            status_obj = json.loads(resp)
            assert status_obj.get("kind") == "Status" and status_obj.get("code") == status


def test_body_over_3mib_is_413(raw: Raw) -> None:
    big = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"},
                      "data": {"k": "x" * (3 * 1024 * 1024 + 10)}}).encode()
    before = raw.revision()
    status, _resp = raw.request("POST", "/api/v1/namespaces/default/configmaps", big, "application/json")
    assert status == 413
    assert raw.revision() == before


@pytest.mark.parametrize(
    ("body", "ctype", "code", "needle"),
    [
        (b"{not json", "application/json", 400, ""),
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"other"}}', "application/json",
         400, "does not match the namespace"),
        (b'{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}', "application/json", 400, ""),
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}', "application/json", 422,
         'metadata.name: Invalid value: "Bad_Name"'),
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"a":"b c"}}}', "application/json",
         422, "metadata.labels: Invalid value"),
        (b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]}}',
         "application/json", 422, "spec.containers[0].image: Required value"),
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yx}\ndata: {a: [1}\n", "application/yaml", 400, ""),
        (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}', "text/plain", 415, ""),
    ],
)
def test_bad_bodies_get_upstream_codes(raw: Raw, body: bytes, ctype: str, code: int, needle: str) -> None:
    # pods need their service account, which the serviceaccount controller makes
    deadline = time.monotonic() + 30
    while raw.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    before = raw.revision()
    status, resp = raw.request("POST", "/api/v1/namespaces/default/configmaps" if b"Pod" not in body
                               else "/api/v1/namespaces/default/pods", body, ctype)
    assert status == code, resp
    assert needle in json.loads(resp)["message"]
    assert raw.revision() == before


def test_unknown_fields_strict_warn_ignore(raw: Raw) -> None:
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"uf","bogus":1},"data":{"a":"b"},"extra":2}'
    status, resp = raw.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body,
                               "application/json")
    assert status == 400
    msg = json.loads(resp)["message"]
    assert 'unknown field "metadata.bogus"' in msg and 'unknown field "extra"' in msg
    raw.conn.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Warn&dryRun=All", body=body,
                     headers={"Content-Type": "application/json"})
    r = raw.conn.getresponse()
    data = r.read()
    assert r.status == 201
    assert 'unknown field \\"extra\\"' in (r.getheader("Warning") or "")
    assert "extra" not in json.loads(data)
