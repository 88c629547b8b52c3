import { describe, expect, it } from 'vitest';
import { isFerryError } from '../errors/index.ts';
import type { ModelSignature } from '../runtimes/runtime.ts';
import type { InferRequest, Tensor } from '../tensor/index.ts';
import { refuseSharedMemory, validateRequest } from './validate.ts';

const signature: ModelSignature = {
  platform: 'test_platform',
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 2] },
    { name: 'y', datatype: 'INT64', shape: [3] },
  ],
  outputs: [
    { name: 'a', datatype: 'FP32', shape: [-1] },
    { name: 'b', datatype: 'FP32', shape: [-1] },
  ],
};

const x = (rows = 1, data = new Float32Array(rows * 2)): Tensor => ({ name: 'x', datatype: 'FP32', shape: [rows, 2], data });
const y = (): Tensor => ({ name: 'y', datatype: 'INT64', shape: [3], data: new BigInt64Array(3) });
const bytes = (...texts: (string | number[])[]): Uint8Array[] => texts.map((t) => (typeof t === 'string' ? new TextEncoder().encode(t) : Uint8Array.from(t)));

/** The code and message validation fails with, or 'valid'. */
function outcome(request: InferRequest, sig: ModelSignature = signature, maxRows?: number): string {
  try {
    validateRequest('m', sig, request, maxRows);
  } catch (error) {
    if (!isFerryError(error)) throw error;
    return `${error.code}: ${error.message}`;
  }
  return 'valid';
}

describe('validateRequest', () => {
  it('takes a request whose inputs match the signature, in its order or another', () => {
    expect(outcome({ inputs: [x(), y()] })).toBe('valid');
    expect(outcome({ inputs: [y(), x(4)] })).toBe('valid');
  });

  it('reports a missing input by name when the request has fewer inputs', () => {
    expect(outcome({ inputs: [x()] })).toBe("FERRY_ERR_INPUT_MISSING: model 'm' requires input 'y'");
    expect(outcome({ inputs: [y()] })).toBe("FERRY_ERR_INPUT_MISSING: model 'm' requires input 'x'");
    expect(outcome({ inputs: [] })).toBe("FERRY_ERR_INPUT_MISSING: model 'm' requires input 'x'");
  });

  it('reports a missing input before anything wrong with the inputs that are there', () => {
    const wrong: Tensor = { name: 'x', datatype: 'INT32', shape: [1, 2], data: new Int32Array(2) };
    expect(outcome({ inputs: [wrong] })).toBe("FERRY_ERR_INPUT_MISSING: model 'm' requires input 'y'");
  });

  it('reports a repeated input, before a missing one when the counts differ', () => {
    expect(outcome({ inputs: [x(), x(), y()] })).toBe("FERRY_ERR_INPUT_DUPLICATE: input 'x' appears more than once");
    expect(outcome({ inputs: [y(), y()] })).toBe("FERRY_ERR_INPUT_DUPLICATE: input 'y' appears more than once");
  });

  it('with as many inputs as declared, finds a repeat that hides a missing input after checking each input', () => {
    expect(outcome({ inputs: [x(), x()] })).toBe("FERRY_ERR_INPUT_DUPLICATE: input 'x' appears more than once");
    const wrong: Tensor = { name: 'x', datatype: 'FP64', shape: [1, 2], data: new Float64Array(2) };
    expect(outcome({ inputs: [x(), wrong] })).toBe("FERRY_ERR_DATATYPE_MISMATCH: input 'x' has datatype FP64, model expects FP32");
  });

  it('refuses an input the model does not declare, listing the inputs it has', () => {
    const z: Tensor = { name: 'z', datatype: 'FP32', shape: [3], data: new Float32Array(3) };
    expect(outcome({ inputs: [x(), z] })).toBe("FERRY_ERR_INPUT_UNEXPECTED: model 'm' has no input 'z' (inputs: x, y)");
    expect(outcome({ inputs: [x(), y(), z] })).toBe("FERRY_ERR_INPUT_UNEXPECTED: model 'm' has no input 'z' (inputs: x, y)");
  });

  it('refuses another datatype, and says what the model takes', () => {
    const ints: Tensor = { name: 'x', datatype: 'INT32', shape: [1, 2], data: new Int32Array(2) };
    expect(outcome({ inputs: [ints, y()] })).toBe("FERRY_ERR_DATATYPE_MISMATCH: input 'x' has datatype INT32, model expects FP32");
  });

  it('takes any numeric datatype for a float input of a model that converts, and says so when refusing BYTES', () => {
    const converting: ModelSignature = { ...signature, numericInputs: 'convert' };
    const ints: Tensor = { name: 'x', datatype: 'INT32', shape: [1, 2], data: new Int32Array(2) };
    const flags: Tensor = { name: 'x', datatype: 'BOOL', shape: [1, 2], data: new Uint8Array(2) };
    expect(outcome({ inputs: [ints, y()] }, converting)).toBe('valid');
    expect(outcome({ inputs: [flags, y()] }, converting)).toBe('valid');
    const text: Tensor = { name: 'x', datatype: 'BYTES', shape: [1, 2], data: bytes('a', 'b') };
    expect(outcome({ inputs: [text, y()] }, converting)).toBe(
      "FERRY_ERR_DATATYPE_MISMATCH: input 'x' has datatype BYTES, model expects a numeric datatype (BOOL, INT*, UINT*, FP*; it computes in FP32)",
    );
    // An integer input is not converted: it must come as declared.
    const floats: Tensor = { name: 'y', datatype: 'FP32', shape: [3], data: new Float32Array(3) };
    expect(outcome({ inputs: [x(), floats] }, converting)).toBe("FERRY_ERR_DATATYPE_MISMATCH: input 'y' has datatype FP32, model expects INT64");
  });

  it('refuses a shape of another rank or another fixed size; -1 takes any size, 0 included', () => {
    const flat: Tensor = { name: 'x', datatype: 'FP32', shape: [2], data: new Float32Array(2) };
    expect(outcome({ inputs: [flat, y()] })).toBe("FERRY_ERR_SHAPE_MISMATCH: input 'x' has shape [2], model expects [-1,2]");
    const wide: Tensor = { name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) };
    expect(outcome({ inputs: [wide, y()] })).toBe("FERRY_ERR_SHAPE_MISMATCH: input 'x' has shape [1,3], model expects [-1,2]");
    const deep: Tensor = { name: 'x', datatype: 'FP32', shape: [1, 2, 1], data: new Float32Array(2) };
    expect(outcome({ inputs: [deep, y()] })).toBe("FERRY_ERR_SHAPE_MISMATCH: input 'x' has shape [1,2,1], model expects [-1,2]");
    const short: Tensor = { name: 'y', datatype: 'INT64', shape: [2], data: new BigInt64Array(2) };
    expect(outcome({ inputs: [x(), short] })).toBe("FERRY_ERR_SHAPE_MISMATCH: input 'y' has shape [2], model expects [3]");
    expect(outcome({ inputs: [x(0), y()] })).toBe('valid');
    expect(outcome({ inputs: [x(1000), y()] })).toBe('valid');
  });

  it('takes max_request_rows rows and refuses one more', () => {
    expect(outcome({ inputs: [x(4), y()] }, signature, 4)).toBe('valid');
    expect(outcome({ inputs: [x(5), y()] }, signature, 4)).toBe(
      "FERRY_ERR_BATCH_TOO_LARGE: inference request batch-size must be <= 4 for 'm': input 'x' has 5 rows (model.yaml max_request_rows)",
    );
    expect(outcome({ inputs: [x(5), y()] })).toBe('valid');
    // The limit counts the first dimension of every input: y's 3 elements are 3 rows.
    expect(outcome({ inputs: [x(1), y()] }, signature, 2)).toBe(
      "FERRY_ERR_BATCH_TOO_LARGE: inference request batch-size must be <= 2 for 'm': input 'y' has 3 rows (model.yaml max_request_rows)",
    );
  });

  it('takes a scalar input under a row limit: it has no rows to count', () => {
    const scalar: ModelSignature = { platform: 'p', inputs: [{ name: 's', datatype: 'FP64', shape: [] }], outputs: [] };
    expect(outcome({ inputs: [{ name: 's', datatype: 'FP64', shape: [], data: Float64Array.of(1) }] }, scalar, 1)).toBe('valid');
  });

  it('refuses data with more or fewer elements than its shape; an empty tensor has none', () => {
    expect(outcome({ inputs: [x(2, new Float32Array(3)), y()] })).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 3 elements, its shape [2,2] needs 4");
    expect(outcome({ inputs: [x(2, new Float32Array(5)), y()] })).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 5 elements, its shape [2,2] needs 4");
    expect(outcome({ inputs: [x(0, new Float32Array(1)), y()] })).toBe("FERRY_ERR_ELEMENT_COUNT: tensor 'x' has 1 elements, its shape [0,2] needs 0");
    expect(outcome({ inputs: [x(0, new Float32Array(0)), y()] })).toBe('valid');
  });

  describe('BYTES inputs of a model that reads them as text', () => {
    const textModel = (reading?: 'text' | 'c-string'): ModelSignature => ({
      platform: 'text_platform',
      inputs: [{ name: 's', datatype: 'BYTES', shape: [-1] }, { name: 'n', datatype: 'FP32', shape: [-1] }],
      outputs: [],
      ...(reading === undefined ? {} : { bytesInputs: reading }),
    });
    const request = (data: Uint8Array[]): InferRequest => ({
      inputs: [{ name: 's', datatype: 'BYTES', shape: [data.length], data }, { name: 'n', datatype: 'FP32', shape: [1], data: Float32Array.of(1) }],
    });

    it('refuses an element that is not UTF-8, naming its index and how the model reads', () => {
      expect(outcome(request(bytes('ok', [0xff, 0x41])), textModel('text'))).toBe(
        "FERRY_ERR_BYTES_UNREADABLE: input 's' element 1 is not valid UTF-8, which model 'm' cannot read: it reads BYTES inputs as UTF-8 text (text_platform)",
      );
      expect(outcome(request(bytes([0xc3])), textModel('text'))).toBe(
        "FERRY_ERR_BYTES_UNREADABLE: input 's' element 0 is not valid UTF-8, which model 'm' cannot read: it reads BYTES inputs as UTF-8 text (text_platform)",
      );
    });

    it('takes a NUL byte as text, and refuses it for a model whose strings end there', () => {
      expect(outcome(request(bytes('a', [0x61, 0x00, 0x62])), textModel('text'))).toBe('valid');
      expect(outcome(request(bytes('a', [0x61, 0x00, 0x62])), textModel('c-string'))).toBe(
        "FERRY_ERR_BYTES_UNREADABLE: input 's' element 1 holds a NUL byte at offset 1, which model 'm' cannot read: "
        + 'it reads BYTES inputs as UTF-8 text that ends at the first NUL byte (text_platform)',
      );
    });

    it('takes valid text, an empty element and no elements; a model that takes any bytes takes anything', () => {
      expect(outcome(request(bytes('héllo', '', 'ü')), textModel('c-string'))).toBe('valid');
      expect(outcome(request([]), textModel('text'))).toBe('valid');
      expect(outcome(request(bytes([0xff, 0x00])), textModel())).toBe('valid');
    });
  });

  it('refuses an output the model does not have, and one asked for twice', () => {
    expect(outcome({ inputs: [x(), y()], outputs: [{ name: 'c' }] })).toBe("FERRY_ERR_OUTPUT_UNKNOWN: model 'm' has no output 'c' (outputs: a, b)");
    expect(outcome({ inputs: [x(), y()], outputs: [{ name: 'b' }, { name: 'a' }, { name: 'b' }] })).toBe("FERRY_ERR_OUTPUT_DUPLICATE: output 'b' is requested more than once");
    expect(outcome({ inputs: [x(), y()], outputs: [{ name: 'b' }, { name: 'a' }] })).toBe('valid');
    expect(outcome({ inputs: [x(), y()], outputs: [] })).toBe('valid');
  });

  it('checks the inputs before the outputs', () => {
    expect(outcome({ inputs: [x()], outputs: [{ name: 'c' }] })).toBe("FERRY_ERR_INPUT_MISSING: model 'm' requires input 'y'");
  });
});

describe('refuseSharedMemory', () => {
  const region = (name: string) => ({ shared_memory_region: name });

  it('refuses an input or an output that names a shared-memory region', () => {
    const refusal = (request: InferRequest) => {
      try {
        refuseSharedMemory(request);
      } catch (error) {
        return isFerryError(error) ? `${error.code} ${error.http}: ${error.message}` : String(error);
      }
      return 'taken';
    };
    expect(refusal({ inputs: [{ ...x(), parameters: region('in_region') }] })).toBe(
      "FERRY_ERR_EXTENSION_UNSUPPORTED 400: shared memory is not supported by Ferry: 'x' names the region 'in_region'; tensors travel in the request and response bodies",
    );
    expect(refusal({ inputs: [x()], outputs: [{ name: 'a' }, { name: 'b', parameters: region('out') }] })).toBe(
      "FERRY_ERR_EXTENSION_UNSUPPORTED 400: shared memory is not supported by Ferry: 'b' names the region 'out'; tensors travel in the request and response bodies",
    );
    // A region's name is cut to 64 characters in the answer.
    expect(refusal({ inputs: [{ ...x(), parameters: region('r'.repeat(64) + 'TAIL') }] })).toBe(
      `FERRY_ERR_EXTENSION_UNSUPPORTED 400: shared memory is not supported by Ferry: 'x' names the region '${'r'.repeat(64)}'; tensors travel in the request and response bodies`,
    );
    expect(refusal({ inputs: [{ ...x(), parameters: { binary_data_size: 8 } }], outputs: [{ name: 'a', parameters: { binary_data: true } }] })).toBe('taken');
    expect(refusal({ inputs: [] })).toBe('taken');
  });
});
