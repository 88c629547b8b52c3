/**
 * A YAML parser's error as one line: what is wrong and where ("... at line 3, column 10"), without the excerpt of the
 * document the parser appends. Configuration files hold tokens and passwords, and the excerpt is the line that
 * failed to parse, the secret's own line as often as not.
 */
export function yamlErrorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.replace(/:\s*$/, '');
}
