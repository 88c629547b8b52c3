/**
 * The commands a document tells a reader to run, read from its fenced code blocks whose info string carries
 * `newcomer` (Markdown renderers read only the first word, the language):
 *
 * - ```` ```sh newcomer ```` — commands, one a line, run in order;
 * - ```` ```python newcomer:train.py ```` — a file the reader writes, with that name;
 * - ```` ``` newcomer ```` — a terminal transcript: `$ command` lines, each followed by what it printed;
 * - ```` ```json newcomer ```` right after a command block — what that block's last command printed.
 *
 * A command continued with a trailing backslash or an open single quote is joined with its next line; `# comments`
 * are dropped.
 */
export type DocStep =
  | { readonly kind: 'run'; readonly command: string; readonly expected?: string }
  | { readonly kind: 'file'; readonly name: string; readonly content: string };

const BLOCK = /^```(\w*)[ \t]+newcomer(?::(\S+))?[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;

export function docSteps(markdown: string): DocStep[] {
  const steps: DocStep[] = [];
  for (const match of markdown.matchAll(BLOCK)) {
    const [, language, fileName, body] = match as unknown as [string, string, string | undefined, string];
    if (fileName !== undefined) {
      steps.push({ kind: 'file', name: fileName, content: body });
    } else if (language === 'sh') {
      for (const command of joinContinued(body.split('\n'))) steps.push({ kind: 'run', command });
    } else if (language === '') {
      steps.push(...transcript(body));
    } else {
      // The output of the command block just before.
      const last = steps.at(-1);
      if (last?.kind !== 'run' || last.expected !== undefined) throw new Error(`a ${language} newcomer block follows no command block`);
      steps[steps.length - 1] = { ...last, expected: body.trimEnd() };
    }
  }
  return steps;
}

function transcript(body: string): DocStep[] {
  const steps: DocStep[] = [];
  const lines = body.replace(/\n$/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('$ ')) throw new Error(`a transcript line that follows no command: ${lines[i]}`);
    const commandLines = [lines[i]!.slice(2)];
    while (commandLines.at(-1)!.endsWith('\\') && i + 1 < lines.length) commandLines.push(lines[++i]!);
    const output: string[] = [];
    while (i + 1 < lines.length && !lines[i + 1]!.startsWith('$ ')) output.push(lines[++i]!);
    steps.push({ kind: 'run', command: joinContinued(commandLines)[0]!, expected: output.join('\n') });
  }
  return steps;
}

/** Lines with continuations joined, comments and blank lines dropped. */
function joinContinued(lines: readonly string[]): string[] {
  const commands: string[] = [];
  let current = '';
  for (const line of lines) {
    const text = line.replace(/\s+#\s.*$/, '').replace(/^#.*$/, '');
    if (text.trimEnd().endsWith('\\')) {
      current += text.trimEnd().slice(0, -1) + ' ';
      continue;
    }
    current += text;
    // A single-quoted argument (a JSON body) may span lines.
    if ((current.match(/'/g) ?? []).length % 2 === 1) {
      current += '\n';
      continue;
    }
    if (current.trim() !== '') commands.push(current.trim().replace(/\s+/g, ' '));
    current = '';
  }
  return commands;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g;

/**
 * Whether `actual` is what the document shows: the same text, numbers equal within a relative 1e-6 (a library
 * release may move the last digits of a float). Whitespace runs compare equal.
 */
export function sameOutput(actual: string, expected: string): boolean {
  const squash = (text: string) => text.trim().replace(/\s+/g, ' ');
  const a = squash(actual);
  const e = squash(expected);
  if (a.replace(NUMBER, '#') !== e.replace(NUMBER, '#')) return false;
  const an = a.match(NUMBER) ?? [];
  const en = e.match(NUMBER) ?? [];
  return an.every((value, i) => {
    const x = Number(value);
    const y = Number(en[i]);
    return x === y || Math.abs(x - y) <= 1e-6 * Math.max(Math.abs(x), Math.abs(y));
  });
}
