import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GraphArmStats } from '../../registry/index.ts';
import type { GraphStateStore, TrafficChange } from './state-store.ts';

interface FileContents {
  arms: Record<string, GraphArmStats[]>;
  traffic: Record<string, Record<string, Record<string, number>>>;
  /** The newest traffic changes, newest last (the registry's audit log stands in for this where there is one). */
  changes: { at: string; actor: string; action: string; graph: string; router: string; before: unknown; after: unknown }[];
}

const MAX_CHANGES = 1000;

/**
 * Graph state in one JSON file, for a server without a registry store: written whole to a temporary file and
 * renamed over the old one, so that a crash leaves the old state or the new, never half of one. One process only.
 */
export class FileGraphState implements GraphStateStore {
  readonly kind = 'file';
  readonly #file: string;
  #contents: FileContents | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
  }

  async #read(): Promise<FileContents> {
    if (this.#contents) return this.#contents;
    try {
      const parsed = JSON.parse(await readFile(this.#file, 'utf8')) as Partial<FileContents>;
      this.#contents = { arms: parsed.arms ?? {}, traffic: parsed.traffic ?? {}, changes: parsed.changes ?? [] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.#contents = { arms: {}, traffic: {}, changes: [] };
    }
    return this.#contents;
  }

  #save(contents: FileContents): Promise<void> {
    const write = async () => {
      await mkdir(path.dirname(this.#file), { recursive: true });
      const temporary = `${this.#file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(contents));
      await rename(temporary, this.#file);
    };
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }

  async addArmStats(graph: string, deltas: readonly GraphArmStats[]): Promise<void> {
    if (deltas.length === 0) return;
    const contents = await this.#read();
    const arms = contents.arms[graph] ?? [];
    for (const d of deltas) {
      const index = arms.findIndex((a) => a.router === d.router && a.arm === d.arm);
      const before = index < 0 ? { router: d.router, arm: d.arm, pulls: 0, reward: 0 } : arms[index]!;
      const after = { router: d.router, arm: d.arm, pulls: before.pulls + d.pulls, reward: before.reward + d.reward };
      if (index < 0) arms.push(after);
      else arms[index] = after;
    }
    contents.arms[graph] = arms;
    await this.#save(contents);
  }

  async armStats(graph: string): Promise<GraphArmStats[]> {
    return [...((await this.#read()).arms[graph] ?? [])];
  }

  async setTraffic(graph: string, router: string, weights: Readonly<Record<string, number>>, change: TrafficChange): Promise<void> {
    const contents = await this.#read();
    const routers = contents.traffic[graph] ?? {};
    contents.changes.push({ at: new Date().toISOString(), actor: change.actor, action: `graph.${change.action}`, graph, router, before: routers[router] ?? null, after: weights });
    if (contents.changes.length > MAX_CHANGES) contents.changes.splice(0, contents.changes.length - MAX_CHANGES);
    routers[router] = { ...weights };
    contents.traffic[graph] = routers;
    await this.#save(contents);
  }

  async traffic(graph: string): Promise<Record<string, Record<string, number>>> {
    return structuredClone((await this.#read()).traffic[graph] ?? {});
  }
}
