import path from 'node:path';
import type { FerryConfig } from '../config/index.ts';
import { repositorySource, type ManagedModel, type ModelSource, type ServedVersion, type SourceScan } from '../models/index.ts';
import type { TensorMetadata } from '../tensor/index.ts';
import { exampleFor, mlflowDeclaration } from './model-examples.ts';
import { openOfflineModels, type OfflineModels } from './offline-models.ts';
import { mlflowMismatches, outputProblems, signatureProblems } from './signature-checks.ts';

export interface ExampleResult {
  readonly source: string;
  readonly ok: boolean;
  readonly ms?: number;
  readonly outputs?: readonly { name: string; datatype: string; shape: readonly number[] }[];
  readonly error?: string;
}

export interface VersionReport {
  readonly version: number;
  readonly state: string;
  readonly ok: boolean;
  readonly platform?: string;
  readonly inputs?: readonly TensorMetadata[];
  readonly outputs?: readonly TensorMetadata[];
  readonly example?: ExampleResult;
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

export interface ModelReport {
  readonly name: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly versions: readonly VersionReport[];
}

export interface ValidationReport {
  readonly repository: string;
  readonly ok: boolean;
  readonly models: readonly ModelReport[];
  /** Repository entries that `ferry serve` would leave out, with why: each is a problem. */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

/**
 * Loads every model of a repository as `ferry serve` would (same runtimes, sandbox, version policy, model.yaml),
 * without opening a port, and checks each: model.yaml accepted, every selected version AVAILABLE, a usable
 * signature, an MLflow folder's declared signature agreeing with the served one, and the model's example request
 * (if it has one) answered within the signature. `ok` is false when anything failed.
 */
export async function validateRepository(config: Readonly<FerryConfig>): Promise<ValidationReport> {
  const root = path.resolve(config.model_repository);
  let lastScan: SourceScan | undefined;
  const plain = repositorySource(root, config.repository.allowed_paths.map((p) => path.resolve(p)));
  const source: ModelSource = {
    list: async () => (lastScan = await plain.list()),
    get: (name) => plain.get(name),
  };
  const opened = await openOfflineModels({ config, source });
  try {
    const models: ModelReport[] = [];
    for (const model of opened.manager.models()) models.push(await checkModel(opened, root, model));
    for (const [name, reason] of lastScan?.unreadable ?? []) models.push({ name, ok: false, problems: [`the model folder could not be read: ${reason}`], versions: [] });
    const skipped = lastScan?.skipped ?? [];
    models.sort((a, b) => a.name.localeCompare(b.name));
    return { repository: config.model_repository, ok: skipped.length === 0 && models.every((m) => m.ok), models, skipped };
  } finally {
    await opened.close();
  }
}

async function checkModel(opened: OfflineModels, root: string, model: ManagedModel): Promise<ModelReport> {
  const problems: string[] = [];
  if (model.configError) problems.push(model.configError);
  const versions: VersionReport[] = [];
  for (const served of [...model.versions.values()].sort((a, b) => b.version - a.version)) {
    versions.push(await checkVersion(opened, root, model.name, served));
  }
  if (versions.length === 0 && !model.configError) problems.push(`no version to serve: ${model.layoutHint ?? 'add a version folder (<model>/1/<model file>)'}`);
  return { name: model.name, ok: problems.length === 0 && versions.every((v) => v.ok), problems, versions };
}

async function checkVersion(opened: OfflineModels, root: string, model: string, served: ServedVersion): Promise<VersionReport> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const base = { version: served.version, state: served.state };
  if (!served.available || !served.instance) {
    problems.push(served.reason ?? `version ${served.version} is ${served.state}`);
    return { ...base, ok: false, problems, warnings };
  }
  const signature = served.instance.signature;
  problems.push(...signatureProblems(signature));
  const mlflow = await mlflowDeclaration(root, model, served.version);
  if (mlflow) {
    const found = mlflowMismatches(mlflow, signature);
    problems.push(...found.problems.map((p) => `${mlflow.source}: ${p}`));
    warnings.push(...found.warnings.map((w) => `${mlflow.source}: ${w}`));
  }
  const example = await runExample(opened, root, model, served);
  if (example && !example.ok) problems.push(`example (${example.source}): ${example.error}`);
  return {
    ...base, ok: problems.length === 0, platform: signature.platform, inputs: signature.inputs, outputs: signature.outputs,
    ...(example ? { example } : {}), problems, warnings,
  };
}

/** Runs the example through the data plane (validation, queue, batching) as a request to this version would. */
async function runExample(opened: OfflineModels, root: string, model: string, served: ServedVersion): Promise<ExampleResult | undefined> {
  const example = await exampleFor(root, model, served.version);
  if (!example) return undefined;
  if (!example.request) return { source: example.source, ok: false, error: example.error ?? 'unreadable' };
  const started = performance.now();
  try {
    const response = await opened.dataplane.infer(model, example.request, { protocol: 'validate', version: String(served.version) });
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const outputs = response.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape }));
    const wrong = outputProblems(served.instance!.signature.outputs, response.outputs, example.request.outputs === undefined);
    if (wrong.length > 0) return { source: example.source, ok: false, ms, outputs, error: wrong.join('; ') };
    return { source: example.source, ok: true, ms, outputs };
  } catch (error) {
    return { source: example.source, ok: false, error: (error as Error).message };
  }
}
