import { Command } from 'commander';
import { vi } from 'vitest';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `ferry <argv...>` in this process with the commands `register` adds, as the binary would: what it prints
 * to stdout and stderr, and its exit code (process.exitCode, reset afterwards). `env` is set for the run only; an
 * undefined value unsets the variable.
 */
export async function runCli(register: (program: Command) => void, argv: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const program = new Command('ferry').exitOverride();
  register(program);
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'ferry', ...argv]);
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.env = saved;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, out: out.join('\n'), err: err.join('\n') };
}
