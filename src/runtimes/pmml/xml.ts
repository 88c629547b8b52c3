import { SaxesParser } from 'saxes';
import { MAX_XML_DEPTH } from '../model-limits.ts';
import { PmmlError } from './pmml-error.ts';

/** A parsed XML element: local name (namespace prefix dropped), attributes, children, text and source line. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
  readonly line: number;
}

/**
 * Parses a whole document into an element tree. saxes never fetches external entities or DTDs, so a hostile
 * document cannot read files or reach the network; a DOCTYPE that declares entities (XXE, billion laughs) is refused
 * outright, and nesting is bounded before the compile walks, which recurse, see it.
 */
export function parseXml(source: string): XmlElement {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let startLine = 1;
  parser.on('opentagstart', () => {
    startLine = parser.line;
  });
  parser.on('doctype', (doctype) => {
    if (/<!ENTITY/.test(doctype)) {
      throw new PmmlError('invalid', 'the document declares entities in its DOCTYPE; PMML documents may not (none is expanded or fetched)', parser.line);
    }
  });
  parser.on('opentag', (tag) => {
    if (stack.length >= MAX_XML_DEPTH) throw new PmmlError('invalid', `elements nest deeper than ${MAX_XML_DEPTH} levels (line ${parser.line})`, parser.line);
    const attrs: Record<string, string> = {};
    for (const [key, value] of Object.entries(tag.attributes)) attrs[key] = String(value);
    const element: XmlElement = { name: localName(tag.name), attrs, children: [], text: '', line: startLine };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const appendText = (text: string): void => {
    const current = stack[stack.length - 1];
    if (current) current.text += text;
  };
  parser.on('text', appendText);
  parser.on('cdata', appendText);
  parser.on('error', (error) => {
    throw new PmmlError('invalid', `malformed XML at line ${parser.line}: ${error.message.replace(/^.*?:\d+:\d+: /, '')}`, parser.line);
  });
  parser.write(source).close();
  if (!root) throw new PmmlError('invalid', 'malformed XML: the document has no root element');
  return root;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** Child elements with a given name. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}
