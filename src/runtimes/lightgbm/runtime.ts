import { ferryError } from '../../errors/index.ts';
import type { ModelDir, ModelInstance, ModelSpec, Runtime, RuntimeContext } from '../runtime.ts';
import { CategoryLevels } from '../trees/categories.ts';
import { createTreeInstance } from '../trees/instance.ts';
import type { TreeFeature } from '../trees/matrix.ts';
import { findModelFile, readModelText } from '../trees/model-file.ts';
import { readTreeOptions } from '../trees/options.ts';
import { walkCost } from '../trees/structure.ts';
import type { OutputHead } from '../trees/outputs.ts';
import { compileLgbForest } from './compile.ts';
import { lgbEvaluator } from './evaluate.ts';
import { isLightgbmText, parseLgbModel, type LgbModel } from './model.ts';
import { lgbObjective } from './objective.ts';

const FILE = { preferred: 'model.txt', extension: '.txt', format: 'LightGBM text' } as const;

/** Native evaluator for LightGBM text models: no LightGBM library, no code from the artifact. */
export function lightgbmRuntime(): Runtime {
  return {
    name: 'lightgbm',
    async canLoad(dir: ModelDir): Promise<boolean> {
      return (await findModelFile('', dir, FILE, isLightgbmText).catch(() => 'several')) !== undefined;
    },
    async load(spec: ModelSpec, ctx: RuntimeContext): Promise<ModelInstance> {
      const options = readTreeOptions(spec.name, 'lightgbm', spec.options);
      const file = await findModelFile(spec.name, spec.dir, { ...FILE, ...(options.file ? { explicit: options.file } : {}) }, isLightgbmText);
      if (!file) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: "no LightGBM text model (*.txt starting 'tree' / 'version=') in the version folder" });
      const model = parseLgbModel(spec.name, await readModelText(spec.name, spec.dir, file));
      const objective = lgbObjective(spec.name, model.objective);
      const perIteration = model.treesPerIteration;
      const total = model.trees.length / perIteration;
      const range = options.iterations ?? { begin: 0, end: total };
      if (range.end > total) {
        throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `iteration range [${range.begin}, ${range.end}) exceeds the ${total} iterations in the file` });
      }
      const first = range.begin * perIteration;
      const last = range.end * perIteration;
      const compiled = compileLgbForest(model, first, last);
      const head: OutputHead = objective.classification
        ? { kind: 'classification', targets: 1, classes: objective.link.kind === 'sigmoid' ? 2 : perIteration }
        : { kind: 'regression', targets: perIteration };
      const features = lgbFeatures(spec.name, model);
      ctx.logger.debug({ model: spec.name, file, trees: compiled.forest.roots.length, objective: objective.name }, 'lightgbm model compiled');
      return createTreeInstance({
        platform: 'lightgbm_text',
        features,
        layout: options.layout ?? 'named',
        head,
        evaluator: lgbEvaluator(
          compiled, features.length, perIteration, range.end - range.begin, model.averageOutput, objective.link,
          walkCost(model.trees.slice(first, last).map((t) => t.depth)),
        ),
        maxBatchSize: options.maxBatchSize,
      });
    },
  };
}

/**
 * Features by name. Categorical features trained from pandas categories take strings, mapped through the
 * file's pandas_categorical lists (code = index in the list; unseen = missing); other categorical features
 * take their integer codes as numbers.
 */
function lgbFeatures(name: string, model: LgbModel): TreeFeature[] {
  const categorical = categoricalFeatureIndexes(model);
  const lists = model.pandasCategorical;
  if (lists.length > 0 && lists.length !== categorical.length) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', {
      model: name,
      detail: `LightGBM model: pandas_categorical has ${lists.length} category lists for ${categorical.length} categorical features`,
    });
  }
  const levels = new Map(lists.length > 0 ? categorical.map((f, i) => [f, new CategoryLevels(lists[i]!)]) : []);
  return model.featureNames.map((featureName, f) => {
    const featureLevels = levels.get(f);
    return featureLevels ? { name: featureName, kind: 'categorical' as const, levels: featureLevels } : { name: featureName, kind: 'numeric' as const };
  });
}

/** The categorical_feature parameter when the file has it, else the features whose info is a category list. */
function categoricalFeatureIndexes(model: LgbModel): number[] {
  const fromInfos = model.featureInfos.flatMap((info, f) => (info !== 'none' && !info.startsWith('[') ? [f] : []));
  const fromParam = model.categoricalFeatures?.filter((f) => f >= 0 && f < model.featureNames.length);
  if (fromParam && fromParam.length === model.pandasCategorical.length) return [...fromParam].sort((a, b) => a - b);
  return fromInfos;
}
