import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS } from './catalogue.ts';
import { ferryError } from './ferry-error.ts';
import { renderErrorsDoc } from './render-doc.ts';

describe('error catalogue', () => {
  it('is documented exactly in docs/errors.md (regenerate with node scripts/errors-doc.ts > docs/errors.md)', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    expect(doc).toBe(renderErrorsDoc());
  });

  it('gives every code an HTTP error status and fills message parameters', () => {
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^FERRY_ERR_[A-Z0-9_]+$/);
      expect(e.http).toBeGreaterThanOrEqual(400);
      expect(e.http).toBeLessThan(600);
    }
    const error = ferryError('FERRY_ERR_MODEL_NOT_FOUND', { model: 'm' });
    expect(error.message).toBe("model 'm' not found");
    expect(error.http).toBe(404);
    expect(error.grpc).toBe('NOT_FOUND');
    expect(error.stack).not.toMatch(/\n\s+at /); // client errors carry no stack trace
    expect(ferryError('FERRY_ERR_INTERNAL', { detail: 'x' }).stack).toMatch(/\n\s+at /);
    expect(new Error('after').stack).toMatch(/\n\s+at /); // the global limit is restored
  });
});
