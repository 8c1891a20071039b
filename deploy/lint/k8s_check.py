#!/usr/bin/python3
"""deploy/lint/k8s_check.py -- checks Kubernetes manifests offline, in two layers:

 1. schema: every object against the Kubernetes API models of its kind, from Debian's
    python3-kubernetes (the OpenAPI types of each field: unknown fields, wrong types,
    missing required fields); nothing is downloaded at test time;
 2. what we promise of cancelbot's manifests (README "Kubernetes"): probes on /healthz
    and /readyz, secrets from a Secret, non-root with a read-only root and no
    capabilities, resource requests and limits, a PodDisruptionBudget that selects the
    pods and leaves a drain possible, and one replica with Recreate wherever a volume
    is ReadWriteOnce (SQLite).

usage: /usr/bin/python3 deploy/lint/k8s_check.py FILE.yaml...
Exit 0 when all pass, 1 with one line per problem ("file: Kind/name: what").
"""
import re
import sys

import kubernetes.client as k8s
import yaml

# apiVersion/kind -> the model class name python3-kubernetes gives it
MODELS = {
    ("v1", "Service"): "V1Service",
    ("v1", "Secret"): "V1Secret",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
}
CONFIG = k8s.Configuration()        # client-side validation on: required fields refuse None
SCALARS = {"str": str, "bool": bool, "float": (int, float), "datetime": str, "date": str}


def schema_problems(value, type_name, path):
    """Problems of value against the OpenAPI type named type_name (a model class name,
    a scalar, list[...], dict(str, ...), or object)."""
    out = []
    if value is None:
        return out
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return [f"{path}: must be a list"]
        for i, item in enumerate(value):
            out += schema_problems(item, type_name[5:-1], f"{path}[{i}]")
        return out
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            return [f"{path}: must be a map"]
        inner = type_name[5:-1].split(", ", 1)[1]
        for k, v in value.items():
            out += schema_problems(v, inner, f"{path}.{k}")
        return out
    if type_name == "object":
        return out
    if type_name == "int":
        # bool is an int in Python; YAML's true is not a number
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{path}: must be an integer"]
        return out
    if type_name in SCALARS:
        if not isinstance(value, SCALARS[type_name]) or (
                type_name != "bool" and isinstance(value, bool)):
            return [f"{path}: must be {type_name}"]
        return out
    model = getattr(k8s, type_name, None)
    if model is None:
        return [f"{path}: unknown type {type_name}"]
    if not isinstance(value, dict):
        return [f"{path}: must be an object ({type_name})"]
    by_json = {j: a for a, j in model.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            out.append(f"{path}: unknown field {key!r} in {type_name}")
            continue
        out += schema_problems(v, model.openapi_types[by_json[key]], f"{path}.{key}")
    # required fields: the models' setters refuse None for them
    for attr, json_name in model.attribute_map.items():
        if json_name not in value and is_required(model, attr):
            out.append(f"{path}: {json_name} is required in {type_name}")
    return out


def is_required(model, attr):
    obj = model.__new__(model)
    obj.local_vars_configuration = CONFIG
    try:
        setattr(obj, attr, None)
    except ValueError:
        return True
    return False


def same_labels(want, have):
    return bool(want) and all((have or {}).get(k) == v for k, v in want.items())


def probe_path(p):
    return ((p or {}).get("httpGet") or {}).get("path")


def deployment_problems(where, d, claims):
    out = []
    spec = d.get("spec") or {}
    template = spec.get("template") or {}
    pod = template.get("spec") or {}
    labels = (template.get("metadata") or {}).get("labels")
    if not same_labels((spec.get("selector") or {}).get("matchLabels"), labels):
        out.append(f"{where}: the pod template lacks the selector's labels")
    pod_sec = pod.get("securityContext") or {}
    for c in pod.get("containers") or []:
        w = f"{where} container {c.get('name')}"
        sec = c.get("securityContext") or {}
        if probe_path(c.get("livenessProbe")) != "/healthz":
            out.append(f"{w}: livenessProbe must GET /healthz")
        if probe_path(c.get("readinessProbe")) != "/readyz":
            out.append(f"{w}: readinessProbe must GET /readyz")
        if not any((e.get("secretRef") or {}).get("name") for e in c.get("envFrom") or []):
            out.append(f"{w}: secrets must come from a Secret (envFrom.secretRef)")
        for e in c.get("env") or []:
            if re.search(r"TOKEN|SECRET|PASSWORD|DATABASE_URL", e.get("name", "")) and "value" in e:
                out.append(f"{w}: a secret written into the manifest (env {e['name']})")
        if sec.get("runAsNonRoot") is not True and pod_sec.get("runAsNonRoot") is not True:
            out.append(f"{w}: runAsNonRoot must be true")
        if sec.get("readOnlyRootFilesystem") is not True:
            out.append(f"{w}: readOnlyRootFilesystem must be true")
        if sec.get("allowPrivilegeEscalation") is not False:
            out.append(f"{w}: allowPrivilegeEscalation must be false")
        if "ALL" not in ((sec.get("capabilities") or {}).get("drop") or []):
            out.append(f"{w}: capabilities must drop ALL")
        res = c.get("resources") or {}
        for k in ("cpu", "memory"):
            if not (res.get("requests") or {}).get(k):
                out.append(f"{w}: resources.requests.{k} is missing")
        if not (res.get("limits") or {}).get("memory"):
            out.append(f"{w}: resources.limits.memory is missing")
    rwo = [v for v in pod.get("volumes") or []
           if "ReadWriteOnce" in claims.get((v.get("persistentVolumeClaim") or {})
                                            .get("claimName"), [])]
    if rwo and (spec.get("replicas") != 1 or (spec.get("strategy") or {}).get("type") != "Recreate"):
        out.append(f"{where}: a ReadWriteOnce volume (SQLite) needs replicas: 1 and strategy Recreate")
    return out


def file_problems(path):
    try:
        with open(path, encoding="utf-8") as f:
            objects = [o for o in yaml.safe_load_all(f) if o]
    except (OSError, yaml.YAMLError) as e:
        return [f"{path}: {e}"]
    out = []
    claims = {(o.get("metadata") or {}).get("name"): (o.get("spec") or {}).get("accessModes") or []
              for o in objects if o.get("kind") == "PersistentVolumeClaim"}
    deployments = [o for o in objects if o.get("kind") == "Deployment"]
    if not deployments:
        out.append(f"{path}: no Deployment")
    for o in objects:
        where = f"{path}: {o.get('kind')}/{(o.get('metadata') or {}).get('name')}"
        model = MODELS.get((o.get("apiVersion"), o.get("kind")))
        if not model:
            out.append(f"{where}: unknown apiVersion/kind {o.get('apiVersion')}/{o.get('kind')}")
            continue
        out += [f"{where}: schema: {p}" for p in schema_problems(o, model, "$")]
        if o.get("kind") == "Deployment":
            out += deployment_problems(where, o, claims)
    pdbs = [o for o in objects if o.get("kind") == "PodDisruptionBudget"]
    if not pdbs:
        out.append(f"{path}: no PodDisruptionBudget")
    for p in pdbs:
        where = f"{path}: PodDisruptionBudget/{p['metadata'].get('name')}"
        sel = ((p.get("spec") or {}).get("selector") or {}).get("matchLabels")
        covered = [d for d in deployments
                   if same_labels(sel, (((d.get("spec") or {}).get("template") or {})
                                        .get("metadata") or {}).get("labels"))]
        if not covered:
            out.append(f"{where}: selects no Deployment's pods")
        least = (p.get("spec") or {}).get("minAvailable")
        for d in covered:
            if isinstance(least, int) and least >= (d.get("spec") or {}).get("replicas", 1):
                out.append(f"{where}: minAvailable {least} of {d['spec'].get('replicas')} "
                           "replicas blocks every drain")
    return out


def main(files):
    if not files:
        print("usage: k8s_check.py FILE.yaml...", file=sys.stderr)
        return 2
    problems = [p for f in files for p in file_problems(f)]
    for p in problems:
        print(p)
    print(f"k8s_check: {len(files)} file(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
