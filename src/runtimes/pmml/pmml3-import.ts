import { unsupported } from './pmml-error.ts';
import type { XmlElement } from './xml.ts';

/**
 * PMML 3.0–3.2 documents are read as PMML 4.x, as JPMML-Evaluator reads them (its ImportFilter rewrites the
 * namespace and renames what changed): the schemas agree on the elements the common models use (DataDictionary,
 * MiningSchema, TransformationDictionary, Targets, Output, TreeModel, RegressionModel, GeneralRegressionModel,
 * NeuralNetwork, NaiveBayesModel, ClusteringModel, SupportVectorMachineModel). What differs:
 * - `TargetValue@rawDataValue` (3.0, 3.1) is 4.x's `displayValue`;
 * - a 3.x MiningModel embeds `<Regression>` / `<DecisionTree>` elements instead of a 4.x `Segmentation`: refused
 *   (JPMML-Evaluator does not evaluate them either).
 */
export function importPmml3(root: XmlElement, version: string): XmlElement {
  const renameRawDataValue = version === '3.0' || version === '3.1';
  const visit = (element: XmlElement): XmlElement => {
    if (element.name === 'MiningModel') {
      const embedded = element.children.find((c) => c.name === 'Regression' || c.name === 'DecisionTree');
      if (embedded) throw unsupported(embedded, `a PMML ${version} MiningModel with embedded <${embedded.name}> elements is not supported (PMML 4 models it with a Segmentation of TreeModel / RegressionModel segments)`);
    }
    let attrs = element.attrs;
    if (renameRawDataValue && element.name === 'TargetValue' && attrs['rawDataValue'] !== undefined && attrs['displayValue'] === undefined) {
      const { rawDataValue, ...rest } = attrs;
      attrs = { ...rest, displayValue: rawDataValue! };
    }
    const children = element.children.map(visit);
    return { name: element.name, attrs, children, text: element.text, line: element.line };
  };
  return visit(root);
}

/** The PMML versions read: 3.0–3.2 through importPmml3, and every 4.x. */
export function readableVersion(version: string): 'pmml3' | 'pmml4' | undefined {
  if (/^3\.[0-2]$/.test(version)) return 'pmml3';
  if (/^4\.\d+/.test(version)) return 'pmml4';
  return undefined;
}
