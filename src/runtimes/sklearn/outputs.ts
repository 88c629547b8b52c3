import type { Datatype, Tensor, TensorMetadata } from '../../tensor/index.ts';
import type { Labels, Predictor, Prediction, Step } from './frame.ts';
import { numericColumn, type Frame } from './frame.ts';

/** Output names: sklearn's method names. */
export const PREDICT = 'predict';
export const PREDICT_PROBA = 'predict_proba';
export const TRANSFORM = 'transform';

const encoder = new TextEncoder();

/** Class labels are served as INT64 when all are integers, BYTES when strings, FP64 otherwise. */
export function labelDatatype(classes: Labels): Datatype {
  if (classes.every((c) => typeof c === 'string')) return 'BYTES';
  return classes.every((c) => Number.isSafeInteger(c)) ? 'INT64' : 'FP64';
}

export function outputSignature(step: Step): TensorMetadata[] {
  if (step.role === 'transformer') return [{ name: TRANSFORM, datatype: 'FP64', shape: [-1, step.width] }];
  if (step.task === 'regression') return [{ name: PREDICT, datatype: 'FP64', shape: [-1] }];
  if (step.task === 'cluster') return [{ name: PREDICT, datatype: 'INT64', shape: [-1] }];
  const outputs: TensorMetadata[] = [{ name: PREDICT, datatype: labelDatatype(step.classes!), shape: [-1] }];
  if (step.hasProba) outputs.push({ name: PREDICT_PROBA, datatype: 'FP64', shape: [-1, step.classes!.length] });
  return outputs;
}

/** Rows [start, end) of a prediction as output tensors. */
export function predictionTensors(predictor: Predictor, prediction: Prediction, start: number, end: number): Tensor[] {
  const rows = end - start;
  if (prediction.task === 'regression') return [{ name: PREDICT, datatype: 'FP64', shape: [rows], data: prediction.values.slice(start, end) }];
  if (prediction.task === 'cluster') {
    return [{ name: PREDICT, datatype: 'INT64', shape: [rows], data: BigInt64Array.from(prediction.labels.subarray(start, end), (v) => BigInt(v)) }];
  }
  const classes = predictor.classes!;
  const index = prediction.classIndex.subarray(start, end);
  const datatype = labelDatatype(classes);
  const data = datatype === 'BYTES'
    ? Array.from(index, (i) => encoder.encode(classes[i] as string))
    : datatype === 'INT64'
      ? BigInt64Array.from(index, (i) => BigInt(classes[i] as number))
      : Float64Array.from(index, (i) => classes[i] as number);
  const tensors: Tensor[] = [{ name: PREDICT, datatype, shape: [rows], data }];
  if (prediction.proba) {
    const k = classes.length;
    tensors.push({ name: PREDICT_PROBA, datatype: 'FP64', shape: [rows, k], data: prediction.proba.slice(start * k, end * k) });
  }
  return tensors;
}

/** Rows [start, end) of a transformed frame as one row-major [rows, width] tensor. */
export function transformTensor(frame: Frame, start: number, end: number): Tensor {
  const width = frame.columns.length;
  const rows = end - start;
  const data = new Float64Array(rows * width);
  frame.columns.forEach((column, j) => {
    const numbers = numericColumn(column, 'the transform output');
    for (let r = 0; r < rows; r++) data[r * width + j] = numbers[start + r]!;
  });
  return { name: TRANSFORM, datatype: 'FP64', shape: [rows, width], data };
}
