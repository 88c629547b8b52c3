import { ferryError } from '../errors/index.ts';
import type { ModelVersion, Stage } from './entities.ts';
import type { ModelRef } from './models-uri.ts';

export interface MlflowClientOptions {
  /** The tracking server, e.g. http://mlflow:5000 (MLFLOW_TRACKING_URI). */
  readonly trackingUri: string;
  /** Authorization headers (MLFLOW_TRACKING_TOKEN, or _USERNAME/_PASSWORD as basic auth). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

interface MlflowVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  last_updated_timestamp?: number | string;
  user_id?: string;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  status_message?: string;
  tags?: { key: string; value: string }[];
  aliases?: string[];
}

/**
 * Resolves `models:/` references against an MLflow tracking server's Model Registry REST API, and asks it where
 * each version's artifacts can be downloaded. MLflow records no digest: the fetcher learns it on first download
 * and holds later downloads of the same version to it.
 */
export class MlflowRegistryClient {
  readonly #options: MlflowClientOptions;

  constructor(options: MlflowClientOptions) {
    this.#options = options;
  }

  async resolve(ref: ModelRef): Promise<ModelVersion> {
    let found: MlflowVersion | undefined;
    switch (ref.kind) {
      case 'alias':
        found = (await this.#get<{ model_version: MlflowVersion }>('registered-models/alias', { name: ref.model, alias: ref.alias })).model_version;
        break;
      case 'version':
        found = (await this.#get<{ model_version: MlflowVersion }>('model-versions/get', { name: ref.model, version: String(ref.version) })).model_version;
        break;
      case 'stage':
      case 'latest': {
        const body = ref.kind === 'stage' ? { name: ref.model, stages: [ref.stage] } : { name: ref.model };
        const latest = (await this.#post<{ model_versions?: MlflowVersion[] }>('registered-models/get-latest-versions', body)).model_versions ?? [];
        found = latest.sort((a, b) => Number(b.version) - Number(a.version))[0];
        if (!found) throw ferryError('FERRY_ERR_REGISTRY_VERSION_NOT_FOUND', { model: ref.model, version: ref.kind === 'stage' ? `in stage ${ref.stage}` : 'latest' });
      }
    }
    const download = await this.#get<{ artifact_uri: string }>('model-versions/get-download-uri', { name: found.name, version: found.version });
    return toVersion(found, this.#artifactUri(download.artifact_uri));
  }

  /** `mlflow-artifacts:/path` is served by the tracking server's artifact proxy: read it over HTTP there. */
  #artifactUri(uri: string): string {
    const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
    if (!match) return uri;
    return `${this.#options.trackingUri.replace(/\/+$/, '')}/api/2.0/mlflow-artifacts/artifacts/${match[1]}`;
  }

  #get<T>(endpoint: string, query: Record<string, string>): Promise<T> {
    return this.#call<T>('GET', `${endpoint}?${new URLSearchParams(query).toString()}`);
  }

  #post<T>(endpoint: string, body: unknown): Promise<T> {
    return this.#call<T>('POST', endpoint, body);
  }

  async #call<T>(method: string, endpoint: string, body?: unknown): Promise<T> {
    const url = `${this.#options.trackingUri.replace(/\/+$/, '')}/api/2.0/mlflow/${endpoint}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...this.#options.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: `MLflow at ${this.#options.trackingUri}: ${(error as Error).message}` }, error);
    }
    const text = await response.text();
    let parsed: { error_code?: string; message?: string } & Record<string, unknown> = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // not JSON: reported below by status
    }
    if (response.ok) return parsed as T;
    const detail = `MLflow ${endpoint.split('?')[0]}: ${parsed.error_code ?? `HTTP ${response.status}`} ${parsed.message ?? ''}`.trim();
    if (parsed.error_code === 'RESOURCE_DOES_NOT_EXIST' || response.status === 404) throw ferryError('FERRY_ERR_REGISTRY_VERSION_NOT_FOUND', { model: endpoint, version: detail });
    if (response.status === 401 || response.status === 403) throw ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail: `${detail} (check MLFLOW_TRACKING_TOKEN)` });
    if (response.status >= 500) throw ferryError('FERRY_ERR_REGISTRY_UNAVAILABLE', { detail });
    throw ferryError('FERRY_ERR_REGISTRY_INVALID', { detail });
  }
}

function toVersion(v: MlflowVersion, source: string): ModelVersion {
  const tags = Object.fromEntries((v.tags ?? []).map((t) => [t.key, t.value]));
  return {
    model: v.name, version: Number(v.version), source, digest: '', files: [], runtime: '', signature: null, inputExample: null,
    metrics: {}, tags, description: v.description ?? '', runId: v.run_id ?? '', stage: (v.current_stage ?? 'None') as Stage,
    status: (v.status ?? 'READY') as ModelVersion['status'], statusMessage: v.status_message ?? '',
    createdAt: Number(v.creation_timestamp ?? 0), createdBy: v.user_id ?? '', updatedAt: Number(v.last_updated_timestamp ?? 0), aliases: v.aliases ?? [],
  };
}
