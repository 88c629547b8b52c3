import { ferryError } from '../../errors/index.ts';
import type { LoadOptions } from '../../dataplane/index.ts';
import { configFromTriton } from './config-override.ts';

const FILE_PREFIX = 'file:';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One load parameter as the protocols carry it: text (REST, gRPC string_param) or bytes (gRPC bytes_param). */
export type LoadParameter = string | Uint8Array | number | boolean;

/**
 * The parameters of a repository load, as Triton's model repository extension defines them: `config` (the model
 * configuration as JSON text) and `file:<version>/<path>` (a model file; base64 text over REST, bytes over gRPC).
 * Files need a config, as Triton requires. Other parameters are refused.
 */
export function loadOptionsFrom(model: string, parameters: Readonly<Record<string, LoadParameter>>, labelFile: string): LoadOptions {
  const refuse = (detail: string) => ferryError('FERRY_ERR_INVALID_REQUEST', { detail });
  let config: LoadOptions['config'];
  const files = new Map<string, Uint8Array>();
  for (const [key, value] of Object.entries(parameters)) {
    if (key === 'config') {
      if (typeof value !== 'string') throw refuse("the 'config' parameter is the model configuration as JSON text");
      config = configFromTriton(model, value, labelFile);
    } else if (key.startsWith(FILE_PREFIX)) {
      files.set(key.slice(FILE_PREFIX.length), fileBytes(key, value));
    } else {
      throw refuse(`unknown load parameter '${key.slice(0, 64)}' (Ferry takes 'config' and 'file:<version>/<path>')`);
    }
  }
  if (files.size > 0 && config === undefined) throw refuse("uploaded files need the 'config' parameter too, as Triton requires");
  return { ...(config !== undefined ? { config } : {}), ...(files.size > 0 ? { files } : {}) };
}

function fileBytes(key: string, value: LoadParameter): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== 'string') throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `'${key.slice(0, 100)}' must hold the file's contents as base64 text` });
  const text = value.replace(/\s+/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `'${key.slice(0, 100)}' is not base64` });
  return Buffer.from(text, 'base64');
}
