import { ERRORS } from './catalogue.ts';

/** docs/errors.md as the catalogue says it should read; a test keeps the committed file equal to this. */
export function renderErrorsDoc(): string {
  const rows = Object.entries(ERRORS).map(
    ([code, e]) => `| \`${code}\` | ${e.http} | ${e.grpc} | ${e.message.replace(/\|/g, '\\|')} |`,
  );
  return [
    '# Errors',
    '',
    'Every error Ferry returns comes from one catalogue (`src/errors/catalogue.ts`). Each protocol renders it in its',
    "own shape — V2 REST and TF Serving `{\"error\": \"...\"}`, gRPC a status with the message, Seldon",
    '`{"status": {...}}`, MLflow `{"error_code": ..., "message": ...}` — with the HTTP status or gRPC code below.',
    '`{name}` marks a part of the message filled in from the request.',
    '',
    'This page is generated: `node scripts/errors-doc.ts > docs/errors.md` (a test fails when it drifts).',
    '',
    '| code | HTTP | gRPC | message |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
