import { ferryError } from '../../errors/index.ts';

export type TfVerb = 'predict' | 'classify' | 'regress';

/** What a `/v1/models/...` path names: the model, an optional version or label, and what to do. */
export interface TfModelPath {
  readonly model: string;
  readonly version?: string;
  readonly label?: string;
}

/**
 * Parses the part after `/v1/models/`: `{name}[/versions/{v}|/labels/{l}]` followed by `:verb` (POST) or by
 * nothing or `/metadata` (GET). The verb follows a colon, which fastify's router treats as a parameter marker,
 * so the routes are wildcards and the split happens here. Unknown shapes are 404; version and label together 400.
 */
export function parseModelPath(method: 'GET' | 'POST', rest: string, url: string): TfModelPath & { verb?: TfVerb; metadata?: boolean } {
  const notFound = () => ferryError('FERRY_ERR_ROUTE_NOT_FOUND', { method, path: url.split('?')[0]!.slice(0, 200) });
  let base = rest;
  let verb: TfVerb | undefined;
  let metadata = false;
  if (method === 'POST') {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw notFound();
    const name = rest.slice(colon + 1);
    if (name !== 'predict' && name !== 'classify' && name !== 'regress') throw notFound();
    verb = name;
    base = rest.slice(0, colon);
  } else if (rest.endsWith('/metadata')) {
    metadata = true;
    base = rest.slice(0, -'/metadata'.length);
  }
  const segments = base.split('/');
  const model = segments[0]!;
  if (model === '' || model.includes(':')) throw notFound();
  let version: string | undefined;
  let label: string | undefined;
  for (let i = 1; i < segments.length; i += 2) {
    const key = segments[i];
    const value = segments[i + 1];
    if (value === undefined || value === '') throw notFound();
    if (key === 'versions' && version === undefined) version = value;
    else if (key === 'labels' && label === undefined) label = value;
    else throw notFound();
  }
  if (version !== undefined && label !== undefined) throw ferryError('FERRY_ERR_VERSION_AND_LABEL');
  return {
    model,
    ...(version !== undefined ? { version } : {}),
    ...(label !== undefined ? { label } : {}),
    ...(verb ? { verb } : {}),
    ...(metadata ? { metadata } : {}),
  };
}
