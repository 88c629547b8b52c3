import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, stringify, type Document } from 'yaml';
import { ferryError } from '../../errors/index.ts';
import { isValidModelName, parseModelConfig } from '../../repository/index.ts';

export interface KubernetesOptions {
  /** Ferry's deploy/ folder: the Kustomize base and overlays this starts from. */
  readonly deployDir: string;
  readonly repository: string;
  readonly out: string;
  /** The image `ferry build` made for this repository, as `name[:tag]`. */
  readonly image: string;
  readonly overlay: string;
  /** A ferry.yaml to use instead of the base's. */
  readonly config?: string | undefined;
}

const HEADER = '# Written by `ferry deploy kubernetes`';

/** Where the image keeps the model repository (`ferry build`'s working directory). */
const MODELS_IN_IMAGE = '/srv/ferry/models';

/**
 * Writes a Kustomize directory for a repository: Ferry's base and overlays, with the base's model.yaml ConfigMap
 * and mounts made from the repository's own model.yaml files (each checked as Ferry would load it), the image set,
 * and a kustomization.yaml at the top that selects `overlay`. `kubectl apply -k OUT` deploys it. OUT is replaced when
 * this command wrote it before; any other non-empty folder is refused.
 */
export async function writeKubernetes(options: KubernetesOptions): Promise<{ models: string[] }> {
  const overlays = await readdir(path.join(options.deployDir, 'overlays'));
  if (!overlays.includes(options.overlay)) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `--overlay ${options.overlay}: expected one of ${overlays.sort().join(' | ')}` });
  }
  const repository = path.resolve(options.repository);
  if (!(await stat(repository).catch(() => undefined))?.isDirectory()) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `model repository '${options.repository}' is not a directory` });
  }
  const modelConfigs = new Map<string, string>();
  for (const entry of (await readdir(repository, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || !isValidModelName(entry.name)) continue;
    const text = await readFile(path.join(repository, entry.name, 'model.yaml'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    parseModelConfig(entry.name, text); // a model.yaml Ferry would reject is refused here, before it is deployed
    modelConfigs.set(entry.name, text);
  }

  const out = path.resolve(options.out);
  const existing = await readdir(out).catch(() => [] as string[]);
  const ours = (await readFile(path.join(out, 'kustomization.yaml'), 'utf8').catch(() => '')).startsWith(HEADER);
  if (existing.length > 0 && !ours) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `--out ${options.out} is not empty and was not written by ferry deploy kubernetes; choose a new folder` });
  }
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await cp(path.join(options.deployDir, 'base'), path.join(out, 'base'), { recursive: true });
  await cp(path.join(options.deployDir, 'overlays'), path.join(out, 'overlays'), { recursive: true });

  const base = path.join(out, 'base');
  const kustomization = await readYaml(path.join(base, 'kustomization.yaml'));
  const deployment = await readYaml(path.join(base, 'deployment.yaml'));
  // The base's example model.yaml files give way to the repository's.
  const generators = kustomization.get('configMapGenerator') as { items: { get(key: string): unknown }[] };
  const modelsGenerator = generators.items.find((item) => item.get('name') === 'ferry-models') as { get(key: string): { items: { value: string }[] } } | undefined;
  for (const file of modelsGenerator?.get('files').items ?? []) await rm(path.join(base, String(file.value ?? file)));
  const container = ['spec', 'template', 'spec', 'containers', 0];
  const mounts = (deployment.getIn([...container, 'volumeMounts']) as { items: { get(key: string): unknown }[] }).items;
  const kept = mounts.filter((mount) => mount.get('name') !== 'models-config');
  const files = [...modelConfigs.keys()].map((model) => `${model}.model.yaml`);
  for (const [model, text] of modelConfigs) await writeFile(path.join(base, `${model}.model.yaml`), text);
  const modelMounts = [...modelConfigs.keys()].map((model) => deployment.createNode({ name: 'models-config', mountPath: `${MODELS_IN_IMAGE}/${model}/model.yaml`, subPath: `${model}.model.yaml`, readOnly: true }));
  deployment.setIn([...container, 'volumeMounts'], deployment.createNode([...kept, ...modelMounts]));
  if (modelConfigs.size === 0) {
    // No model.yaml in the repository: no models ConfigMap, no volume for it.
    kustomization.set('configMapGenerator', kustomization.createNode(generators.items.filter((item) => item.get('name') !== 'ferry-models')));
    const volumes = (deployment.getIn(['spec', 'template', 'spec', 'volumes']) as { items: { get(key: string): unknown }[] }).items;
    deployment.setIn(['spec', 'template', 'spec', 'volumes'], deployment.createNode(volumes.filter((volume) => volume.get('name') !== 'models-config')));
  } else {
    kustomization.set('configMapGenerator', kustomization.createNode(generators.items.map((item) =>
      item.get('name') === 'ferry-models' ? { name: 'ferry-models', files } : item)));
  }
  // The image is set in the base, where the placeholder `ferry` is first renamed (an overlay sees the new name).
  const { name, tag } = splitImage(options.image);
  kustomization.set('images', kustomization.createNode([{ name: 'ferry', newName: name, ...(tag !== undefined ? { newTag: tag } : {}) }]));
  if (options.config) await cp(options.config, path.join(base, 'ferry.yaml'));
  await writeFile(path.join(base, 'kustomization.yaml'), kustomization.toString());
  await writeFile(path.join(base, 'deployment.yaml'), deployment.toString());

  await writeFile(path.join(out, 'kustomization.yaml'), [
    `${HEADER} for ${repository}: the ${options.overlay} overlay with this repository's image.`,
    '# Render: kubectl kustomize .    Apply: kubectl apply -k .',
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [`overlays/${options.overlay}`],
    }),
  ].join('\n'));
  return { models: [...modelConfigs.keys()] };
}

async function readYaml(file: string): Promise<Document> {
  return parseDocument(await readFile(file, 'utf8'));
}

/** `registry:5000/team/models:1.2` → name and tag (a port's colon is not a tag's). */
export function splitImage(image: string): { name: string; tag: string | undefined } {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (image.includes('@')) return { name: image, tag: undefined };
  return colon > slash ? { name: image.slice(0, colon), tag: image.slice(colon + 1) } : { name: image, tag: undefined };
}
