import type { FeatureSpec } from '../tabular.ts';
import { importPmml3, readableVersion } from './pmml3-import.ts';
import { readDataDictionary, type DataFieldDef } from './dictionary.ts';
import { miningTreatment, readMiningFields, type Treatment } from './mining-schema.ts';
import { compileModel, defineDerivedFields } from './model.ts';
import type { AlgorithmCompiler, CompileContext, CompiledModel } from './model-types.ts';
import { compileClusteringModel } from './algorithms/clustering.ts';
import { compileGeneralRegressionModel } from './algorithms/general-regression.ts';
import { compileMiningModel } from './algorithms/mining.ts';
import { compileNaiveBayesModel } from './algorithms/naive-bayes.ts';
import { compileNeuralNetwork } from './algorithms/neural-network.ts';
import { compileRegressionModel } from './algorithms/regression.ts';
import { compileSupportVectorMachineModel } from './algorithms/svm.ts';
import { compileTreeModel } from './algorithms/tree.ts';
import { invalid, PmmlError, unsupported } from './pmml-error.ts';
import { Scope } from './scope.ts';
import { SlotAllocator, UNSET, type DataType, type Getter, type ModelResult, type RowContext, type Value } from './types.ts';
import { isNumericType, valueKey } from './values.ts';
import { childNamed, parseXml, type XmlElement } from './xml.ts';

const ALGORITHMS: ReadonlyMap<string, AlgorithmCompiler> = new Map([
  ['RegressionModel', compileRegressionModel],
  ['GeneralRegressionModel', compileGeneralRegressionModel],
  ['TreeModel', compileTreeModel],
  ['MiningModel', compileMiningModel],
  ['NeuralNetwork', compileNeuralNetwork],
  ['NaiveBayesModel', compileNaiveBayesModel],
  ['SupportVectorMachineModel', compileSupportVectorMachineModel],
  ['ClusteringModel', compileClusteringModel],
]);

const KNOWN_MODELS = new Set([
  ...ALGORITHMS.keys(), 'Scorecard', 'RuleSetModel', 'NearestNeighborModel', 'AssociationModel', 'SequenceModel', 'TextModel',
  'TimeSeriesModel', 'BayesianNetworkModel', 'GaussianProcessModel', 'AnomalyDetectionModel',
]);

/** One active input: how a raw value becomes the value the model sees. */
export interface PlanInput {
  readonly feature: FeatureSpec;
  readonly slot: number;
  readonly treat: Treatment;
}

/** One output column: its PMML type and how to read it for the current row. */
export interface PlanOutput {
  readonly name: string;
  readonly dataType: DataType;
  readonly get: Getter;
}

/** A compiled PMML document: everything execute() needs, nothing that walks XML. */
export interface PmmlPlan {
  readonly version: string;
  readonly modelElement: string;
  readonly functionName: string;
  readonly inputs: readonly PlanInput[];
  readonly outputs: readonly PlanOutput[];
  readonly slotCount: number;
  readonly newContext: () => RowContext;
}

export function compileDocument(source: string): PmmlPlan {
  const parsed = parseXml(source);
  if (parsed.name !== 'PMML') throw new PmmlError('invalid', `the root element is <${parsed.name}>, not <PMML>`, parsed.line);
  const version = parsed.attrs['version'] ?? '';
  const readable = readableVersion(version);
  if (!readable) throw unsupported(parsed, `PMML version '${version}' is not supported (Ferry evaluates PMML 3.0–3.2 and 4.x)`);
  const root = readable === 'pmml3' ? importPmml3(parsed, version) : parsed;
  const modelElement = root.children.find((c) => KNOWN_MODELS.has(c.name));
  if (!modelElement) throw invalid(root, 'the document contains no model');
  const dataFields = readDataDictionary(childNamed(root, 'DataDictionary'));
  const slots = new SlotAllocator();

  // DataFields read the prepared input of the current row; fields that are not inputs are missing.
  const dataScope = new Scope();
  const dataSlots = new Map<string, number>();
  for (const field of dataFields.values()) {
    const slot = slots.next();
    dataSlots.set(field.name, slot);
    dataScope.define({
      name: field.name,
      dataType: field.dataType,
      optype: field.optype,
      categories: field.categories,
      get: (ctx) => {
        const v = ctx.slots[slot];
        return v === UNSET ? null : (v as Value);
      },
    });
  }
  const cc: CompileContext = {
    slots,
    dataFields,
    compileNested: (element, parent, floatMath) => compileModel(element, parent, cc, ALGORITHMS, true, floatMath),
  };
  const globalScope = new Scope(dataScope);
  const transformations = childNamed(root, 'TransformationDictionary');
  if (transformations) defineDerivedFields(transformations, globalScope, cc);

  const model = compileModel(modelElement, globalScope, cc, ALGORITHMS, false, false);
  const inputs = compileInputs(modelElement, dataFields, dataSlots);
  const outputs = planOutputs(model);
  const slotCount = slots.count;
  return {
    version,
    modelElement: modelElement.name,
    functionName: model.functionName,
    inputs,
    outputs,
    slotCount,
    newContext: () => ({ slots: new Array<unknown>(slotCount).fill(UNSET), row: 0 }),
  };
}

function compileInputs(modelElement: XmlElement, dataFields: ReadonlyMap<string, DataFieldDef>, dataSlots: ReadonlyMap<string, number>): PlanInput[] {
  const schema = childNamed(modelElement, 'MiningSchema')!;
  const inputs: PlanInput[] = [];
  for (const field of readMiningFields(schema)) {
    if (field.usage !== 'active') continue;
    const dataField = dataFields.get(field.name);
    if (!dataField) throw invalid(field.element, `mining field '${field.name}' is not in the DataDictionary`);
    const optype = field.optype ?? dataField.optype;
    const treat = miningTreatment(field.element, { name: field.name, dataType: dataField.dataType, optype }, dataField);
    const kind = isNumericType(dataField.dataType) ? 'numeric' : 'categorical';
    inputs.push({
      // A float field holds float32 values (castValue rounds them): its input is declared so.
      feature: { name: field.name, kind, ...(dataField.dataType === 'float' ? { datatype: 'FP32' as const } : {}) },
      slot: dataSlots.get(field.name)!,
      treat,
    });
  }
  return inputs;
}

/** The target field's prediction, then every final OutputField (a chain's last segment included). */
function planOutputs(model: CompiledModel): PlanOutput[] {
  const outputs: PlanOutput[] = [];
  const seen = new Set<string>();
  const finals = model.exposedOutputs.filter((o) => o.isFinal);
  const finalNames = new Set(finals.map((o) => o.name));
  if (model.target?.name !== undefined && !finalNames.has(model.target.name)) {
    const result = model.result;
    outputs.push({ name: model.target.name, dataType: model.target.dataType, get: (ctx) => (result(ctx) as ModelResult | null)?.predicted ?? null });
    seen.add(model.target.name);
  }
  for (const o of finals) {
    if (seen.has(o.name)) continue;
    seen.add(o.name);
    outputs.push({ name: o.name, dataType: o.dataType, get: o.get });
  }
  if (finals.length === 0 && model.functionName === 'classification') {
    // Without OutputFields, a classifier still reports its distribution, named as sklearn2pmml and JPMML do.
    const result = model.result;
    for (const category of model.target?.categories ?? []) {
      const name = `probability(${String(category)})`;
      if (seen.has(name)) continue;
      seen.add(name);
      const key = valueKey(category);
      outputs.push({ name, dataType: 'double', get: (ctx) => result(ctx)?.probabilities?.get(key) ?? null });
    }
  }
  if (outputs.length === 0) {
    const result = model.result;
    outputs.push({ name: model.functionName === 'clustering' ? 'cluster' : 'prediction', dataType: model.functionName === 'clustering' ? 'string' : 'double', get: (ctx) => result(ctx)?.predicted ?? null });
  }
  return outputs;
}
