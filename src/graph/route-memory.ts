/**
 * The routes of recent answers by request id, so that feedback naming only the request reaches the arms that
 * answered it. Bounded: the oldest entries go first.
 */
export class RouteMemory {
  readonly #routes = new Map<string, Readonly<Record<string, string>>>();
  readonly #capacity: number;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  remember(requestId: string, route: Readonly<Record<string, string>>): void {
    if (this.#routes.size >= this.#capacity) this.#routes.delete(this.#routes.keys().next().value!);
    this.#routes.set(requestId, route);
  }

  get(requestId: string): Readonly<Record<string, string>> | undefined {
    return this.#routes.get(requestId);
  }
}

/** `router=arm` pairs, comma-separated: the `ferry_route` parameter of a routed answer. */
export function formatRoute(route: Readonly<Record<string, string>>): string {
  return Object.entries(route).map(([router, arm]) => `${router}=${arm}`).join(',');
}

export function parseRoute(text: string): Record<string, string> {
  const route: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) route[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return route;
}
