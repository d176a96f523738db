"""The real kubectl against `kyb up`: the everyday commands of issue 2's acceptance list."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from kybernetes.testing.cluster import KybCluster

pytestmark = pytest.mark.kubectl

MANIFESTS = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  labels: {app: demo}
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: demo}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: demo}
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
"""


def test_version_and_cluster_info(cluster: KybCluster) -> None:
    out = cluster.kubectl("version", "-o", "json").stdout
    v = json.loads(out)
    assert v["serverVersion"]["major"] == "1"
    assert v["serverVersion"]["minor"] == "32"
    info = cluster.kubectl("cluster-info").stdout
    assert "is running at" in info
    assert cluster.server in info


def test_get_namespaces_has_system_namespaces(cluster: KybCluster) -> None:
    out = cluster.kubectl("get", "ns", "-o", "name").stdout.split()
    for ns in ("namespace/default", "namespace/kube-system", "namespace/kube-public", "namespace/kube-node-lease"):
        assert ns in out
    # the bootstrap controller keeps it (other tests may delete it: it comes back within ~10 s)
    deadline = time.monotonic() + 20
    while (res := cluster.kubectl("get", "svc", "kubernetes", "-n", "default", "-o", "json", check=False)).returncode:
        assert time.monotonic() < deadline, res.stderr
        time.sleep(0.5)
    svc = json.loads(res.stdout)
    assert svc["spec"]["clusterIP"] == "10.96.0.1"


def test_apply_multi_document_then_unchanged_then_configured(cluster: KybCluster, ns: str, tmp_path: Path) -> None:
    f = tmp_path / "all.yaml"
    f.write_text(MANIFESTS)
    out = cluster.kubectl("apply", "-n", ns, "-f", str(f)).stdout
    assert "configmap/app-config created" in out
    assert "deployment.apps/web created" in out
    assert "service/web created" in out
    out = cluster.kubectl("apply", "-n", ns, "-f", str(f)).stdout
    assert "configmap/app-config unchanged" in out
    assert "deployment.apps/web unchanged" in out
    assert "service/web unchanged" in out
    f.write_text(MANIFESTS.replace("greeting: hello", "greeting: bonjour").replace("replicas: 2", "replicas: 3"))
    out = cluster.kubectl("apply", "-n", ns, "-f", str(f)).stdout
    assert "configmap/app-config configured" in out
    assert "deployment.apps/web configured" in out
    cm = json.loads(cluster.kubectl("get", "cm", "app-config", "-n", ns, "-o", "json").stdout)
    assert cm["data"]["greeting"] == "bonjour"
    dep = json.loads(cluster.kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    assert dep["spec"]["replicas"] == 3
    assert dep["metadata"]["generation"] == 2
    assert dep["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}


def test_apply_directory_and_kustomize(cluster: KybCluster, ns: str, tmp_path: Path) -> None:
    d = tmp_path / "dir"
    d.mkdir()
    (d / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n")
    (d / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {k: v}\n")
    out = cluster.kubectl("apply", "-n", ns, "-f", str(d)).stdout
    assert "configmap/a created" in out and "configmap/b created" in out
    k = tmp_path / "kust"
    k.mkdir()
    (k / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kc}\ndata: {k: v}\n")
    (k / "kustomization.yaml").write_text(
        f"namespace: {ns}\nresources: [cm.yaml]\ncommonLabels: {{team: blue}}\n"
    )
    out = cluster.kubectl("apply", "-k", str(k)).stdout
    assert "configmap/kc created" in out
    labels = json.loads(cluster.kubectl("get", "cm", "kc", "-n", ns, "-o", "json").stdout)["metadata"]["labels"]
    assert labels == {"team": "blue"}


def test_get_output_formats(cluster: KybCluster, ns: str) -> None:
    cluster.kubectl("create", "configmap", "fmt", "-n", ns, "--from-literal=a=1")
    cluster.kubectl("label", "cm", "fmt", "-n", ns, "tier=x")
    table = cluster.kubectl("get", "cm", "-n", ns).stdout
    assert table.splitlines()[0].split() == ["NAME", "DATA", "AGE"]
    assert "fmt" in table
    wide = cluster.kubectl("get", "cm", "fmt", "-n", ns, "-o", "wide").stdout
    assert "fmt" in wide
    y = cluster.kubectl("get", "cm", "fmt", "-n", ns, "-o", "yaml").stdout
    assert "kind: ConfigMap" in y and "a: \"1\"" in y
    jp = cluster.kubectl("get", "cm", "fmt", "-n", ns, "-o", "jsonpath={.data.a}").stdout
    assert jp == "1"
    cc = cluster.kubectl("get", "cm", "-n", ns, "-o", "custom-columns=N:.metadata.name,A:.data.a").stdout
    assert cc.split() == ["N", "A", "fmt", "1"] or "fmt" in cc
    name = cluster.kubectl("get", "cm", "fmt", "-n", ns, "-o", "name").stdout.strip()
    assert name == "configmap/fmt"
    labelled = cluster.kubectl("get", "cm", "-n", ns, "-l", "tier=x", "-o", "name").stdout.split()
    assert labelled == ["configmap/fmt"]
    shown = cluster.kubectl("get", "cm", "fmt", "-n", ns, "--show-labels").stdout
    assert "tier=x" in shown
    fs = cluster.kubectl("get", "cm", "-n", ns, "--field-selector", "metadata.name=fmt", "-o", "name").stdout.split()
    assert fs == ["configmap/fmt"]
    all_ns = cluster.kubectl("get", "cm", "-A").stdout
    assert all_ns.splitlines()[0].split()[0] == "NAMESPACE"
    assert ns in all_ns


def test_sort_by_and_chunk_size(cluster: KybCluster, ns: str) -> None:
    for n in ("c3", "c1", "c2", "c5", "c4"):
        cluster.kubectl("create", "configmap", n, "-n", ns, f"--from-literal=n={n}")
    out = cluster.kubectl("get", "cm", "-n", ns, "--sort-by=.data.n", "-o", "name").stdout.split()
    names = [x for x in out if x.startswith("configmap/c")]
    assert names == ["configmap/c1", "configmap/c2", "configmap/c3", "configmap/c4", "configmap/c5"]
    res = cluster.kubectl("get", "cm", "-n", ns, "--chunk-size=2", "-o", "name", "-v=6")
    assert [x for x in res.stdout.split() if x.startswith("configmap/c")] == names
    # kubectl really paged: limit=2 requests, then ones carrying the continue token
    assert "limit=2" in res.stderr and "continue=" in res.stderr


def test_create_commands(cluster: KybCluster, ns: str, tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("file-content")
    cluster.kubectl("create", "configmap", "cm1", "-n", ns, "--from-literal=k=v", f"--from-file={f}")
    cm = json.loads(cluster.kubectl("get", "cm", "cm1", "-n", ns, "-o", "json").stdout)
    assert cm["data"] == {"k": "v", "file.txt": "file-content"}
    cluster.kubectl("create", "secret", "generic", "s1", "-n", ns, "--from-literal=password=pw")
    s = json.loads(cluster.kubectl("get", "secret", "s1", "-n", ns, "-o", "json").stdout)
    assert s["type"] == "Opaque" and s["data"]["password"] == "cHc="
    cluster.kubectl("create", "secret", "docker-registry", "reg", "-n", ns, "--docker-server=r.example",
                    "--docker-username=u", "--docker-password=p")
    reg = json.loads(cluster.kubectl("get", "secret", "reg", "-n", ns, "-o", "json").stdout)
    assert reg["type"] == "kubernetes.io/dockerconfigjson"
    cluster.kubectl("create", "deployment", "d1", "-n", ns, "--image=nginx", "--replicas=2")
    d = json.loads(cluster.kubectl("get", "deploy", "d1", "-n", ns, "-o", "json").stdout)
    assert d["spec"]["replicas"] == 2 and d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx"
    assert d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    cluster.kubectl("create", "service", "clusterip", "svc1", "-n", ns, "--tcp=80:8080")
    svc = json.loads(cluster.kubectl("get", "svc", "svc1", "-n", ns, "-o", "json").stdout)
    assert svc["spec"]["clusterIP"].startswith("10.")
    assert svc["spec"]["ports"][0]["targetPort"] == 8080
    cluster.kubectl("create", "serviceaccount", "sa1", "-n", ns)
    cluster.kubectl("create", "job", "j1", "-n", ns, "--image=busybox")
    job = json.loads(cluster.kubectl("get", "job", "j1", "-n", ns, "-o", "json").stdout)
    assert job["spec"]["backoffLimit"] == 6
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_label_annotate_patch_scale_set_image(cluster: KybCluster, ns: str) -> None:
    cluster.kubectl("create", "deployment", "app", "-n", ns, "--image=nginx:1.0")
    cluster.kubectl("label", "deploy", "app", "-n", ns, "color=red")
    cluster.kubectl("label", "deploy", "app", "-n", ns, "color=blue", "--overwrite")
    cluster.kubectl("annotate", "deploy", "app", "-n", ns, "note=hi")
    d = json.loads(cluster.kubectl("get", "deploy", "app", "-n", ns, "-o", "json").stdout)
    assert d["metadata"]["labels"]["color"] == "blue"
    assert d["metadata"]["annotations"]["note"] == "hi"
    cluster.kubectl("label", "deploy", "app", "-n", ns, "color-")
    cluster.kubectl("annotate", "deploy", "app", "-n", ns, "note-")
    d = json.loads(cluster.kubectl("get", "deploy", "app", "-n", ns, "-o", "json").stdout)
    assert "color" not in (d["metadata"].get("labels") or {})
    assert "note" not in (d["metadata"].get("annotations") or {})
    cluster.kubectl("patch", "deploy", "app", "-n", ns, "--type", "strategic", "-p",
                    '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"A","value":"1"}]}]}}}}')
    cluster.kubectl("patch", "deploy", "app", "-n", ns, "--type", "merge", "-p", '{"spec":{"minReadySeconds":5}}')
    cluster.kubectl("patch", "deploy", "app", "-n", ns, "--type", "json",
                    "-p", '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":3}]')
    d = json.loads(cluster.kubectl("get", "deploy", "app", "-n", ns, "-o", "json").stdout)
    c = d["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "nginx:1.0" and c["env"] == [{"name": "A", "value": "1"}]
    assert d["spec"]["minReadySeconds"] == 5 and d["spec"]["revisionHistoryLimit"] == 3
    cluster.kubectl("scale", "deploy", "app", "-n", ns, "--replicas=4")
    cluster.kubectl("set", "image", "deploy/app", "-n", ns, "nginx=nginx:1.1")
    d = json.loads(cluster.kubectl("get", "deploy", "app", "-n", ns, "-o", "json").stdout)
    assert d["spec"]["replicas"] == 4
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.1"


def test_edit_with_editor_script(cluster: KybCluster, ns: str, tmp_path: Path) -> None:
    cluster.kubectl("create", "configmap", "ed", "-n", ns, "--from-literal=k=old")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/k: old/k: new/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    cluster.kubectl("edit", "cm", "ed", "-n", ns, env={"EDITOR": str(editor), "KUBE_EDITOR": str(editor)})
    cm = json.loads(cluster.kubectl("get", "cm", "ed", "-n", ns, "-o", "json").stdout)
    assert cm["data"]["k"] == "new"


def test_run_expose_describe(cluster: KybCluster, ns: str) -> None:
    cluster.kubectl("run", "p1", "-n", ns, "--image=nginx", "--labels=app=p1", "--port=80")
    pod = json.loads(cluster.kubectl("get", "pod", "p1", "-n", ns, "-o", "json").stdout)
    assert pod["status"]["phase"] == "Pending"
    assert pod["spec"]["restartPolicy"] == "Always" and pod["spec"]["dnsPolicy"] == "ClusterFirst"
    assert pod["spec"]["schedulerName"] == "default-scheduler"
    cluster.kubectl("expose", "pod", "p1", "-n", ns, "--port=8080", "--target-port=80", "--name=p1svc")
    svc = json.loads(cluster.kubectl("get", "svc", "p1svc", "-n", ns, "-o", "json").stdout)
    assert svc["spec"]["selector"] == {"app": "p1"}
    for what in (["pod", "p1"], ["svc", "p1svc"], ["ns", ns]):
        out = cluster.kubectl("describe", *what, "-n", ns).stdout
        assert "Name:" in out
    cluster.kubectl("create", "deployment", "dd", "-n", ns, "--image=nginx")
    out = cluster.kubectl("describe", "deploy", "dd", "-n", ns).stdout
    assert "RollingUpdateStrategy:  25% max unavailable, 25% max surge" in out


def test_delete_variants_and_wait(cluster: KybCluster, ns: str, tmp_path: Path) -> None:
    for n in ("x1", "x2", "x3", "x4"):
        cluster.kubectl("create", "configmap", n, "-n", ns, "--from-literal=a=b")
    cluster.kubectl("label", "cm", "x2", "-n", ns, "del=yes")
    cluster.kubectl("delete", "cm", "x1", "-n", ns)
    cluster.kubectl("delete", "cm", "-l", "del=yes", "-n", ns)
    f = tmp_path / "x3.yaml"
    f.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x3, namespace: {ns}}}\n")
    cluster.kubectl("delete", "-f", str(f))
    left = cluster.kubectl("get", "cm", "-n", ns, "-o", "name").stdout.split()
    assert "configmap/x4" in left and "configmap/x1" not in left and "configmap/x3" not in left
    cluster.kubectl("delete", "cm", "--all", "-n", ns)
    left = [x for x in cluster.kubectl("get", "cm", "-n", ns, "-o", "name").stdout.split() if x.startswith("configmap/x")]
    assert left == []
    # a pod bound to a node stays terminating until forced
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound", "namespace": ns},
        "spec": {"nodeName": "nowhere", "containers": [{"name": "c", "image": "busybox"}]},
    }
    cluster.kubectl("create", "-f", "-", input=json.dumps(pod))
    cluster.kubectl("delete", "pod", "bound", "-n", ns, "--wait=false")
    p = json.loads(cluster.kubectl("get", "pod", "bound", "-n", ns, "-o", "json").stdout)
    assert p["metadata"]["deletionTimestamp"]
    cluster.kubectl("delete", "pod", "bound", "-n", ns, "--grace-period=0", "--force")
    res = cluster.kubectl("get", "pod", "bound", "-n", ns, check=False)
    assert res.returncode != 0 and "NotFound" in res.stderr


def test_wait_for_jsonpath_and_delete(cluster: KybCluster, ns: str) -> None:
    import subprocess
    import threading

    cluster.kubectl("create", "configmap", "w", "-n", ns, "--from-literal=state=old")

    def later() -> None:
        time.sleep(1.0)
        cluster.kubectl("patch", "cm", "w", "-n", ns, "--type=merge", "-p", '{"data":{"state":"ready"}}')
        time.sleep(1.0)
        cluster.kubectl("delete", "cm", "w", "-n", ns)

    t = threading.Thread(target=later)
    t.start()
    cluster.kubectl("wait", "cm/w", "-n", ns, "--for=jsonpath={.data.state}=ready", "--timeout=30s")
    cluster.kubectl("wait", "cm/w", "-n", ns, "--for=delete", "--timeout=30s")
    t.join()
    assert subprocess is not None


def test_get_watch_prints_later_change(cluster: KybCluster, ns: str) -> None:
    import subprocess

    cluster.kubectl("create", "configmap", "watched", "-n", ns, "--from-literal=a=1")
    proc = subprocess.Popen(
        ["kubectl", "get", "cm", "-n", ns, "-w", "-o", "name", "--request-timeout=20s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cluster.env(),
    )
    try:
        time.sleep(1.5)
        cluster.kubectl("create", "configmap", "later", "-n", ns, "--from-literal=a=1")
        deadline = time.time() + 20
        seen = []
        assert proc.stdout is not None
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line.strip())
            if "configmap/later" in line:
                break
        assert "configmap/watched" in seen
        assert "configmap/later" in seen
    finally:
        proc.kill()
        proc.wait()


def test_explain_api_resources_versions_whoami_raw(cluster: KybCluster) -> None:
    out = cluster.kubectl("explain", "pod.spec.containers.livenessProbe").stdout
    assert "Probe" in out and "periodSeconds" in out
    res = cluster.kubectl("api-resources").stdout
    for needle in ("pods", "deployments", "cronjobs", "horizontalpodautoscalers", "ingresses", "leases",
                   "priorityclasses", "clusterrolebindings", "endpointslices", "storageclasses"):
        assert needle in res
    assert "po " in res or " po " in res
    vers = cluster.kubectl("api-versions").stdout.split()
    for gv in ("v1", "apps/v1", "batch/v1", "autoscaling/v2", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1"):
        assert gv in vers
    who = cluster.kubectl("auth", "whoami", "-o", "json").stdout
    info = json.loads(who)["status"]["userInfo"]
    assert info["username"] == "kyb-admin" and "system:masters" in info["groups"]
    metrics = cluster.kubectl("get", "--raw", "/metrics").stdout
    assert "apiserver_request_total" in metrics
    ready = cluster.kubectl("get", "--raw", "/readyz?verbose").stdout
    assert "readyz check passed" in ready


def test_diff_of_changed_manifest(cluster: KybCluster, ns: str, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: df, namespace: {ns}}}\ndata: {{k: one}}\n")
    cluster.kubectl("apply", "-f", str(f))
    same = cluster.kubectl("diff", "-f", str(f), check=False)
    assert same.returncode == 0, same.stderr
    f.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: df, namespace: {ns}}}\ndata: {{k: two}}\n")
    changed = cluster.kubectl("diff", "-f", str(f), check=False)
    assert changed.returncode == 1, changed.stderr
    assert "-  k: one" in changed.stdout and "+  k: two" in changed.stdout


def test_secret_tls(cluster: KybCluster, ns: str, tmp_path: Path) -> None:
    from kybernetes.apiserver.auth.pki import ensure_pki

    pki = ensure_pki(tmp_path / "pki")
    crt, key = pki.issue_server_cert("example.com", ["example.com"])
    (tmp_path / "tls.crt").write_bytes(crt)
    (tmp_path / "tls.key").write_bytes(key)
    cluster.kubectl("create", "secret", "tls", "t1", "-n", ns, f"--cert={tmp_path / 'tls.crt'}",
                    f"--key={tmp_path / 'tls.key'}")
    s = json.loads(cluster.kubectl("get", "secret", "t1", "-n", ns, "-o", "json").stdout)
    assert s["type"] == "kubernetes.io/tls" and set(s["data"]) == {"tls.crt", "tls.key"}


