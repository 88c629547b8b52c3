/**
 * A failure reason as clients may see it: the repository index is unauthenticated, so reasons name files relative
 * to the repository ('churn/2/model.onnx'), never where the repository lives on the server. Paths under an allowed
 * path read '[allowed_paths]/…'; any other absolute path keeps only its last segment ('…/secret.bin').
 */
export function repositoryRelative(text: string, roots: readonly string[], allowed: readonly string[] = []): string {
  let out = text;
  const prefixes = [...roots.map((p) => [p, ''] as const), ...allowed.map((p) => [p, '[allowed_paths]/'] as const)]
    .filter(([p]) => p.length > 1)
    .sort((a, b) => b[0].length - a[0].length);
  for (const [prefix, shown] of prefixes) {
    const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    out = out.split(`${base}/`).join(shown);
    out = out.replace(new RegExp(`${escapeRegExp(base)}(?![\\w./-])`, 'g'), shown === '' ? '.' : shown.slice(0, -1));
  }
  return out.replace(/(^|[\s'"(=:])\/(?!\/)(?:[^\s'"),;:]*\/)?([^\s'"),;:/]+)/g, (_whole, before: string, last: string) => `${before}…/${last}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
