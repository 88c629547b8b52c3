import { ferryError } from '../../errors/index.ts';
import type { Parameters } from '../../tensor/index.ts';
import { int64ToNumber } from './int64.ts';
import type { OutParameters, WireParameters } from './messages.ts';

/** InferParameter map → Parameters; undefined when the map is empty. 64-bit values must be safe integers. */
export function decodeParameters(wire: WireParameters): Parameters | undefined {
  let out: Parameters | undefined;
  for (const key in wire) {
    const p = wire[key]!;
    let value: string | number | boolean;
    switch (p.parameter_choice) {
      case 'bool_param': value = p.bool_param!; break;
      case 'string_param': value = p.string_param!; break;
      case 'double_param': value = p.double_param!; break;
      case 'int64_param':
      case 'uint64_param': {
        const n = int64ToNumber(p[p.parameter_choice]!);
        if (n === undefined) throw ferryError('FERRY_ERR_PARAMETER_INVALID', { parameter: key, detail: 'integer parameters must lie within ±2^53' });
        value = n;
        break;
      }
      default:
        throw ferryError('FERRY_ERR_PARAMETER_INVALID', { parameter: key, detail: 'no value set (bool_param, int64_param, string_param or double_param)' });
    }
    (out ??= {})[key] = value;
  }
  return out;
}

/** Parameters → InferParameter map: integers as int64_param, other numbers as double_param. */
export function encodeParameters(parameters: Parameters): OutParameters {
  const out: OutParameters = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (typeof value === 'boolean') out[key] = { bool_param: value };
    else if (typeof value === 'string') out[key] = { string_param: value };
    else if (Number.isSafeInteger(value)) out[key] = { int64_param: value };
    else out[key] = { double_param: value };
  }
  return out;
}
