import { compileDerivedField } from './expression.ts';
import { miningTreatment, readMiningFields } from './mining-schema.ts';
import type { AlgorithmCompiler, CompileContext, CompiledModel, FunctionName, TargetInfo } from './model-types.ts';
import { compileOutputs } from './output.ts';
import { invalid, unsupported } from './pmml-error.ts';
import { Scope } from './scope.ts';
import { readTargets } from './targets.ts';
import { UNSET, type ModelResult, type RowContext } from './types.ts';
import { childNamed, type XmlElement } from './xml.ts';

const FUNCTIONS: ReadonlySet<string> = new Set(['regression', 'classification', 'clustering']);

/**
 * Compiles one model element: its MiningSchema (nested treatments), LocalTransformations, the algorithm,
 * Targets and Output. `algorithms` maps element names to algorithm compilers.
 */
export function compileModel(
  element: XmlElement,
  parent: Scope,
  cc: CompileContext,
  algorithms: ReadonlyMap<string, AlgorithmCompiler>,
  nested: boolean,
  inheritedFloatMath: boolean,
): CompiledModel {
  const algorithm = algorithms.get(element.name);
  if (!algorithm) throw unsupported(element, `model type <${element.name}> is not supported`);
  if (element.attrs['isScorable'] === 'false') throw unsupported(element, 'the model is marked isScorable="false"');
  const functionText = element.attrs['functionName'];
  if (functionText === undefined) throw invalid(element, 'functionName is required');
  if (!FUNCTIONS.has(functionText)) throw unsupported(element, `functionName '${functionText}' is not supported (supported: regression, classification, clustering)`);
  const functionName = functionText as FunctionName;
  const mathContext = element.attrs['x-mathContext'] ?? element.attrs['mathContext'];
  if (mathContext !== undefined && mathContext !== 'float' && mathContext !== 'double') throw unsupported(element, `mathContext '${mathContext}' is not supported`);
  const floatMath = mathContext === undefined ? inheritedFloatMath : mathContext === 'float';
  if (floatMath) refuseFloatMath(element, functionName);

  for (const child of element.children) {
    if (['ModelExplanation', 'ModelVerification', 'ModelStats', 'Extension', 'LocalTransformations', 'MiningSchema', 'Output', 'Targets'].includes(child.name)) continue;
    if (child.name === 'Decisions') throw unsupported(child, 'Decisions are not supported');
  }

  const schema = childNamed(element, 'MiningSchema');
  if (!schema) throw invalid(element, 'MiningSchema is required');
  const scope = new Scope(parent);
  let target: TargetInfo | undefined;
  for (const field of readMiningFields(schema)) {
    if (field.usage === 'target') {
      if (target) throw unsupported(field.element, 'models with more than one target field are not supported');
      const dataField = cc.dataFields.get(field.name);
      const declared = dataField ?? parent.resolve(field.name, field.element);
      target = {
        name: field.name,
        dataType: declared?.dataType ?? (functionName === 'regression' ? 'double' : 'string'),
        optype: field.optype ?? declared?.optype ?? (functionName === 'regression' ? 'continuous' : 'categorical'),
        categories: dataField?.categories ?? [],
      };
      continue;
    }
    if (!nested) continue; // top-level treatments run when inputs are read
    const binding = parent.resolve(field.name, field.element);
    if (!binding) throw invalid(field.element, `mining field '${field.name}' is not defined by the enclosing model or the DataDictionary`);
    const a = field.element.attrs;
    if (a['missingValueReplacement'] !== undefined || (a['outliers'] !== undefined && a['outliers'] !== 'asIs') || a['missingValueTreatment'] === 'returnInvalid') {
      const treat = miningTreatment(field.element, binding, undefined);
      const get = binding.get;
      scope.define({ ...binding, get: (ctx) => treat(get(ctx), ctx.row) });
    }
  }
  if (!target && functionName !== 'clustering') target = { name: undefined, dataType: functionName === 'regression' ? 'double' : 'string', optype: functionName === 'regression' ? 'continuous' : 'categorical', categories: [] };

  const local = childNamed(element, 'LocalTransformations');
  if (local) defineDerivedFields(local, scope, cc);

  const targets = readTargets(childNamed(element, 'Targets'), target?.name, target?.dataType ?? 'string', floatMath);
  if (target && target.categories.length === 0 && targets.categories.length > 0) target = { ...target, categories: targets.categories };

  const plan = algorithm({ element, scope, cc, functionName, target, floatMath });
  const slot = cc.slots.next();
  const evaluate = plan.evaluate;
  const regression = functionName === 'regression';
  const result = (ctx: RowContext): ModelResult | null => {
    const cached = ctx.slots[slot];
    if (cached !== UNSET) return cached as ModelResult | null;
    let r = evaluate(ctx);
    if (r === null || r.predicted === null) r = targets.fallback ?? r;
    else if (regression && typeof r.predicted === 'number') r = { ...r, predicted: targets.process(r.predicted) };
    ctx.slots[slot] = r;
    return r;
  };
  const { outputs } = compileOutputs(childNamed(element, 'Output'), scope, result, target, targets, cc.slots);
  const exposedOutputs = [...outputs, ...(plan.chainOutputs ?? [])];
  return { element, functionName, target, result, outputs, exposedOutputs };
}

/** Defines every DerivedField of a TransformationDictionary or LocalTransformations, lazily, in a scope. */
export function defineDerivedFields(container: XmlElement, scope: Scope, cc: CompileContext): void {
  for (const child of container.children) {
    if (child.name === 'Extension') continue;
    if (child.name === 'DefineFunction') throw unsupported(child, 'user-defined functions (DefineFunction) are not supported');
    if (child.name !== 'DerivedField') throw unsupported(child, `unexpected element in <${container.name}>`);
    const name = child.attrs['name'];
    if (name === undefined) throw invalid(child, 'name is required');
    scope.defineLazy(name, () => compileDerivedField(child, scope, cc.slots));
  }
}

/** Models whose arithmetic Ferry computes in float32 when asked (x-mathContext="float"), as JPMML does. */
const FLOAT_MODELS = new Set(['RegressionModel', 'TreeModel', 'MiningModel']);

/** Float arithmetic elsewhere would silently be double arithmetic: refused instead. */
function refuseFloatMath(element: XmlElement, functionName: FunctionName): void {
  if (!FLOAT_MODELS.has(element.name)) {
    throw unsupported(element, `x-mathContext="float" is supported on RegressionModel, TreeModel and MiningModel, not <${element.name}>`);
  }
  if (element.name === 'TreeModel' && functionName !== 'regression') {
    throw unsupported(element, 'x-mathContext="float" is supported on regression trees; a classification TreeModel has no float arithmetic');
  }
}
