import { chmod, cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ferryError } from '../../errors/index.ts';
import { renderDockerfile, renderDockerignore, type ImageSpec } from './dockerfile.ts';

/**
 * Ferry's own files an image needs to run it (its dependencies are installed in the image); the sklearn runtime
 * validates documents against the JSON schema published in docs/.
 */
export const FERRY_FILES = ['package.json', 'package-lock.json', '.npmrc', 'bin', 'src', 'docs/formats/sklearn.schema.json'];

export interface BuildContextOptions {
  /** Ferry's package root (where package.json is). */
  readonly ferryRoot: string;
  readonly repository: string;
  readonly out: string;
  /** A ferry.yaml to bake in beside the models. */
  readonly config?: string | undefined;
  readonly spec: Omit<ImageSpec, 'withConfig'>;
}

/**
 * Writes a Docker build context to `out`: Dockerfile, .dockerignore, Ferry's sources in ferry/ (tests left out),
 * the model repository in models/, and ferry.yaml when one is given. `docker build OUT` (or any OCI builder) makes
 * the image.
 */
export async function writeBuildContext(options: BuildContextOptions): Promise<{ files: string[] }> {
  const repository = path.resolve(options.repository);
  const found = await stat(repository).catch(() => undefined);
  if (!found?.isDirectory()) throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `model repository '${options.repository}' is not a directory` });
  const out = path.resolve(options.out);
  if (out === repository || out.startsWith(repository + path.sep)) {
    throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `--out ${options.out} is inside the model repository; choose a folder outside it` });
  }
  await mkdir(out, { recursive: true });
  const leftover = (await readdir(out)).filter((name) => ['Dockerfile', '.dockerignore', 'ferry', 'models', 'ferry.yaml'].includes(name));
  if (leftover.length > 0) throw ferryError('FERRY_ERR_CONFIG_INVALID', { detail: `--out ${options.out} already holds ${leftover.join(', ')}; choose an empty folder` });

  const skip = (source: string) => /\.(test|case)\.ts$/.test(source) || source.split(path.sep).includes('node_modules');
  for (const name of FERRY_FILES) {
    await cp(path.join(options.ferryRoot, name), path.join(out, 'ferry', name), { recursive: true, filter: (source) => !skip(source) });
  }
  await chmod(path.join(out, 'ferry', 'bin', 'ferry.js'), 0o755);
  await cp(repository, path.join(out, 'models'), { recursive: true, filter: (source) => !source.split(path.sep).includes('.git') });
  if (options.config) await cp(options.config, path.join(out, 'ferry.yaml'));
  await writeFile(path.join(out, 'Dockerfile'), renderDockerfile({ ...options.spec, withConfig: options.config !== undefined }));
  await writeFile(path.join(out, '.dockerignore'), renderDockerignore());
  return { files: ['Dockerfile', '.dockerignore', 'ferry/', 'models/', ...(options.config ? ['ferry.yaml'] : [])] };
}
