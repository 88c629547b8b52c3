import type { Command } from 'commander';
import { isFerryError } from '../errors/index.ts';
import { ApiError, managementClient } from './management-client.ts';
import { exitCodeOf, EXIT } from './registry.ts';
import { table } from './table.ts';

interface ServedVersion {
  version: number;
  state: string;
  reason?: string;
}

interface ServedModel {
  name: string;
  origin: string;
  versions: ServedVersion[];
  /** Why model.yaml was refused; the versions loaded before keep serving. */
  config_error?: string;
}

interface ServingStatus {
  registry: { reachable: boolean; failures: number; detail?: string; last_contact?: string };
  models: ServedModel[];
}

const OUTPUTS = ['table', 'json'];

/** `ferry models list|status`: what a running server serves, where each model comes from, and each version's state. */
export function registerModels(program: Command): void {
  const models = program.command('models').description('what a running server serves (GET /api/v1/serving)');
  const common = (command: Command) => command
    .option('--url <url>', 'the server\'s base URL (or FERRY_URL, default http://127.0.0.1:8080); token from FERRY_TOKEN')
    .option('-o, --output <format>', 'table or json', 'table');

  const fetchStatus = async (url: string | undefined): Promise<ServingStatus> => {
    const base = url ?? process.env['FERRY_URL'] ?? 'http://127.0.0.1:8080';
    return await managementClient(base, process.env['FERRY_TOKEN']).call('GET', '/api/v1/serving') as ServingStatus;
  };
  const run = (work: (status: ServingStatus, model?: string) => { data: unknown; text: string }) => async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const flags = command.opts() as { url?: string; output: string };
    if (!OUTPUTS.includes(flags.output)) {
      console.error(`ferry models: --output: expected ${OUTPUTS.join(' | ')} (got ${JSON.stringify(flags.output)})`);
      process.exitCode = EXIT.usage;
      return;
    }
    try {
      const result = work(await fetchStatus(flags.url), typeof args[0] === 'string' ? args[0] : undefined);
      console.log(flags.output === 'json' ? JSON.stringify(result.data, null, 2) : result.text);
      process.exitCode = EXIT.ok;
    } catch (error) {
      const code = error instanceof ApiError || isFerryError(error) ? error.code : 'FERRY_ERR_INTERNAL';
      if (flags.output === 'json') console.log(JSON.stringify({ error: (error as Error).message, code }));
      else console.error(`ferry models: ${(error as Error).message}`);
      process.exitCode = exitCodeOf(error);
    }
  };

  common(models.command('list').description('every model with its serving versions, where it comes from, and what is wrong with it'))
    .action(run((status) => ({
      data: status,
      text: `${table(['MODEL', 'SERVING', 'FROM', 'PROBLEM'], status.models.map((m) => [m.name, serving(m), m.origin, problem(m)]))}\n${registryLine(status)}`,
    })));
  common(models.command('status').description('one model\'s versions, their states and why, and a refused model.yaml').argument('<model>'))
    .action(run((status, name) => {
      const model = status.models.find((m) => m.name === name);
      if (!model) throw new ApiError(404, 'FERRY_ERR_MODEL_NOT_FOUND', `model '${name}' not found`);
      const refused = model.config_error === undefined ? '' : `model.yaml REFUSED: ${model.config_error}\n`;
      const versions = model.versions.length === 0 ? 'no versions' : table(['VERSION', 'STATE', 'REASON'], model.versions.map((v) => [v.version, v.state, v.reason ?? '']));
      return { data: model, text: `${model.name} (from ${model.origin})\n${refused}${versions}` };
    }));
}

function serving(model: ServedModel): string {
  return model.versions.filter((v) => v.state === 'AVAILABLE').map((v) => v.version).join(',') || '-';
}

/** What needs a look, in a few words; `ferry models status <model>` says why. */
function problem(model: ServedModel): string {
  const problems: string[] = [];
  if (model.config_error !== undefined) problems.push('model.yaml refused');
  const failed = model.versions.filter((v) => v.state === 'ERROR').map((v) => v.version);
  if (failed.length > 0) problems.push(`version ${failed.join(',')} ERROR`);
  if (model.versions.length === 0 && model.config_error === undefined) problems.push('no versions');
  return problems.join('; ');
}

function registryLine(status: ServingStatus): string {
  return status.registry.reachable ? 'registry: reachable' : `registry: UNREACHABLE (${status.registry.detail ?? 'unknown'}), serving what is loaded`;
}
