import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelDir } from '../runtime.ts';

/** Reads the first bytes of a file: enough to see an XML prolog and the root element. */
async function head(path: string, bytes = 4096): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** True when the text starts (after the prolog, comments and whitespace) with a <PMML> root element. */
export function looksLikePmml(text: string): boolean {
  const body = text.replace(/^\uFEFF/, '').replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, '').trimStart();
  return /^<([A-Za-z_][\w.-]*:)?PMML[\s>/]/.test(body);
}

/** The PMML documents of a version folder: model.pmml first, then *.pmml, then *.xml files with a PMML root. */
export async function findPmmlFiles(dir: ModelDir): Promise<string[]> {
  const pmml = dir.files.filter((f) => f.toLowerCase().endsWith('.pmml'));
  const xml: string[] = [];
  for (const f of dir.files.filter((name) => name.toLowerCase().endsWith('.xml'))) {
    try {
      if (looksLikePmml(await head(join(dir.path, f)))) xml.push(f);
    } catch {
      // An unreadable file is not a PMML document of this folder.
    }
  }
  return [...pmml.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)), ...xml.sort()];
}

function rank(file: string): number {
  return file === 'model.pmml' ? 0 : 1;
}

/** model.yaml that names this runtime explicitly. */
export async function declaresPmml(dir: ModelDir): Promise<boolean> {
  const yaml = dir.files.find((f) => f === 'model.yaml' || f === 'model.yml');
  if (!yaml) return false;
  try {
    return /^runtime:\s*['"]?pmml['"]?\s*(#.*)?$/m.test(await readFile(join(dir.path, yaml), 'utf8'));
  } catch {
    return false;
  }
}
