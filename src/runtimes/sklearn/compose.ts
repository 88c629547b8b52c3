import type { Column } from '../tabular.ts';
import { at, invalidModel, type CompileContext } from './compile-context.ts';
import type { EstimatorNode } from './document.ts';
import type { Frame, Step, Transformer } from './frame.ts';

export type CompileNode = (node: EstimatorNode, width: number, ctx: CompileContext) => Step;

/** Pipeline: transformers in order, then a transformer or a predictor. */
export function pipeline(node: EstimatorNode, width: number, ctx: CompileContext, compile: CompileNode): Step {
  const nodes = node.steps as EstimatorNode[];
  const transformers: Transformer[] = [];
  let current = width;
  let last: Step | undefined;
  nodes.forEach((stepNode, i) => {
    const step = compile(stepNode, current, at(ctx, `steps/${i}`));
    if (i < nodes.length - 1) {
      if (step.role !== 'transformer') throw invalidModel(ctx, `step ${i} (${stepNode.type}) is a final estimator but is not the last step`);
      transformers.push(step);
      current = step.width;
    }
    last = step;
  });
  const run = (frame: Frame): Frame => transformers.reduce((f, t) => t.transform(f), frame);
  const final = last!;
  if (final.role === 'transformer') {
    return { role: 'transformer', width: final.width, transform: (frame) => final.transform(run(frame)) };
  }
  return { ...final, predict: (frame) => final.predict(run(frame)) };
}

interface Part {
  readonly columns: readonly number[];
  readonly transformer: Transformer | null;
  readonly weight: number;
}

/** ColumnTransformer: each part sees its columns; outputs are concatenated in order. */
export function columnTransformer(node: EstimatorNode, width: number, ctx: CompileContext, compile: CompileNode): Transformer {
  const entries = node.transformers as { name: string; columns: number[]; estimator: EstimatorNode | 'passthrough'; weight?: number }[];
  const parts: Part[] = entries.map((entry, i) => {
    const here = at(ctx, `transformers/${i}(${entry.name})`);
    for (const c of entry.columns) if (c >= width) throw invalidModel(here, `column ${c} is out of range (${width} inputs)`);
    if (entry.estimator === 'passthrough') return { columns: entry.columns, transformer: null, weight: entry.weight ?? 1 };
    const step = compile(entry.estimator, entry.columns.length, at(here, 'estimator'));
    if (step.role !== 'transformer') throw invalidModel(here, `${entry.estimator.type} is not a transformer`);
    return { columns: entry.columns, transformer: step, weight: entry.weight ?? 1 };
  });
  const outWidth = parts.reduce((sum, p) => sum + (p.transformer ? p.transformer.width : p.columns.length), 0);
  return {
    role: 'transformer',
    width: outWidth,
    transform(frame: Frame): Frame {
      const columns: Column[] = [];
      for (const part of parts) {
        const selected: Frame = { rows: frame.rows, columns: part.columns.map((c) => frame.columns[c]!) };
        const output = part.transformer ? part.transformer.transform(selected) : selected;
        for (const column of output.columns) {
          columns.push(part.weight !== 1 && column instanceof Float64Array ? column.map((v) => v * part.weight) : column);
        }
      }
      return { rows: frame.rows, columns };
    },
  };
}
