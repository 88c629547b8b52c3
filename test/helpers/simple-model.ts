/** One row for the example model 'simple' (Triton's add/sub model: INPUT0 and INPUT1, INT32 [-1, 16]). */
export const SIMPLE_ROW: readonly number[] = Array.from({ length: 16 }, (_, i) => i);

/** A valid one-row V2 infer body for 'simple', both inputs holding SIMPLE_ROW; a fresh object each call. */
export function simpleRequest(): { inputs: { name: string; datatype: string; shape: number[]; data: number[] }[] } {
  return {
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: [...SIMPLE_ROW] },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: [...SIMPLE_ROW] },
    ],
  };
}
