#!/usr/bin/env node
// deploy/lint/k8s_check.js -- checks Kubernetes manifests offline, in two layers:
//  1. schema: every object against the Kubernetes API's OpenAPI schema of its kind
//     (kubernetes-models: types, required fields, enums, formats; the schemas ship
//     compiled inside the package, so nothing is downloaded at test time);
//  2. what we promise of cancelbot's manifests (README "Kubernetes"): probes on
//     /healthz and /readyz, secrets from a Secret, non-root with a read-only root and
//     no capabilities, resource requests and limits, a PodDisruptionBudget that
//     selects the pods, and one replica with Recreate wherever a volume is
//     ReadWriteOnce (SQLite).
// usage: node deploy/lint/k8s_check.js FILE.yaml... ; exit 0 when all pass, 1 with
// one line per problem ("file: Kind/name: what").
'use strict';
const fs = require('fs');
const YAML = require('yaml');

const problems = [];
const say = (where, what) => problems.push(`${where}: ${what}`);

function modelFor(apiVersion, kind) {
    const group = apiVersion.includes('/') ? apiVersion : `v1`;
    let mod;
    try {
        mod = require(`kubernetes-models/${group}`);
    } catch (e) {
        return null;
    }
    return mod[kind] || null;
}

function schemaCheck(where, doc) {
    const Model = modelFor(String(doc.apiVersion || ''), String(doc.kind || ''));
    if (!Model) {
        say(where, `unknown apiVersion/kind ${doc.apiVersion}/${doc.kind}`);
        return;
    }
    try {
        new Model(doc).validate();
    } catch (e) {
        say(where, `schema: ${e.message}`);
    }
}

const sameLabels = (want, have) =>
    Object.entries(want || {}).every(([k, v]) => have && have[k] === v);

function probePath(p) {
    return p && p.httpGet && p.httpGet.path;
}

function deploymentCheck(where, d, claims) {
    const spec = d.spec || {};
    const pod = (spec.template || {}).spec || {};
    const labels = ((spec.template || {}).metadata || {}).labels;
    if (!sameLabels((spec.selector || {}).matchLabels, labels))
        say(where, 'the pod template lacks the selector\'s labels');
    const podSec = pod.securityContext || {};
    for (const c of pod.containers || []) {
        const w = `${where} container ${c.name}`;
        const sec = c.securityContext || {};
        if (probePath(c.livenessProbe) !== '/healthz')
            say(w, 'livenessProbe must GET /healthz');
        if (probePath(c.readinessProbe) !== '/readyz')
            say(w, 'readinessProbe must GET /readyz');
        if (!(c.envFrom || []).some((e) => e.secretRef && e.secretRef.name))
            say(w, 'secrets must come from a Secret (envFrom.secretRef)');
        if ((c.env || []).some((e) => /TOKEN|SECRET|PASSWORD|DATABASE_URL/.test(e.name) && 'value' in e))
            say(w, 'a secret written into the manifest (env value)');
        if (!(sec.runAsNonRoot === true || podSec.runAsNonRoot === true))
            say(w, 'runAsNonRoot must be true');
        if (sec.readOnlyRootFilesystem !== true)
            say(w, 'readOnlyRootFilesystem must be true');
        if (sec.allowPrivilegeEscalation !== false)
            say(w, 'allowPrivilegeEscalation must be false');
        if (!((sec.capabilities || {}).drop || []).includes('ALL'))
            say(w, 'capabilities must drop ALL');
        const r = c.resources || {};
        for (const k of ['cpu', 'memory'])
            if (!(r.requests || {})[k])
                say(w, `resources.requests.${k} is missing`);
        if (!(r.limits || {}).memory)
            say(w, 'resources.limits.memory is missing');
    }
    const rwo = (pod.volumes || []).filter((v) => v.persistentVolumeClaim &&
        (claims.get(v.persistentVolumeClaim.claimName) || []).includes('ReadWriteOnce'));
    if (rwo.length && (spec.replicas !== 1 || (spec.strategy || {}).type !== 'Recreate'))
        say(where, 'a ReadWriteOnce volume (SQLite) needs replicas: 1 and strategy Recreate');
}

function checkFile(file) {
    let docs;
    try {
        docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
    } catch (e) {
        say(file, e.message);
        return;
    }
    const objects = [];
    for (const d of docs) {
        for (const e of d.errors)
            say(file, `YAML: ${e.message}`);
        const o = d.toJS();
        if (o)
            objects.push(o);
    }
    const claims = new Map();
    for (const o of objects)
        if (o.kind === 'PersistentVolumeClaim')
            claims.set(o.metadata.name, (o.spec || {}).accessModes || []);
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    if (!deployments.length)
        say(file, 'no Deployment');
    for (const o of objects) {
        const where = `${file}: ${o.kind}/${(o.metadata || {}).name}`;
        schemaCheck(where, o);
        if (o.kind === 'Deployment')
            deploymentCheck(where, o, claims);
    }
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    if (!pdbs.length)
        say(file, 'no PodDisruptionBudget');
    for (const p of pdbs) {
        const sel = ((p.spec || {}).selector || {}).matchLabels;
        const covered = deployments.filter((d) =>
            sameLabels(sel, (((d.spec || {}).template || {}).metadata || {}).labels));
        if (!sel || !covered.length)
            say(`${file}: PodDisruptionBudget/${p.metadata.name}`, 'selects no Deployment\'s pods');
        for (const d of covered)
            if (typeof p.spec.minAvailable === 'number' && p.spec.minAvailable >= d.spec.replicas)
                say(`${file}: PodDisruptionBudget/${p.metadata.name}`,
                    `minAvailable ${p.spec.minAvailable} of ${d.spec.replicas} replicas blocks every drain`);
    }
}

const files = process.argv.slice(2);
if (!files.length) {
    console.error('usage: k8s_check.js FILE.yaml...');
    process.exit(2);
}
files.forEach(checkFile);
for (const p of problems)
    console.log(p);
console.log(`k8s_check: ${files.length} file(s), ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
