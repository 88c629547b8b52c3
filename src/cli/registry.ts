import { userInfo } from 'node:os';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig, registryPaths } from '../config/index.ts';
import { isFerryError } from '../errors/index.ts';
import { checkVersion } from '../registry/index.ts';
import { ApiError, httpBackend, storeBackend, type RegistryBackend } from './registry-backend.ts';
import { prepareArtifact } from './register-artifact.ts';
import { table, when } from './table.ts';

interface Common {
  url?: string;
  store?: string;
  output?: string;
  config?: string;
  dataDir?: string;
}

type View = Record<string, unknown>;

/** Exit codes scripts can branch on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, denied: 4, refused: 5, unavailable: 6 } as const;

/**
 * `ferry registry ...`: register, list, show, alias set|delete, stage, promote, rollback, history — against a
 * server's management API (`--url` or FERRY_URL, token from FERRY_TOKEN) or a registry store directly (`--store`,
 * default the local SQLite registry of ferry.yaml's data directory). Tables for people, `--output json` for scripts.
 */
export function registerRegistry(program: Command): void {
  const registry = program.command('registry').description('the model registry: versions, aliases, stages, promotion and rollback, history');
  const common = (command: Command) => command
    .option('--url <url>', 'a Ferry server\'s base URL (or FERRY_URL); its token comes from FERRY_TOKEN')
    .option('--store <url>', 'a registry store to open directly: sqlite:<file> or postgres://...')
    .option('--data-dir <dir>', 'data directory for the default store and artifact folder (default ./ferry-data)')
    .option('--config <file>', 'ferry.yaml to read')
    .option('-o, --output <format>', 'table or json', 'table');

  common(registry.command('register')
    .description('register a new version of MODEL from a file, folder, MLflow model folder or s3://, https:// URI')
    .argument('<model>').argument('<source>')
    .option('--description <text>')
    .option('--metric <name=value>', 'a training metric (repeatable)', collect, [])
    .option('--tag <key=value>', 'a tag (repeatable)', collect, [])
    .option('--runtime <name>', 'the runtime that serves it (default: the one that recognises the files)')
    .option('--input-example <file>', 'V2 JSON inputs that warm each newly loaded copy up')
    .option('--alias <name>', 'also point this alias at the new version'))
    .action(run(async (backend, flags: Common & Record<string, string | string[] | undefined>, model: string, source: string) => {
      // Through a server, local files are uploaded to it; into a store, they are copied to its artifact folder.
      const prepared = await prepareArtifact(model, source, serverUrl(flags) ? undefined : artifactRoot(flags));
      const version = {
        ...prepared.version,
        ...(flags['description'] ? { description: String(flags['description']) } : {}),
        ...(flags['runtime'] ? { runtime: String(flags['runtime']) } : {}),
        metrics: Object.fromEntries(pairs(flags['metric'] as string[]).map(([k, v]) => [k, Number(v)])),
        tags: Object.fromEntries(pairs(flags['tag'] as string[])),
        ...(flags['inputExample'] ? { inputExample: JSON.parse(await readFile(String(flags['inputExample']), 'utf8')) } : {}),
      };
      let created = await backend.register(model, version);
      if (flags['alias']) created = await backend.setAlias(model, String(flags['alias']), Number(created['version']));
      return { data: created, text: [...prepared.notes.map((n) => `  ${n}`), versionLine(created)].join('\n') };
    }));

  common(registry.command('list').description('registered models, or the versions of MODEL').argument('[model]'))
    .action(run(async (backend, _flags: Common, model?: string) => {
      if (model === undefined) {
        const models = await backend.models();
        return { data: models, text: table(['MODEL', 'ALIASES', 'UPDATED', 'DESCRIPTION'], models.map((m) => [m['name'], aliasText(m['aliases']), when(m['updated_at']), m['description']])) };
      }
      const versions = await backend.versions(model);
      return { data: versions, text: versionTable(versions) };
    }));

  common(registry.command('show').description('a model with its versions, or one version (MODEL VERSION, or a models:/ URI)').argument('<model>').argument('[version]'))
    .action(run(async (backend, _flags: Common, model: string, version?: string) => {
      if (model.startsWith('models:/')) return detail(await backend.resolve(model));
      if (version !== undefined) return detail(await backend.version(model, checkVersion(version)));
      const [info, versions] = await Promise.all([backend.model(model), backend.versions(model)]);
      return {
        data: { ...info, versions },
        text: [`${info['name']}  ${info['description'] ?? ''}`.trimEnd(), `aliases: ${aliasText(info['aliases']) || '-'}`, '', versionTable(versions)].join('\n'),
      };
    }));

  const alias = registry.command('alias').description('point aliases (champion, challenger, ...) at versions');
  common(alias.command('set').description('point ALIAS of MODEL at VERSION').argument('<model>').argument('<alias>').argument('<version>'))
    .action(run(async (backend, _flags: Common, model: string, name: string, version: string) => {
      const moved = await backend.setAlias(model, name, checkVersion(version));
      return { data: moved, text: `${model}@${name} -> version ${moved['version']}` };
    }));
  common(alias.command('delete').description('delete ALIAS of MODEL').argument('<model>').argument('<alias>'))
    .action(run(async (backend, _flags: Common, model: string, name: string) => {
      await backend.deleteAlias(model, name);
      return { data: { model, alias: name, deleted: true }, text: `${model}@${name} deleted` };
    }));

  common(registry.command('stage').description('move VERSION of MODEL to a stage: None, Staging, Production, Archived')
    .argument('<model>').argument('<version>').argument('<stage>')
    .option('--archive-existing', 'move the versions already in that stage to Archived'))
    .action(run(async (backend, flags: Common & { archiveExisting?: boolean }, model: string, version: string, stage: string) => {
      const moved = await backend.stage(model, checkVersion(version), stage, flags.archiveExisting === true);
      return { data: moved, text: `${model} version ${moved['version']} -> ${moved['stage']}` };
    }));

  common(registry.command('promote').description('point an alias (default champion) at VERSION; servers following it swap to it')
    .argument('<model>').argument('<version>')
    .option('--alias <name>', 'the alias to move', 'champion')
    .option('--stage <stage>', 'also move the version to this stage (archiving the previous holder)'))
    .action(run(async (backend, flags: Common & { alias: string; stage?: string }, model: string, version: string) => {
      const n = checkVersion(version);
      let before: number | undefined;
      try {
        before = Number((await backend.resolve(`models:/${model}@${flags.alias}`))['version']);
      } catch {
        before = undefined;
      }
      const moved = await backend.setAlias(model, flags.alias, n);
      if (flags.stage) await backend.stage(model, n, flags.stage, true);
      return { data: { ...moved, previous_version: before ?? null }, text: `${model}@${flags.alias}: ${before ?? '(none)'} -> ${n}` };
    }));

  common(registry.command('rollback').description('move an alias (default champion) back to the version it named before its last move')
    .argument('<model>')
    .option('--alias <name>', 'the alias to move back', 'champion'))
    .action(run(async (backend, flags: Common & { alias: string }, model: string) => {
      const moved = await backend.rollback(model, flags.alias);
      return { data: moved, text: `${model}@${flags.alias} -> version ${moved['version']}` };
    }));

  common(registry.command('history').description('the audit log of MODEL, newest first').argument('<model>').option('--limit <n>', 'entries', '50'))
    .action(run(async (backend, flags: Common & { limit: string }, model: string) => {
      const entries = await backend.history(model, Math.max(1, Math.min(10_000, Number(flags.limit) || 50)));
      return {
        data: entries,
        text: table(['ID', 'WHEN', 'ACTOR', 'ACTION', 'VERSION', 'CHANGE'], entries.map((e) => [e['id'], when(e['at']), e['actor'], e['action'], e['version'], change(e)])),
      };
    }));
}

/** Wraps a command: opens the backend, prints the result as a table or JSON, and exits with a meaningful code. */
function run<A extends unknown[]>(work: (backend: RegistryBackend, flags: never, ...args: A) => Promise<{ data: unknown; text: string }>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const flags = command.optsWithGlobals() as Common;
    const positional = args.slice(0, -2) as A;
    let backend: RegistryBackend | undefined;
    try {
      backend = await openBackend(flags);
      const result = await work(backend, flags as never, ...positional);
      console.log(flags.output === 'json' ? JSON.stringify(result.data, null, 2) : result.text);
      process.exitCode = EXIT.ok;
    } catch (error) {
      const { code, message } = describe(error);
      if (flags.output === 'json') console.log(JSON.stringify({ error: message, code }));
      else console.error(`ferry registry: ${message}`);
      process.exitCode = exitCodeOf(error);
    } finally {
      await backend?.close();
    }
  };
}

/** The server a command talks to, when it talks to one: `--url`, else FERRY_URL unless `--store` is given. */
function serverUrl(flags: Common): string | undefined {
  return flags.url ?? (flags.store ? undefined : process.env['FERRY_URL']);
}

async function openBackend(flags: Common): Promise<RegistryBackend> {
  const url = serverUrl(flags);
  if (url) return httpBackend(url, process.env['FERRY_TOKEN']);
  const config = loadConfig({ file: flags.config, overrides: { data_dir: flags.dataDir } });
  return storeBackend(flags.store ?? registryPaths(config).store, `cli:${userInfo().username}`);
}

function artifactRoot(flags: Common): string {
  return registryPaths(loadConfig({ file: flags.config, overrides: { data_dir: flags.dataDir } })).artifactRoot;
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  if (isFerryError(error)) return { code: error.code, message: error.message };
  return { code: 'FERRY_ERR_INTERNAL', message: (error as Error).message };
}

export function exitCodeOf(error: unknown): number {
  const status = error instanceof ApiError ? error.status : isFerryError(error) ? error.http : 500;
  if (status === 404) return EXIT.notFound;
  if (status === 401 || status === 403) return EXIT.denied;
  if (status >= 400 && status < 500) return EXIT.refused;
  if (status === 502 || status === 503) return EXIT.unavailable;
  return EXIT.failed;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function pairs(items: readonly string[] | undefined): [string, string][] {
  return (items ?? []).map((item) => {
    const at = item.indexOf('=');
    if (at <= 0) throw new ApiError(400, 'FERRY_ERR_REGISTRY_INVALID', `'${item}' must be key=value`);
    return [item.slice(0, at), item.slice(at + 1)];
  });
}

function aliasText(aliases: unknown): string {
  return Object.entries((aliases ?? {}) as Record<string, number>).map(([a, v]) => `${a}=${v}`).join(', ');
}

function versionTable(versions: readonly View[]): string {
  return table(['VERSION', 'STAGE', 'ALIASES', 'STATUS', 'CREATED', 'BY', 'DIGEST', 'METRICS'], versions.map((v) => [
    v['version'], v['stage'], (v['aliases'] as string[]).join(','), v['status'], when(v['created_at']), v['created_by'],
    String(v['digest']).slice(0, 19), Object.entries(v['metrics'] as Record<string, number>).map(([k, x]) => `${k}=${x}`).join(' '),
  ]));
}

function versionLine(v: View): string {
  return `${v['model']} version ${v['version']} registered (${v['status']}, ${String(v['digest']).slice(0, 19)}...)${(v['aliases'] as string[]).length ? `, aliases: ${(v['aliases'] as string[]).join(', ')}` : ''}`;
}

function detail(v: View): { data: View; text: string } {
  const lines = [
    `${v['model']} version ${v['version']}`,
    `  stage        ${v['stage']}`, `  aliases      ${(v['aliases'] as string[]).join(', ') || '-'}`, `  status       ${v['status']}${v['status_message'] ? ` (${v['status_message']})` : ''}`,
    `  source       ${v['source']}`, `  digest       ${v['digest']}`, `  runtime      ${v['runtime'] || '(recognised from the files)'}`,
    `  created      ${when(v['created_at'])} by ${v['created_by']}`,
    `  metrics      ${Object.entries(v['metrics'] as Record<string, number>).map(([k, x]) => `${k}=${x}`).join(' ') || '-'}`,
    `  tags         ${Object.entries(v['tags'] as Record<string, string>).map(([k, x]) => `${k}=${x}`).join(' ') || '-'}`,
    `  signature    ${signatureText(v['signature'])}`,
  ];
  return { data: v, text: lines.join('\n') };
}

function signatureText(signature: unknown): string {
  const s = signature as { inputs?: { name: string; datatype: string; shape: number[] }[]; outputs?: { name: string; datatype: string; shape: number[] }[] } | null;
  if (!s?.inputs) return '-';
  const fmt = (t: { name: string; datatype: string; shape: number[] }) => `${t.name} ${t.datatype}[${t.shape.join(',')}]`;
  return `${s.inputs.map(fmt).join(', ')} -> ${(s.outputs ?? []).map(fmt).join(', ')}`;
}

function change(e: View): string {
  const before = e['before'] as Record<string, unknown> | null;
  const after = e['after'] as Record<string, unknown> | null;
  if (String(e['action']).startsWith('alias.')) return `${e['alias']}: ${before?.['version'] ?? '-'} -> ${after?.['version'] ?? '-'}`;
  if (e['action'] === 'version.stage') return `${before?.['stage']} -> ${after?.['stage']}`;
  if (e['action'] === 'version.create') return String(after?.['source'] ?? '');
  return '';
}
