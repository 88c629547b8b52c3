import { describe, expect, it } from 'vitest';
import { createTracing } from './index.ts';

describe('createTracing', () => {
  it('is off unless tracing.enabled, and OTEL_SDK_DISABLED=true turns it off whatever the configuration says', async () => {
    expect(createTracing({ enabled: false }, {})).toBeUndefined();
    expect(createTracing({ enabled: true }, { OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(createTracing({ enabled: true }, { OTEL_SDK_DISABLED: ' TRUE ' })).toBeUndefined();
    const tracer = createTracing({ enabled: true }, { OTEL_SDK_DISABLED: 'false' });
    expect(tracer).toBeDefined();
    await tracer!.shutdown();
  });

  it("continues a valid incoming traceparent, starts a new trace for an invalid one, and answers the server span's own", async () => {
    const tracer = createTracing({ enabled: true }, {})!;
    try {
      const continued = tracer.start('x', 'v2-rest', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', undefined)!;
      expect(continued.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      expect(continued.traceparent).not.toContain('b7ad6b7169203331');
      continued.end(200);
      const fresh = tracer.start('x', 'v2-rest', '00-zzz-bad-01', undefined)!;
      expect(fresh.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(fresh.traceparent).not.toContain('0af7651916cd43dd8448eb211c80319c');
      fresh.end(200);
      // A parent that was not sampled is followed (parent-based sampling): no trace object is made for the request.
      expect(tracer.start('x', 'v2-rest', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', undefined)).toBeUndefined();
    } finally {
      await tracer.shutdown();
    }
  });
});
