/** JSON schemas of the management API: Fastify validates with them and @fastify/swagger publishes them. */

const tags = { type: 'object', additionalProperties: { type: 'string' } } as const;
const anyJson = {} as const;

export const modelSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' }, description: { type: 'string' }, tags,
    aliases: { type: 'object', additionalProperties: { type: 'integer' } },
    created_at: { type: 'integer', description: 'epoch milliseconds' }, updated_at: { type: 'integer' },
  },
} as const;

export const versionSchema = {
  type: 'object',
  properties: {
    model: { type: 'string' }, version: { type: 'integer' }, source: { type: 'string' },
    digest: { type: 'string', description: 'sha256:<hex> of the artifact (a file\'s bytes, or a folder\'s manifest)' },
    files: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' } } } },
    runtime: { type: 'string' }, signature: anyJson, input_example: anyJson,
    metrics: { type: 'object', additionalProperties: { type: 'number' } }, tags, description: { type: 'string' }, run_id: { type: 'string' },
    stage: { type: 'string', enum: ['None', 'Staging', 'Production', 'Archived'] },
    status: { type: 'string', enum: ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] }, status_message: { type: 'string' },
    aliases: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'integer' }, created_by: { type: 'string' }, updated_at: { type: 'integer' },
  },
} as const;

export const auditSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, at: { type: 'integer' }, actor: { type: 'string' }, action: { type: 'string' }, model: { type: 'string' },
    version: { type: ['integer', 'null'] }, alias: { type: ['string', 'null'] }, before: anyJson, after: anyJson,
  },
} as const;

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, code: { type: 'string', description: 'FERRY_ERR_* (docs/errors.md)' } },
} as const;

export const newModelBody = {
  type: 'object', required: ['name'], additionalProperties: false,
  properties: { name: { type: 'string' }, description: { type: 'string' }, tags },
} as const;

export const newVersionBody = {
  type: 'object', required: ['source'], additionalProperties: false,
  properties: {
    source: { type: 'string', description: 'file://, s3:// or https:// URI of the artifact (file or folder), or upload:sha256:<hex> for files uploaded to /api/v1/artifacts/{digest}/files/' },
    digest: { type: 'string', description: 'sha256:<hex>; computed by fetching the artifact when absent' },
    files: versionSchema.properties.files,
    runtime: { type: 'string' }, signature: anyJson, input_example: anyJson,
    metrics: { type: 'object', additionalProperties: { type: 'number' } }, tags, description: { type: 'string' }, run_id: { type: 'string' },
    create_model: { type: 'boolean', description: 'create the registered model when it does not exist' },
  },
} as const;

export const modelParams = { type: 'object', required: ['model'], properties: { model: { type: 'string' } } } as const;
export const versionParams = { type: 'object', required: ['model', 'version'], properties: { model: { type: 'string' }, version: { type: 'string', pattern: '^[0-9]{1,15}$' } } } as const;
export const aliasParams = { type: 'object', required: ['model', 'alias'], properties: { model: { type: 'string' }, alias: { type: 'string' } } } as const;
