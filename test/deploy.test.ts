import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, scratchRepository } from './helpers/server.ts';

/**
 * The Kubernetes manifests in deploy/ and `ferry deploy kubernetes`, rendered offline with `kubectl kustomize` and
 * every object validated against its schema: Kubernetes' own through kubernetes-models, KEDA's ScaledObject and the
 * Prometheus Operator's ServiceMonitor through the models generated from their CRDs. Then the references between
 * objects (selectors, ports, ConfigMaps, the scale target) are checked as a cluster would resolve them.
 */
const run = promisify(execFile);
const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const OVERLAYS = ['development', 'production', 'shared-state'];
const IN_CI = process.env['CI'] === 'true';
const noKubectl = await run('kubectl', ['version', '--client']).then(() => undefined, (error: Error) => `kubectl is not available (${error.message.split('\n')[0]})`);
if (noKubectl && !IN_CI) console.warn(`skipping the deploy tests: ${noKubectl}`);
const skip = noKubectl !== undefined && !IN_CI;

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((doc) => doc.toJS() as K8sObject);
}

/** The kubernetes-models (or CRD model) class for an object's apiVersion and kind; a kind without one fails the test. */
async function modelFor(object: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const module = group === 'keda.sh'
    ? `@kubernetes-models/keda/keda.sh/${version}/${object.kind}`
    : group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${object.kind}`
      : `kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${object.kind}`;
  const loaded = (await import(module)) as Record<string, new (data: unknown) => { validate(): void }>;
  return loaded[object.kind]!;
}

async function validateAll(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    try {
      const Model = await modelFor(object);
      new Model(object).validate();
    } catch (error) {
      problems.push(`${object.kind}/${object.metadata?.name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

const one = (objects: readonly K8sObject[], kind: string) => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** What a cluster would resolve: selectors, named ports, ConfigMap names, the autoscaler's target, probe paths. */
function checkReferences(objects: readonly K8sObject[]): void {
  const deployment = one(objects, 'Deployment');
  const service = one(objects, 'Service');
  const pdb = one(objects, 'PodDisruptionBudget');
  const scaled = one(objects, 'ScaledObject');
  const monitor = one(objects, 'ServiceMonitor');
  const pod = deployment.spec.template;
  expect(matches(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
  expect(matches(service.spec.selector, pod.metadata.labels)).toBe(true);
  expect(matches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
  expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
  expect(scaled.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
  expect(deployment.spec.replicas, 'the autoscaler owns the replica count').toBeUndefined();
  const container = pod.spec.containers[0];
  const portNames = new Set(container.ports.map((p: { name: string }) => p.name));
  for (const port of service.spec.ports) expect(portNames.has(port.targetPort), `service port ${port.name}`).toBe(true);
  expect(monitor.spec.endpoints.map((e: { port: string }) => e.port)).toEqual(['http']);
  expect(container.startupProbe.httpGet.path).toBe('/v2/health/startup');
  expect(container.livenessProbe.httpGet.path).toBe('/v2/health/live');
  expect(container.readinessProbe.httpGet.path).toBe('/v2/health/ready');
  for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) expect(portNames.has(probe.httpGet.port)).toBe(true);
  expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
  expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
  expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  expect(container.resources.requests.cpu).toBeDefined();
  expect(container.resources.limits.memory).toBeDefined();
  expect(scaled.spec.triggers[0]).toMatchObject({ type: 'prometheus', metricType: 'AverageValue' });
  expect(scaled.spec.triggers[0].metadata.query).toContain('ferry_queue_depth');
  const configMaps = new Set(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
  for (const volume of pod.spec.volumes) if (volume.configMap) expect(configMaps.has(volume.configMap.name), volume.name).toBe(true);
  const mountedVolumes = new Set(container.volumeMounts.map((m: { name: string }) => m.name));
  for (const volume of pod.spec.volumes) expect(mountedVolumes.has(volume.name), volume.name).toBe(true);
  expect(container.args).toEqual(['--config', '/etc/ferry/ferry.yaml']);
  expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(30);
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'ferry-deploy-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe.skipIf(skip)('deploy/ (Kustomize base and overlays)', () => {
  it.each(OVERLAYS)('the %s overlay renders objects that all pass their schemas and reference each other correctly', async (overlay) => {
    const objects = await render(path.join(REPO_ROOT, 'deploy', 'overlays', overlay));
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'Deployment', 'PodDisruptionBudget', 'ScaledObject', 'Service', 'ServiceMonitor']);
    expect(await validateAll(objects)).toEqual([]);
    checkReferences(objects);
    const ferryYaml = objects.find((o) => o.kind === 'ConfigMap' && o.data?.['ferry.yaml'])!.data!['ferry.yaml']!;
    expect(ferryYaml).toMatch(/readiness:/);
  });

  it('the shared-state overlay points every replica at the shared Redis cache and NATS payload log, from a Secret', async () => {
    const objects = await render(path.join(REPO_ROOT, 'deploy', 'overlays', 'shared-state'));
    const env = one(objects, 'Deployment').spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: any }[];
    expect(env.find((e) => e.name === 'FERRY_CACHE_URL')!.valueFrom.secretKeyRef).toEqual({ name: 'ferry-shared-state', key: 'redis-url' });
    expect(env.find((e) => e.name === 'FERRY_PAYLOAD_LOG_NATS_URL')!.valueFrom.secretKeyRef).toEqual({ name: 'ferry-shared-state', key: 'nats-url' });
    expect(env.find((e) => e.name === 'FERRY_WORKERS')?.value).toBe('2'); // from the production overlay beneath it
  });

  it('the validation catches an invalid object (a container port that is not a number, a ScaledObject without a target)', async () => {
    const objects = await render(path.join(REPO_ROOT, 'deploy', 'overlays', 'production'));
    const deployment = structuredClone(one(objects, 'Deployment'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    const scaled = structuredClone(one(objects, 'ScaledObject'));
    delete scaled.spec.scaleTargetRef;
    const problems = await validateAll([deployment, scaled]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/containerPort/);
    expect(problems[1]).toMatch(/scaleTargetRef/);
  });

  it('a value changed in an overlay shows in the rendered output', async () => {
    const copy = path.join(work, 'deploy-copy');
    await cp(path.join(REPO_ROOT, 'deploy'), copy, { recursive: true });
    const file = path.join(copy, 'overlays', 'production', 'kustomization.yaml');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('value: 20');
    await writeFile(file, text.replace('value: 20', 'value: 7').replace('FERRY_WORKERS, value: "2"', 'FERRY_WORKERS, value: "4"'));
    const before = await render(path.join(REPO_ROOT, 'deploy', 'overlays', 'production'));
    const after = await render(path.join(copy, 'overlays', 'production'));
    expect(one(before, 'ScaledObject').spec.maxReplicaCount).toBe(20);
    expect(one(after, 'ScaledObject').spec.maxReplicaCount).toBe(7);
    expect(one(after, 'Deployment').spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'FERRY_WORKERS').value).toBe('4');
    expect(await validateAll(after)).toEqual([]);
  });
});

describe.skipIf(skip)('ferry deploy kubernetes', () => {
  async function ferryDeploy(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(NODE, ['bin/ferry.js', 'deploy', 'kubernetes', ...args], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("renders the repository's model.yaml files as a ConfigMap mounted over the image's, with the image set", async () => {
    const repo = await scratchRepository(['simple', 'mlp', 'half_plus_two']);
    try {
      await writeFile(path.join(repo.root, 'simple', 'model.yaml'), 'max_queue: 64\n');
      await writeFile(path.join(repo.root, 'mlp', 'model.yaml'), 'batching: {mode: adaptive, slo_ms: 5}\n');
      const out = path.join(work, 'k8s');
      const written = await ferryDeploy([repo.root, '--image', 'registry.local:5000/team/fraud:2.1', '--out', out, '--overlay', 'shared-state']);
      expect(written.code, written.stderr).toBe(0);
      const objects = await render(out);
      expect(await validateAll(objects)).toEqual([]);
      checkReferences(objects);
      const deployment = one(objects, 'Deployment');
      const container = deployment.spec.template.spec.containers[0];
      expect(container.image).toBe('registry.local:5000/team/fraud:2.1');
      const modelsMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ferry-models-'))!;
      expect(modelsMap.data).toEqual({ 'mlp.model.yaml': 'batching: {mode: adaptive, slo_ms: 5}\n', 'simple.model.yaml': 'max_queue: 64\n' });
      const mounts = container.volumeMounts.filter((m: { name: string }) => m.name === 'models-config');
      expect(mounts).toEqual([
        { name: 'models-config', mountPath: '/srv/ferry/models/mlp/model.yaml', subPath: 'mlp.model.yaml', readOnly: true },
        { name: 'models-config', mountPath: '/srv/ferry/models/simple/model.yaml', subPath: 'simple.model.yaml', readOnly: true },
      ]);
      expect(one(objects, 'Deployment').metadata.namespace).toBe('ferry');
      // --render prints the same objects.
      const rendered = await ferryDeploy([repo.root, '--image', 'registry.local:5000/team/fraud:2.1', '--out', out, '--overlay', 'shared-state', '--render']);
      expect(parseAllDocuments(rendered.stdout).map((d) => d.toJS())).toEqual(objects);
    } finally {
      await repo.remove();
    }
  }, 60_000);

  it('without any model.yaml there is no models ConfigMap; a model.yaml Ferry would reject and a foreign --out folder are refused', async () => {
    const repo = await scratchRepository(['simple']);
    try {
      const out = path.join(work, 'k8s-plain');
      expect((await ferryDeploy([repo.root, '--image', 'ferry-models', '--out', out, '--overlay', 'development'])).code).toBe(0);
      const objects = await render(out);
      expect(await validateAll(objects)).toEqual([]);
      expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name.replace(/-[a-z0-9]+$/, ''))).toEqual(['ferry-config']);
      expect(one(objects, 'Deployment').spec.template.spec.containers[0].image).toBe('ferry-models');

      const foreign = await ferryDeploy([repo.root, '--image', 'x', '--out', path.join(REPO_ROOT, 'docs')]);
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toMatch(/not empty and was not written by ferry deploy kubernetes/);
      const overlay = await ferryDeploy([repo.root, '--image', 'x', '--out', out, '--overlay', 'staging']);
      expect(overlay.stderr).toMatch(/expected one of development \| production \| shared-state/);
      await writeFile(path.join(repo.root, 'simple', 'model.yaml'), 'batching: adaptiv\n');
      const rejected = await ferryDeploy([repo.root, '--image', 'x', '--out', path.join(work, 'k8s-bad')]);
      expect(rejected.code).toBe(1);
      expect(rejected.stderr).toMatch(/model\.yaml batching/);
    } finally {
      await repo.remove();
    }
  }, 60_000);
});
