import type { Command } from 'commander';
import { ferryError, isFerryError } from '../errors/index.ts';
import { ApiError, managementClient } from './management-client.ts';
import { exitCodeOf } from './registry.ts';

interface Flags {
  url?: string;
  output: string;
}

interface RouterView {
  router: string;
  policy: string;
  weights: Record<string, number>;
  gates?: { status: string; step: number; steps: number[]; canary: string };
  arms: { name: string; node: string; pulls: number; reward: number }[];
}

/**
 * `ferry deploy status|set-weights|promote|rollback`: an inference graph's traffic on a running server, through
 * its management API (`--url` or FERRY_URL, token from FERRY_TOKEN with the write scope for changes). Each change
 * is audited under the token's name; replicas sharing the registry store follow it within `graphs.sync_seconds`.
 */
export function registerDeployTraffic(deploy: Command): void {
  const common = (command: Command) => command
    .option('--url <url>', 'the Ferry server\'s base URL (or FERRY_URL); its token comes from FERRY_TOKEN')
    .option('-o, --output <format>', 'table or json', 'table');

  common(deploy.command('status').description('each router of a graph: policy, weights, gates, what its bandit learnt').argument('<graph>'))
    .action(run(async (call, graph: string) => {
      const detail = await call('GET', `/api/v1/graphs/${encodeURIComponent(graph)}`) as { routers: RouterView[]; deployment_error?: string };
      const routers = detail.routers.map(routerText).join('\n') || `graph '${graph}' has no router`;
      // A deployment file that changed into something that does not load: what serves is the previous definition.
      return { data: detail, text: detail.deployment_error === undefined ? routers : `deployment not applied: ${detail.deployment_error}\n${routers}` };
    }));
  common(deploy.command('set-weights').description('set the weights of a router\'s arms: ARM=WEIGHT ... summing to 1')
    .argument('<graph>').argument('<router>').argument('<weights...>'))
    .action(run(async (call, graph: string, router: string, pairs: string[]) => {
      const weights = Object.fromEntries(pairs.map((pair) => {
        const [arm, value] = pair.split('=');
        const weight = Number(value);
        if (!arm || value === undefined || value === '' || !Number.isFinite(weight)) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `'${pair}' is not ARM=WEIGHT` });
        return [arm, weight];
      }));
      const view = await call('POST', `${routerPath(graph, router)}/weights`, { weights }) as RouterView;
      return { data: view, text: routerText(view) };
    }));
  common(deploy.command('promote').description('send all of a router\'s traffic to one arm (a canary, or a shadow that becomes the primary)')
    .argument('<graph>').argument('<router>').argument('<arm>'))
    .action(run(async (call, graph: string, router: string, arm: string) => {
      const view = await call('POST', `${routerPath(graph, router)}/promote`, { arm }) as RouterView;
      return { data: view, text: routerText(view) };
    }));
  common(deploy.command('rollback').description('send all of a router\'s traffic back to its primary arm').argument('<graph>').argument('<router>'))
    .action(run(async (call, graph: string, router: string) => {
      const view = await call('POST', `${routerPath(graph, router)}/rollback`, {}) as RouterView;
      return { data: view, text: routerText(view) };
    }));
}

type Call = (method: string, path: string, body?: unknown) => Promise<unknown>;

function routerPath(graph: string, router: string): string {
  return `/api/v1/graphs/${encodeURIComponent(graph)}/routers/${encodeURIComponent(router)}`;
}

function routerText(view: RouterView): string {
  const gates = view.gates ? `  gates: ${view.gates.status}, canary '${view.gates.canary}' step ${view.gates.step + 1}/${view.gates.steps.length}` : '';
  const arms = view.arms.map((arm) => {
    const learnt = arm.pulls > 0 ? `  pulls ${arm.pulls}, mean reward ${(arm.reward / arm.pulls).toFixed(3)}` : '';
    return `  ${arm.name.padEnd(16)} ${String(view.weights[arm.name] ?? '').padEnd(8)} ${arm.node}${learnt}`;
  });
  return [`${view.router} (${view.policy})${gates}`, `  ${'ARM'.padEnd(16)} ${'WEIGHT'.padEnd(8)} NODE`, ...arms].join('\n');
}

function run<A extends unknown[]>(work: (call: Call, ...args: A) => Promise<{ data: unknown; text: string }>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const flags = command.optsWithGlobals() as Flags;
    try {
      const url = flags.url ?? process.env['FERRY_URL'];
      if (!url) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: 'name the server with --url or FERRY_URL' });
      const result = await work(managementClient(url, process.env['FERRY_TOKEN'], 'FERRY_ERR_INTERNAL').call, ...(args.slice(0, -2) as A));
      console.log(flags.output === 'json' ? JSON.stringify(result.data, null, 2) : result.text);
      process.exitCode = 0;
    } catch (error) {
      const message = error instanceof ApiError || isFerryError(error) ? error.message : (error as Error).message;
      const code = error instanceof ApiError || isFerryError(error) ? error.code : 'FERRY_ERR_INTERNAL';
      if (flags.output === 'json') console.log(JSON.stringify({ error: message, code }));
      else console.error(`ferry deploy: ${message}`);
      process.exitCode = exitCodeOf(error);
    }
  };
}
