import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeRepository } from './test-support/manager-fixture.ts';

let repo: FakeRepository;

beforeEach(async () => {
  repo = await FakeRepository.open();
});
afterEach(async () => {
  vi.useRealTimers();
  await repo.close();
});

const poll = () => repo.manager.sync({ waitForQuiet: true });

describe('polling the repository', () => {
  it('loads a new version folder once a poll finds it as the poll before did', async () => {
    await repo.version('m', 1, '1');
    await poll();
    expect(repo.states('m')).toEqual({});
    await poll();
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
    await repo.version('m', 2, '2');
    await poll();
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
    expect(repo.manager.model('m').selected).toEqual([1]);
    await writeFile(path.join(repo.root, 'm/2/more.bin'), 'still copying');
    await poll();
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
    await poll();
    expect(repo.states('m')).toEqual({ 1: 'END', 2: 'AVAILABLE' });
  });

  it('keeps an edited version serving its loaded files, saying why, until its folder is quiet', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    const first = repo.manager.resolve('m', {});
    await repo.version('m', 1, '1.5');
    await poll();
    expect(repo.manager.resolve('m', {})).toBe(first);
    expect(first.reason).toBe('its folder is changing: the new files load once it is the same for a poll');
    await poll();
    expect(await repo.answer('m')).toEqual({ version: 1, value: 1.5 });
    expect(repo.reason('m', 1)).toBeUndefined();
  });

  it('polls every so many seconds, not at all for 0, and stops when closed', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    await repo.version('m', 2, '2');
    repo.manager.startPolling(0);
    expect(vi.getTimerCount()).toBe(0);
    repo.manager.startPolling(2);
    vi.advanceTimersByTime(1999);
    await repo.manager.refresh([]);
    expect(repo.manager.model('m').seenStamps.has(2)).toBe(false);
    vi.advanceTimersByTime(1);
    await repo.manager.refresh([]);
    // A poll waits for a quiet folder: the next one loads it.
    expect(repo.manager.model('m').seenStamps.has(2)).toBe(true);
    expect(repo.states('m')).toEqual({ 1: 'AVAILABLE' });
    vi.advanceTimersByTime(2000);
    await repo.manager.refresh([]);
    expect(repo.states('m')).toEqual({ 1: 'END', 2: 'AVAILABLE' });
    await repo.manager.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does nothing more once closed', async () => {
    await repo.version('m', 1, '1');
    await repo.manager.sync();
    await repo.manager.close();
    expect(repo.drains).toEqual(['m/1']);
    await repo.version('n', 1, '1');
    await repo.manager.sync();
    await repo.manager.load('n');
    expect(repo.manager.has('n')).toBe(false);
  });
});
