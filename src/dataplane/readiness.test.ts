import { describe, expect, it } from 'vitest';
import { evaluateReadiness, STRICT_READINESS, type ModelReadinessInput } from './readiness.ts';

const up = (name: string): ModelReadinessInput => ({ name, expected: true, unavailable: undefined });
const down = (name: string, why = 'version 1 is ERROR: bad file'): ModelReadinessInput => ({ name, expected: true, unavailable: why });
const running = { started: true, stopping: false };

describe('evaluateReadiness', () => {
  it('is strict by default: one expected model without an AVAILABLE version makes the server not ready', () => {
    const report = evaluateReadiness({ ...running, models: [up('a'), down('b')] }, STRICT_READINESS);
    expect(report.ready).toBe(false);
    expect(report.reasons).toEqual(["model 'b' is not ready: version 1 is ERROR: bad file"]);
    expect(report.notReady).toEqual([{ name: 'b', ready: false, required: true, reason: 'version 1 is ERROR: bad file' }]);
    expect(report.readyModels).toBe(1);
    expect(evaluateReadiness({ ...running, models: [up('a'), up('b')] }, STRICT_READINESS).ready).toBe(true);
  });

  it('is not ready before the first scan and while stopping, whatever the models', () => {
    expect(evaluateReadiness({ started: false, stopping: false, models: [up('a')] }, STRICT_READINESS).reasons).toEqual(['the first repository scan has not finished']);
    expect(evaluateReadiness({ started: true, stopping: true, models: [up('a')] }, STRICT_READINESS).reasons).toEqual(['the server is shutting down']);
  });

  it('does not wait for a model unloaded on request or removed, but reports it', () => {
    const unloaded: ModelReadinessInput = { name: 'u', expected: false, unavailable: 'unloaded on request' };
    const report = evaluateReadiness({ ...running, models: [up('a'), unloaded] }, STRICT_READINESS);
    expect(report.ready).toBe(true);
    expect(report.notReady).toEqual([]);
  });

  it('require: [names] waits only for those, and lists the others without blocking', () => {
    const report = evaluateReadiness({ ...running, models: [up('a'), down('b')] }, { require: ['a'], minReady: 0 });
    expect(report.ready).toBe(true);
    expect(report.notReady).toEqual([{ name: 'b', ready: false, required: false, reason: 'version 1 is ERROR: bad file' }]);
    const missing = evaluateReadiness({ ...running, models: [up('a')] }, { require: ['a', 'ghost'], minReady: 0 });
    expect(missing.ready).toBe(false);
    expect(missing.reasons).toEqual(["model 'ghost' is not ready: not in the model repository"]);
  });

  it('min_ready counts ready models: the limit exactly is ready, one short is not', () => {
    const models = [up('a'), up('b'), down('c')];
    expect(evaluateReadiness({ ...running, models }, { require: [], minReady: 2 }).ready).toBe(true);
    const short = evaluateReadiness({ ...running, models }, { require: [], minReady: 3 });
    expect(short.ready).toBe(false);
    expect(short.reasons).toEqual(['2 model(s) ready, readiness.min_ready is 3']);
  });

  it("a model's own failing check makes it not ready, with the check's reason", () => {
    const checked: ModelReadinessInput = { name: 'code', expected: true, unavailable: undefined, check: { ready: false, reason: 'database unreachable' } };
    const report = evaluateReadiness({ ...running, models: [checked] }, STRICT_READINESS);
    expect(report.ready).toBe(false);
    expect(report.reasons).toEqual(["model 'code' is not ready: its readiness check failed: database unreachable"]);
    expect(evaluateReadiness({ ...running, models: [{ ...checked, check: { ready: true } }] }, STRICT_READINESS).ready).toBe(true);
  });

  it('an empty repository is ready unless min_ready asks for models', () => {
    expect(evaluateReadiness({ ...running, models: [] }, STRICT_READINESS).ready).toBe(true);
    expect(evaluateReadiness({ ...running, models: [] }, { require: 'all', minReady: 1 }).ready).toBe(false);
  });

  it('lists a required model missing from the repository, and required models before the others, each by name', () => {
    const report = evaluateReadiness({ ...running, models: [down('zeta'), down('alpha'), down('mid'), up('b')] }, { require: ['zeta', 'mid', 'ghost'], minReady: 0 });
    expect(report.notReady).toEqual([
      { name: 'ghost', ready: false, required: true, reason: 'not in the model repository' },
      { name: 'mid', ready: false, required: true, reason: 'version 1 is ERROR: bad file' },
      { name: 'zeta', ready: false, required: true, reason: 'version 1 is ERROR: bad file' },
      { name: 'alpha', ready: false, required: false, reason: 'version 1 is ERROR: bad file' },
    ]);
    expect(report.reasons).toContain("model 'ghost' is not ready: not in the model repository");
  });

  it("says a model's check failed without a colon when the check gives no reason", () => {
    const model: ModelReadinessInput = { name: 'code', expected: true, unavailable: undefined, check: { ready: false } };
    expect(evaluateReadiness({ ...running, models: [model] }, STRICT_READINESS).reasons).toEqual(["model 'code' is not ready: its readiness check failed"]);
  });
});
