import { readFile } from 'node:fs/promises';
import { asFerryError, ferryError, isFerryError } from '../../errors/index.ts';
import type { InferRequest } from '../../tensor/index.ts';
import { resolveModelFile } from '../model-path.ts';
import { badChoice, refuseUnknownOptions } from '../options.ts';
import type { ExecuteResult, ModelDir, ModelInstance, ModelSignature, ModelSpec, Runtime, RuntimeContext } from '../runtime.ts';
import { tabularInputs, type InputLayout } from '../tabular.ts';
import { compileDocument, type PmmlPlan } from './document.ts';
import { evaluateRequest } from './evaluate.ts';
import { declaresPmml, findPmmlFiles } from './files.ts';
import { PmmlError } from './pmml-error.ts';
import { isNumericType } from './values.ts';

/** Largest number of rows one execute() may carry; rows are independent, so requests can be merged. */
export const PMML_MAX_BATCH = 4096;

/** The `options:` keys the PMML runtime reads. */
const PMML_OPTIONS = ['file', 'inputs'];

/**
 * The PMML runtime: evaluates PMML 4.x documents natively (no JVM, nothing executed from the artifact).
 * Options: `inputs: named | matrix` (default named), `file: <name>` to pick one document in the folder.
 */
export function pmmlRuntime(): Runtime {
  return {
    name: 'pmml',
    async canLoad(dir: ModelDir): Promise<boolean> {
      return (await findPmmlFiles(dir)).length > 0 || (await declaresPmml(dir));
    },
    async load(spec: ModelSpec, ctx: RuntimeContext): Promise<ModelInstance> {
      refuseUnknownOptions(spec.name, 'pmml', spec.options, PMML_OPTIONS);
      const layout = readLayout(spec);
      const file = await chooseFile(spec);
      const real = await resolveModelFile(spec.name, spec.dir, file, spec.options['file'] === undefined ? undefined : 'options.file');
      const source = await readFile(real, 'utf8').catch((error: unknown) => {
        throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` }, error);
      });
      let plan: PmmlPlan;
      try {
        plan = compileDocument(source);
      } catch (error) {
        throw loadError(spec.name, file, error);
      }
      ctx.logger.debug({ model: spec.name, file, pmml: plan.version, element: plan.modelElement }, 'PMML document compiled');
      return instance(spec.name, plan, layout);
    },
  };
}

function readLayout(spec: ModelSpec): InputLayout {
  const value = spec.options['inputs'] ?? 'named';
  if (value !== 'named' && value !== 'matrix') badChoice(spec.name, spec.options, 'inputs', ['named', 'matrix']);
  return value;
}

async function chooseFile(spec: ModelSpec): Promise<string> {
  const requested = spec.options['file'];
  if (requested !== undefined) {
    if (typeof requested !== 'string') {
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `options.file must be a file name inside the version folder (got ${JSON.stringify(requested)})` });
    }
    return requested; // where it may be is checked when it is opened (resolveModelFile)
  }
  const candidates = await findPmmlFiles(spec.dir);
  if (candidates.length === 0) throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: 'no PMML document (model.pmml, *.pmml, or *.xml with a <PMML> root) in the version folder' });
  if (candidates[0] !== 'model.pmml' && candidates.length > 1) {
    throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model: spec.name, detail: `several PMML documents (${candidates.join(', ')}); name one with option file` });
  }
  return candidates[0]!;
}

function loadError(model: string, file: string, error: unknown) {
  if (error instanceof PmmlError) {
    const code = error.kind === 'unsupported' ? 'FERRY_ERR_UNSUPPORTED_MODEL' : 'FERRY_ERR_MODEL_LOAD_FAILED';
    return ferryError(code, { model, detail: `${file}: ${error.message}` }, error);
  }
  if (isFerryError(error)) return error;
  return ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `${file}: ${error instanceof Error ? error.message : String(error)}` }, error);
}

function instance(model: string, plan: PmmlPlan, layout: InputLayout): ModelInstance {
  const signature: ModelSignature = {
    platform: 'pmml',
    inputs: tabularInputs(plan.inputs.map((i) => i.feature), layout),
    outputs: plan.outputs.map((o) => ({ name: o.name, datatype: isNumericType(o.dataType) ? 'FP64' : 'BYTES', shape: [-1] })),
    bytesInputs: 'text', // categories are matched as strings
    numericInputs: 'convert',
  };
  // execute() is never called concurrently, so one row context is reused for every row.
  const ctx = plan.newContext();
  return {
    signature,
    maxBatchSize: PMML_MAX_BATCH,
    async execute(batch: readonly InferRequest[], signal: AbortSignal): Promise<ExecuteResult[]> {
      const results: ExecuteResult[] = [];
      for (const request of batch) {
        if (signal.aborted) throw ferryError('FERRY_ERR_CANCELLED');
        try {
          results.push({ outputs: await evaluateRequest(plan, request, layout, ctx, signal) });
        } catch (error) {
          if (isFerryError(error)) throw error;
          throw ferryError('FERRY_ERR_EXECUTION_FAILED', { model, detail: asFerryError(error).message }, error);
        }
      }
      return results;
    },
    async unload(): Promise<void> {},
  };
}
