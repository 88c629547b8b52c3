import type { XmlElement } from './xml.ts';

/**
 * A load-time problem with a PMML document. `unsupported` means valid PMML that Ferry does not evaluate;
 * `invalid` means the document breaks PMML or XML rules. The runtime turns both into catalogue errors.
 */
export class PmmlError extends Error {
  readonly kind: 'unsupported' | 'invalid';
  readonly line: number | undefined;

  constructor(kind: 'unsupported' | 'invalid', message: string, line?: number) {
    super(message);
    this.name = 'PmmlError';
    this.kind = kind;
    this.line = line;
  }
}

function where(element: XmlElement): string {
  return `<${element.name}> at line ${element.line}`;
}

export function unsupported(element: XmlElement, detail: string): PmmlError {
  return new PmmlError('unsupported', `${where(element)}: ${detail}`, element.line);
}

export function invalid(element: XmlElement, detail: string): PmmlError {
  return new PmmlError('invalid', `${where(element)}: ${detail}`, element.line);
}
