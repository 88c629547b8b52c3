import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { auditView, modelView, versionView } from '../management/views.ts';
import { checkVersion, openRegistryStore, parseModelsUri, RegistryService, type NewVersion } from '../registry/index.ts';
import { localPath, schemeOf } from '../repository/artifacts/index.ts';
import { managementClient } from './management-client.ts';

export { ApiError } from './management-client.ts';

type View = Record<string, unknown>;

/** What the registry commands need, from a server's API (`--url`) or from a store opened directly. */
export interface RegistryBackend {
  register(model: string, version: NewVersion): Promise<View>;
  models(): Promise<View[]>;
  model(name: string): Promise<View>;
  versions(model: string): Promise<View[]>;
  version(model: string, version: number): Promise<View>;
  resolve(uri: string): Promise<View>;
  setAlias(model: string, alias: string, version: number): Promise<View>;
  deleteAlias(model: string, alias: string): Promise<void>;
  stage(model: string, version: number, stage: string, archiveExisting: boolean): Promise<View>;
  rollback(model: string, alias: string): Promise<View>;
  history(model: string, limit: number): Promise<View[]>;
  close(): Promise<void>;
}

/** The management API of a running server, with a bearer token (FERRY_TOKEN). */
export function httpBackend(url: string, token: string | undefined): RegistryBackend {
  const { send, call } = managementClient(url, token);
  const enc = encodeURIComponent;
  /** Sends a local artifact's files to the server, which checks them against the digest when the version registers. */
  const upload = async (v: NewVersion): Promise<string> => {
    const digest = v.digest!;
    const original = localPath(v.source);
    const files = v.files?.map((f) => ({ relative: f.path, local: path.join(original, ...f.path.split('/')) })) ?? [{ relative: path.basename(original), local: original }];
    for (const file of files) {
      await send('PUT', `/api/v1/artifacts/${enc(digest)}/files/${file.relative.split('/').map(enc).join('/')}`, {
        headers: { 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(createReadStream(file.local)) as ReadableStream,
        duplex: 'half',
      });
    }
    return `upload:${digest}`;
  };
  return {
    register: async (model, v) => call('POST', `/api/v1/models/${enc(model)}/versions`, {
      source: schemeOf(v.source) === 'file' && v.digest ? await upload(v) : v.source, create_model: true,
      ...(v.digest ? { digest: v.digest } : {}), ...(v.files ? { files: v.files } : {}), ...(v.runtime ? { runtime: v.runtime } : {}),
      ...(v.signature !== undefined ? { signature: v.signature } : {}), ...(v.inputExample !== undefined ? { input_example: v.inputExample } : {}),
      ...(v.metrics ? { metrics: v.metrics } : {}), ...(v.tags ? { tags: v.tags } : {}), ...(v.description ? { description: v.description } : {}),
      ...(v.runId ? { run_id: v.runId } : {}),
    }) as Promise<View>,
    models: async () => ((await call('GET', '/api/v1/models')) as { models: View[] }).models,
    model: (name) => call('GET', `/api/v1/models/${enc(name)}`) as Promise<View>,
    versions: async (model) => ((await call('GET', `/api/v1/models/${enc(model)}/versions`)) as { versions: View[] }).versions,
    version: (model, version) => call('GET', `/api/v1/models/${enc(model)}/versions/${version}`) as Promise<View>,
    resolve: (uri) => call('GET', `/api/v1/resolve?uri=${enc(uri)}`) as Promise<View>,
    setAlias: (model, alias, version) => call('PUT', `/api/v1/models/${enc(model)}/aliases/${enc(alias)}`, { version }) as Promise<View>,
    deleteAlias: async (model, alias) => {
      await call('DELETE', `/api/v1/models/${enc(model)}/aliases/${enc(alias)}`);
    },
    stage: (model, version, stage, archive) => call('PUT', `/api/v1/models/${enc(model)}/versions/${version}/stage`, { stage, archive_existing: archive }) as Promise<View>,
    rollback: (model, alias) => call('POST', `/api/v1/models/${enc(model)}/aliases/${enc(alias)}/rollback`) as Promise<View>,
    history: async (model, limit) => ((await call('GET', `/api/v1/models/${enc(model)}/audit?limit=${limit}`)) as { entries: View[] }).entries,
    close: async () => undefined,
  };
}

/** A registry store opened directly (no server): writes are recorded with `actor` (`cli:<user>`). */
export async function storeBackend(url: string, actorName: string): Promise<RegistryBackend> {
  const store = await openRegistryStore(url);
  const service = new RegistryService(store);
  const actor = { name: actorName };
  return {
    register: async (model, v) => versionView(await service.register(model, v, actor, { createModel: true })),
    models: async () => (await store.listModels()).map(modelView),
    model: async (name) => modelView(await store.getModel(name)),
    versions: async (model) => {
      await store.getModel(model);
      return (await store.listVersions({ model })).map(versionView);
    },
    version: async (model, version) => versionView(await store.getVersion(model, checkVersion(version))),
    resolve: async (uri) => versionView(await service.resolve(parseModelsUri(uri))),
    setAlias: async (model, alias, version) => versionView(await store.setAlias(model, alias, version, actor)),
    deleteAlias: (model, alias) => store.deleteAlias(model, alias, actor),
    stage: async (model, version, stage, archive) => versionView(await store.transitionStage(model, version, stage as 'None', archive, actor)),
    rollback: async (model, alias) => versionView(await service.rollback(model, alias, actor)),
    history: async (model, limit) => (await store.audit({ model, limit })).map(auditView),
    close: () => store.close(),
  };
}
