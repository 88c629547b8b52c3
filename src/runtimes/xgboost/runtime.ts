import { ferryError } from '../../errors/index.ts';
import type { ModelDir, ModelInstance, ModelSpec, Runtime, RuntimeContext } from '../runtime.ts';
import { CategoryLevels } from '../trees/categories.ts';
import { createTreeInstance } from '../trees/instance.ts';
import type { TreeFeature } from '../trees/matrix.ts';
import { MAX_JSON_DEPTH } from '../model-limits.ts';
import { jsonNestsDeeperThan } from '../json-depth.ts';
import { findModelFile, readModelText } from '../trees/model-file.ts';
import { readTreeOptions } from '../trees/options.ts';
import { walkCost } from '../trees/structure.ts';
import type { OutputHead } from '../trees/outputs.ts';
import { compileXgbForest } from './compile.ts';
import { xgbEvaluator } from './evaluate.ts';
import { parseXgboostJson } from './json.ts';
import { parseXgbModel, type XgbModel } from './model.ts';

const FILE = { preferred: 'model.json', extension: '.json', format: 'XGBoost JSON' } as const;

/** An XGBoost JSON file starts with the "learner" object (save_model writes it first). */
function looksLikeXgboost(head: string): boolean {
  return /^\s*\{\s*"learner"\s*:\s*\{/.test(head) || (head.includes('"learner"') && head.includes('"gradient_booster"'));
}

/** Native evaluator for XGBoost JSON models: no XGBoost library, no code from the artifact. */
export function xgboostRuntime(): Runtime {
  return {
    name: 'xgboost',
    async canLoad(dir: ModelDir): Promise<boolean> {
      return (await findModelFile('', dir, FILE, looksLikeXgboost).catch(() => 'several')) !== undefined;
    },
    async load(spec: ModelSpec, ctx: RuntimeContext): Promise<ModelInstance> {
      const options = readTreeOptions(spec.name, 'xgboost', spec.options);
      const file = await findModelFile(spec.name, spec.dir, { ...FILE, ...(options.file ? { explicit: options.file } : {}) }, looksLikeXgboost);
      if (!file) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: 'no XGBoost JSON model (*.json with a "learner" object) in the version folder' });
      const text = await readModelText(spec.name, spec.dir, file);
      if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `${file} nests deeper than ${MAX_JSON_DEPTH} levels` });
      let document: unknown;
      try {
        document = parseXgboostJson(text);
      } catch (cause) {
        throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `${file} is not valid JSON: ${(cause as Error).message}` }, cause);
      }
      const model = parseXgbModel(spec.name, document);
      const fail = (detail: string): never => {
        throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `XGBoost JSON: ${detail}` });
      };
      const iterations = model.iterationIndptr.length - 1;
      const range = options.iterations ?? (model.bestIteration !== undefined ? { begin: 0, end: Math.min(model.bestIteration + 1, iterations) } : { begin: 0, end: iterations });
      if (range.end > iterations) fail(`iteration range [${range.begin}, ${range.end}) exceeds the ${iterations} iterations in the file`);
      const first = model.iterationIndptr[range.begin]!;
      const last = model.iterationIndptr[range.end]!;
      const forest = compileXgbForest(model, first, last, fail);
      const baseMargins = Float32Array.from(model.baseScore, (b) => model.objective.baseMargin(b));
      if (baseMargins.some((m) => !Number.isFinite(m))) fail(`base_score ${model.baseScore.join(',')} has no finite margin under ${model.objective.name}`);
      const head = outputHead(model);
      const features = treeFeatures(model);
      const layout = options.layout ?? (model.featureNames ? 'named' : 'matrix');
      ctx.logger.debug({ model: spec.name, file, trees: forest.roots.length, nodes: forest.feature.length, objective: model.objective.name }, 'xgboost model compiled');
      return createTreeInstance({
        platform: 'xgboost_json',
        features,
        layout,
        head,
        evaluator: xgbEvaluator(
          forest, model.numFeature, baseMargins, model.objective.link, head.kind === 'classification' && model.objective.kind === 'binary',
          walkCost(model.trees.slice(first, last).map((t) => t.depth)),
        ),
        maxBatchSize: options.maxBatchSize,
      });
    },
  };
}

function outputHead(model: XgbModel): OutputHead {
  switch (model.objective.kind) {
    case 'binary': return { kind: 'classification', targets: model.groups, classes: 2 };
    case 'multiclass': return { kind: 'classification', targets: 1, classes: model.groups };
    default: return { kind: 'regression', targets: model.groups };
  }
}

/** Feature names from the file (f0, f1, … without them); 'c' features with stored categories take strings. */
function treeFeatures(model: XgbModel): TreeFeature[] {
  return Array.from({ length: model.numFeature }, (_, f) => {
    const name = model.featureNames?.[f] ?? `f${f}`;
    const levels = model.categoryLevels[f];
    return levels && model.featureTypes?.[f] === 'c'
      ? { name, kind: 'categorical' as const, levels: new CategoryLevels(levels) }
      : { name, kind: 'numeric' as const, datatype: 'FP32' as const }; // XGBoost reads features as float32
  });
}
