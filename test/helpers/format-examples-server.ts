import { afterAll, beforeAll } from 'vitest';
import { FORMAT_EXAMPLES, readReference, type ExampleReference } from '../fixtures/examples/references.ts';
import { startFerry, type RunningFerry } from './server.ts';

export interface ServedFormatExamples {
  /** The running server's base URL (read it inside tests: the server starts in beforeAll). */
  readonly url: string;
  /** What the training library answered for an example model (examples/models/<model>/reference.json). */
  reference(model: string): ExampleReference;
}

/**
 * A real Ferry (HTTP only) over examples/models for the file's tests, with every format example's reference
 * read once. Call at the top level of a test file: it registers the beforeAll that starts the server and the
 * afterAll that stops it.
 */
export function serveFormatExamples(): ServedFormatExamples {
  let ferry: RunningFerry | undefined;
  const references = new Map<string, ExampleReference>();
  beforeAll(async () => {
    ferry = await startFerry({ grpc: { enabled: false } });
    for (const example of FORMAT_EXAMPLES) references.set(example.model, await readReference(example.model));
  });
  afterAll(async () => ferry?.stop());
  return {
    get url() {
      if (!ferry) throw new Error('the format examples server is not started yet (read url inside a test)');
      return ferry.url;
    },
    reference: (model) => references.get(model)!,
  };
}
