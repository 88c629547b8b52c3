import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { ferryError, isFerryError } from '../errors/index.ts';
import { misplacedRepository } from '../repository/layout-hints.ts';
import { EXIT } from './registry.ts';
import { table } from './table.ts';
import { validateRepository, type ValidationReport } from './validate-repository.ts';

interface ValidateFlags {
  output: string;
  config?: string;
  logLevel?: string;
}

/**
 * `ferry validate REPO`: loads every model as `ferry serve` would, without serving, and reports what would not
 * serve. For CI pipelines: exit 0 when every model passes, 1 when any fails, 2 when the command itself cannot run
 * (no such repository, an invalid ferry.yaml).
 */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('load every model of a repository without serving, check signatures, run each model\'s example request (example.json, or an MLflow input example); exits 1 when any fails')
    .argument('[dir]', 'model repository (default ./models, or model_repository in ferry.yaml)')
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--config <file>', 'ferry.yaml to read (default ./ferry.yaml when present)')
    .option('--log-level <level>', 'server log lines on stderr: fatal | error | warn | info | debug | trace | silent (default silent)')
    .action(async (dir: string | undefined, flags: ValidateFlags) => {
      let report: ValidationReport;
      try {
        const config = loadConfig({ file: flags.config, overrides: { model_repository: dir, log_level: flags.logLevel ?? 'silent' } });
        const misplaced = await misplacedRepository(config.model_repository);
        if (misplaced !== undefined) throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `model_repository: ${misplaced}` });
        report = await validateRepository(config);
      } catch (error) {
        const message = isFerryError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
        if (flags.output === 'json') console.log(JSON.stringify({ ok: false, error: message }));
        else console.error(`ferry validate: ${message}`);
        process.exitCode = EXIT.usage;
        return;
      }
      console.log(flags.output === 'json' ? JSON.stringify(report, null, 2) : renderReport(report));
      process.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });
}

/** The report for people: one line per version, then every problem and warning, then the verdict. */
export function renderReport(report: ValidationReport): string {
  const rows: unknown[][] = [];
  const notes: string[] = [];
  for (const model of report.models) {
    if (model.versions.length === 0) rows.push([model.name, '-', '-', '', '', 'FAIL']);
    for (const v of model.versions) {
      const example = v.example ? `${v.example.ok ? 'ok' : 'failed'} (${v.example.source})` : v.state === 'AVAILABLE' ? 'none' : '-';
      rows.push([model.name, v.version, v.state, v.platform ?? '', example, v.ok ? 'ok' : 'FAIL']);
      for (const problem of v.problems) notes.push(`  ${model.name} v${v.version}: ${problem}`);
      for (const warning of v.warnings) notes.push(`  ${model.name} v${v.version}: warning: ${warning}`);
    }
    for (const problem of model.problems) notes.push(`  ${model.name}: ${problem}`);
  }
  for (const entry of report.skipped) notes.push(`  ${entry.path}: left out by the repository scan: ${entry.reason}`);
  const failed = report.models.filter((m) => !m.ok).length;
  const lines = [`repository ${report.repository}`, table(['MODEL', 'VERSION', 'STATE', 'PLATFORM', 'EXAMPLE', 'RESULT'], rows)];
  if (notes.length > 0) lines.push('', 'problems:', ...notes);
  const total = report.models.length;
  lines.push('', report.ok
    ? `ok: ${total} model${total === 1 ? '' : 's'} would serve`
    : `FAILED: ${failed} of ${total} model${total === 1 ? '' : 's'} would not serve${report.skipped.length ? `, ${report.skipped.length} folder(s) left out` : ''}`);
  return lines.join('\n');
}
