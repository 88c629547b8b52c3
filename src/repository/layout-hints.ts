import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Files that mark a folder as one model's own, whatever its layout: never found among a repository's model folders. */
const MODEL_FILE = /^(mlmodel|config\.pbtxt|saved_model\.pb|model\.(json|txt|ubj))$|\.(onnx|pmml|ubj|pkl|pickle|joblib|bst)$/;

/**
 * Why a model folder with no version folder serves nothing, from the files it holds beside model.yaml: an MLflow
 * model, a Triton model folder, or model files placed one level too high. Undefined when it holds none of these.
 */
export function modelFolderHint(name: string, files: readonly string[]): string | undefined {
  const names = files.map((f) => f.toLowerCase());
  if (names.includes('mlmodel')) return `it holds an MLflow model: move its files into a version folder, ${name}/1/`;
  if (names.includes('config.pbtxt')) return `it holds a Triton config.pbtxt, which is not read: put the model file in ${name}/1/ (exported to ONNX) and settings in ${name}/model.yaml`;
  const models = files.filter((f) => MODEL_FILE.test(f.toLowerCase()));
  if (models.length > 0) return `its model files sit one level too high: move ${models.slice(0, 3).join(', ')} into a version folder, ${name}/1/`;
  return undefined;
}

/**
 * Why a folder given as the repository is not one: it holds version folders (a model folder) or a model's files
 * (a version folder, an MLflow model). A repository holds model folders: DIR/<model>/<version>/<files>.
 */
export function repositoryLayoutHint(root: string, entries: readonly { readonly name: string; readonly folder: boolean }[]): string | undefined {
  const visible = entries.filter((e) => !e.name.startsWith('.'));
  const folders = visible.filter((e) => e.folder).map((e) => e.name);
  const files = visible.filter((e) => !e.folder).map((e) => e.name);
  const layout = 'a repository holds model folders, DIR/<model>/<version>/<model file>';
  const parent = path.dirname(path.resolve(root));
  if (folders.length > 0 && folders.every(isVersionName)) {
    return `${root} holds only version folders (${folders.slice(0, 3).join(', ')}): it is a model folder, not a repository; serve the folder above it (ferry serve ${parent}), where it is model '${path.basename(path.resolve(root))}'; ${layout}`;
  }
  const models = files.filter((f) => MODEL_FILE.test(f.toLowerCase()));
  const oneModel = files.some((f) => /^(mlmodel|config\.pbtxt)$/i.test(f)) || (models.length > 0 && folders.length === 0);
  if (!oneModel) return undefined;
  if (isVersionName(path.basename(path.resolve(root)))) {
    return `${root} holds a model's files (${models.slice(0, 3).join(', ')}): it is a version folder, not a repository; serve the repository two levels up (ferry serve ${path.dirname(parent)}); ${layout}`;
  }
  const name = path.basename(path.resolve(root));
  return `${root} holds a model's files (${models.slice(0, 3).join(', ')}), not model folders; ${layout}: mkdir -p models/${name}/1 && cp -r ${root}/* models/${name}/1/ && ferry serve models`;
}

const isVersionName = (name: string) => /^[1-9][0-9]{0,15}$/.test(name);

/** repositoryLayoutHint for a folder on disk; undefined when it is not there (start-up reports that on its own). */
export async function misplacedRepository(root: string): Promise<string | undefined> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return undefined;
  }
  return repositoryLayoutHint(root, entries.map((e) => ({ name: e.name, folder: e.isDirectory() || e.isSymbolicLink() })));
}
