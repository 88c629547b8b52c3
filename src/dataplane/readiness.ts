/**
 * Readiness as a pure function of what the model manager holds: Triton's strict readiness (every model that
 * should be served has an AVAILABLE version), relaxed by `readiness.require` and `readiness.min_ready`.
 */

export interface ReadinessPolicy {
  /** Models that must be ready: every model that should be served (`all`), or these names. */
  readonly require: 'all' | readonly string[];
  /** At least this many models must be ready, whichever they are. */
  readonly minReady: number;
}

export const STRICT_READINESS: ReadinessPolicy = { require: 'all', minReady: 0 };

/** One model as readiness sees it. */
export interface ModelReadinessInput {
  readonly name: string;
  /** In the repository and not unloaded on request: a model an operator expects to be served. */
  readonly expected: boolean;
  /** Why no version serves it, or undefined when one is AVAILABLE. */
  readonly unavailable: string | undefined;
  /** The model's own readiness check (models as code): false with its reason, undefined when it has none. */
  readonly check?: { readonly ready: boolean; readonly reason?: string } | undefined;
}

export interface ModelReadiness {
  readonly name: string;
  readonly ready: boolean;
  readonly required: boolean;
  readonly reason?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  /** The first repository scan has finished (what the startup probe reports). */
  readonly started: boolean;
  readonly stopping: boolean;
  /** Why the server is not ready, one sentence per cause; empty when ready. */
  readonly reasons: readonly string[];
  readonly readyModels: number;
  /** Required models that are not ready, and other models that are not ready, with their reasons. */
  readonly notReady: readonly ModelReadiness[];
}

export function evaluateReadiness(
  state: { readonly started: boolean; readonly stopping: boolean; readonly models: readonly ModelReadinessInput[] },
  policy: ReadinessPolicy,
): ReadinessReport {
  const reasons: string[] = [];
  if (!state.started) reasons.push('the first repository scan has not finished');
  if (state.stopping) reasons.push('the server is shutting down');
  const byName = new Map(state.models.map((m) => [m.name, m]));
  const named = policy.require === 'all' ? undefined : new Set(policy.require);
  const notReady: ModelReadiness[] = [];
  let readyModels = 0;
  for (const model of state.models) {
    const required = named ? named.has(model.name) : model.expected;
    const reason = model.unavailable ?? (model.check && !model.check.ready ? `its readiness check failed${model.check.reason ? `: ${model.check.reason}` : ''}` : undefined);
    if (reason === undefined) {
      readyModels++;
      continue;
    }
    if (required || model.expected) notReady.push({ name: model.name, ready: false, required, reason });
    if (required) reasons.push(`model '${model.name}' is not ready: ${reason}`);
  }
  for (const name of named ?? []) {
    if (byName.has(name)) continue;
    notReady.push({ name, ready: false, required: true, reason: 'not in the model repository' });
    reasons.push(`model '${name}' is not ready: not in the model repository`);
  }
  if (readyModels < policy.minReady) reasons.push(`${readyModels} model(s) ready, readiness.min_ready is ${policy.minReady}`);
  notReady.sort((a, b) => Number(b.required) - Number(a.required) || a.name.localeCompare(b.name));
  return { ready: reasons.length === 0, started: state.started, stopping: state.stopping, reasons, readyModels, notReady };
}
