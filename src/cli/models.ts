import type { Command } from 'commander';
import { ApiError, managementClient } from './management-client.ts';
import { exitCodeOf, EXIT } from './registry.ts';
import { table } from './table.ts';

interface ServingStatus {
  registry: { reachable: boolean; failures: number; detail?: string; last_contact?: string };
  models: { name: string; origin: string; versions: { version: number; state: string; reason?: string }[] }[];
}

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
  const run = (work: (status: ServingStatus, flags: { output: string }, model?: string) => { data: unknown; text: string }) => async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const flags = command.opts() as { url?: string; output: string };
    try {
      const result = work(await fetchStatus(flags.url), flags, typeof args[0] === 'string' ? args[0] : undefined);
      console.log(flags.output === 'json' ? JSON.stringify(result.data, null, 2) : result.text);
      process.exitCode = EXIT.ok;
    } catch (error) {
      console.error(`ferry models: ${(error as Error).message}`);
      process.exitCode = exitCodeOf(error);
    }
  };
  const registryLine = (s: ServingStatus) => (s.registry.reachable ? 'registry: reachable' : `registry: UNREACHABLE (${s.registry.detail ?? 'unknown'}), serving what is loaded`);

  common(models.command('list').description('every model with its serving versions and where it comes from'))
    .action(run((status) => ({
      data: status,
      text: `${table(['MODEL', 'SERVING', 'FROM'], status.models.map((m) => [m.name, m.versions.filter((v) => v.state === 'AVAILABLE').map((v) => v.version).join(',') || '-', m.origin]))}\n${registryLine(status)}`,
    })));
  common(models.command('status').description('one model\'s versions and their states').argument('<model>'))
    .action(run((status, _flags, name) => {
      const model = status.models.find((m) => m.name === name);
      if (!model) throw new ApiError(404, 'FERRY_ERR_MODEL_NOT_FOUND', `model '${name}' not found`);
      return { data: model, text: `${model.name} (from ${model.origin})\n${table(['VERSION', 'STATE', 'REASON'], model.versions.map((v) => [v.version, v.state, v.reason ?? '']))}` };
    }));
}
