// The management API's docs page, rendered by a real browser (Debian's Chromium through playwright-core): Swagger UI
// loads from Ferry itself (no network) and lists the API's operations from the OpenAPI document.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from './helpers/server.ts';

const CHROMIUM = process.env['FERRY_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`skipping the docs page test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set FERRY_TEST_CHROMIUM)`);
if (!available && process.env['CI'] === 'true') {
  it('finds Chromium (required under CI)', () => {
    throw new Error(`no Chromium at ${CHROMIUM}`);
  });
}

describe.runIf(available)('the /docs page', () => {
  let ferry: RunningFerry;
  let browser: Browser;
  beforeAll(async () => {
    ferry = await startFerry({ auth: { tokens: [{ name: 'docs', token: 'docs-token-0123456789', scopes: ['read'] }] } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ferry?.stop();
  });

  it('renders every operation of the management API, loading nothing from outside the server', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${ferry.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const title = await page.textContent('.info .title');
    expect(title).toContain('Ferry management API');
    const operations = await page.$$eval('.opblock', (blocks) => blocks.map((b) => `${b.querySelector('.opblock-summary-method')?.textContent} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`));
    const doc = await (await fetch(`${ferry.url}/docs/json`)).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    expect(operations.sort()).toEqual(documented.sort());
    expect(operations).toContain('PUT /api/v1/models/{model}/aliases/{alias}');
    expect(await page.isVisible('.authorize')).toBe(true);
    expect(requested.every((url) => url.startsWith(ferry.url))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
