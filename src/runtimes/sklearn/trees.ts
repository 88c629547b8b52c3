import { at, expectLength, invalidModel, type CompileContext } from './compile-context.ts';
import { real, reals, type EstimatorNode, type Real, type TreeNode } from './document.ts';
import { argmaxRows, classifier, numericColumns, regressor, type Frame, type Labels, type Predictor } from './frame.ts';
import { binaryProba, sigmoid, softmaxRows } from './link.ts';
import { compileTree, leafIndex, type CompiledTree } from './tree.ts';

/** Sum over trees of their leaf values, row-major [rows, k], divided by `divisor` (the mean for forests). */
function averageLeaves(trees: readonly CompiledTree[], frame: Frame, k: number, where: string): Float64Array {
  const x = numericColumns(frame, where);
  const out = new Float64Array(frame.rows * k);
  for (const tree of trees) {
    for (let r = 0; r < frame.rows; r++) {
      const leaf = leafIndex(tree, x, r);
      for (let j = 0; j < k; j++) out[r * k + j]! += tree.value[leaf * k + j]!;
    }
  }
  for (let i = 0; i < out.length; i++) out[i]! /= trees.length;
  return out;
}

function compileTrees(nodes: readonly TreeNode[], width: number, k: number, ctx: CompileContext): CompiledTree[] {
  return nodes.map((t, i) => compileTree(t, width, k, at(ctx, `trees/${i}`)));
}

function treeClassifier(classes: Labels, trees: CompiledTree[], type: string): Predictor {
  const k = classes.length;
  return classifier(classes, true, (frame) => {
    const proba = averageLeaves(trees, frame, k, type);
    return { classIndex: argmaxRows(proba, frame.rows, k), proba };
  });
}

function treeRegressor(trees: CompiledTree[], type: string): Predictor {
  return regressor((frame) => averageLeaves(trees, frame, 1, type));
}

/** DecisionTreeClassifier: leaves hold class probabilities. */
export function decisionTreeClassifier(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const classes = node.classes as Labels;
  return treeClassifier(classes, [compileTree(node.tree as TreeNode, width, classes.length, at(ctx, 'tree'))], node.type);
}

export function decisionTreeRegressor(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  return treeRegressor([compileTree(node.tree as TreeNode, width, 1, at(ctx, 'tree'))], node.type);
}

/** RandomForest / ExtraTrees classifiers: the mean of the trees' probabilities. */
export function forestClassifier(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const classes = node.classes as Labels;
  return treeClassifier(classes, compileTrees(node.trees as TreeNode[], width, classes.length, ctx), node.type);
}

export function forestRegressor(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  return treeRegressor(compileTrees(node.trees as TreeNode[], width, 1, ctx), node.type);
}

/** Raw scores [rows, k] = init + learning_rate * tree values, added stage by stage as sklearn does. */
function boostedRaw(stages: readonly CompiledTree[][], init: Float64Array, rate: number, frame: Frame, where: string): Float64Array {
  const x = numericColumns(frame, where);
  const k = init.length;
  const raw = new Float64Array(frame.rows * k);
  for (let r = 0; r < frame.rows; r++) for (let j = 0; j < k; j++) raw[r * k + j] = init[j]!;
  for (const stage of stages) {
    for (let j = 0; j < k; j++) {
      const tree = stage[j]!;
      for (let r = 0; r < frame.rows; r++) raw[r * k + j]! += rate * tree.value[leafIndex(tree, x, r)]!;
    }
  }
  return raw;
}

function compileStages(node: EstimatorNode, width: number, k: number, ctx: CompileContext): CompiledTree[][] {
  return (node.trees as TreeNode[][]).map((stage, s) => {
    expectLength(at(ctx, `trees/${s}`), 'stage', stage.length, k);
    return stage.map((t, j) => compileTree(t, width, 1, at(ctx, `trees/${s}/${j}`)));
  });
}

export function gradientBoostingRegressor(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const init = reals(node.init as Real[]);
  const stages = compileStages(node, width, 1, ctx);
  const rate = real(node.learning_rate as Real);
  return regressor((frame) => boostedRaw(stages, init, rate, frame, node.type));
}

/** Binary: logistic (log_loss) or exponential loss on one raw score; multiclass: softmax over one per class. */
export function gradientBoostingClassifier(node: EstimatorNode, width: number, ctx: CompileContext): Predictor {
  const classes = node.classes as Labels;
  const link = node.link as 'logistic' | 'exponential' | 'softmax';
  const init = reals(node.init as Real[]);
  const k = link === 'softmax' ? classes.length : 1;
  if (link === 'softmax' ? classes.length < 3 : classes.length !== 2) throw invalidModel(ctx, `link '${link}' does not fit ${classes.length} classes`);
  expectLength(ctx, 'init', init.length, k);
  const stages = compileStages(node, width, k, ctx);
  const rate = real(node.learning_rate as Real);
  return classifier(classes, true, (frame) => {
    const raw = boostedRaw(stages, init, rate, frame, node.type);
    if (link === 'softmax') {
      const classIndex = argmaxRows(raw, frame.rows, k);
      softmaxRows(raw, frame.rows, k);
      return { classIndex, proba: raw };
    }
    const scale = link === 'exponential' ? 2 : 1;
    const proba = binaryProba(raw.map((v) => sigmoid(scale * v)));
    return { classIndex: argmaxRows(proba, frame.rows, 2), proba };
  });
}
