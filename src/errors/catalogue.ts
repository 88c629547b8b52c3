/**
 * The closed catalogue of Ferry errors. Every error Ferry returns comes from here: adapters render these in
 * their protocol's shape, they never invent codes or statuses. docs/errors.md is checked against this table.
 */
export type GrpcStatusName =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'CANCELLED';

export interface ErrorDefinition {
  /** Message template; `{name}` placeholders are filled from the error's parameters. */
  readonly message: string;
  readonly http: number;
  readonly grpc: GrpcStatusName;
}

export const ERRORS = {
  FERRY_ERR_MALFORMED_BODY: { message: 'malformed request body: {detail}', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_HTTP_MALFORMED: { message: 'malformed HTTP request: {detail}', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_HEADERS_TOO_LARGE: { message: "the request's headers exceed Node's limit of 16 KiB", http: 431, grpc: 'RESOURCE_EXHAUSTED' },
  FERRY_ERR_REQUEST_TIMEOUT: { message: 'the request did not arrive in time (setting: {setting})', http: 408, grpc: 'DEADLINE_EXCEEDED' },
  FERRY_ERR_INVALID_REQUEST: { message: 'invalid request: {detail}', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_UNSUPPORTED_MEDIA_TYPE: { message: "unsupported content type '{type}'", http: 415, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_CONTENT_ENCODING_UNSUPPORTED: {
    message: "unsupported Content-Encoding '{encoding}': request bodies may be gzip, deflate or identity",
    http: 415,
    grpc: 'INVALID_ARGUMENT',
  },
  FERRY_ERR_CONTENT_ENCODING_INVALID: { message: 'the request body is not valid {encoding} data: {detail}', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_UPLOAD_INVALID: { message: "upload of model '{model}' refused: {detail}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_UPLOAD_TOO_LARGE: {
    message: "upload of model '{model}' is {size} bytes, more than the limit of {limit} bytes (setting: repository.upload_max_bytes / FERRY_REPOSITORY_UPLOAD_MAX_BYTES)",
    http: 413,
    grpc: 'RESOURCE_EXHAUSTED',
  },
  FERRY_ERR_CONFIG_OVERRIDE_INVALID: { message: "failed to load model '{model}': its configuration is refused: {detail}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_EXTENSION_UNSUPPORTED: { message: '{extension} is not supported by Ferry: {detail}', http: 400, grpc: 'UNIMPLEMENTED' },
  FERRY_ERR_CONTENT_TYPE_MISSING: { message: 'the request has no Content-Type: this endpoint takes {accepted}', http: 415, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_BODY_TOO_LARGE: {
    message: 'request of {size} bytes exceeds the limit of {limit} bytes (setting: {setting})',
    http: 413,
    grpc: 'RESOURCE_EXHAUSTED',
  },
  FERRY_ERR_LIMIT_EXCEEDED: { message: '{what} exceeds the limit of {limit} (setting: {setting})', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_RESPONSE_TOO_LARGE: {
    message: 'response of {size} bytes exceeds the limit of {limit} bytes (setting: {setting})',
    http: 500,
    grpc: 'RESOURCE_EXHAUSTED',
  },
  FERRY_ERR_BINARY_HEADER: { message: 'binary tensor data: {detail}', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_MODEL_NAME_INVALID: { message: "invalid model name '{model}': {detail}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_MODEL_NOT_FOUND: { message: "model '{model}' not found", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_VERSION_NOT_FOUND: { message: "model '{model}' has no version '{version}'", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_LABEL_NOT_FOUND: { message: "model '{model}' has no label '{label}'", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_VERSION_AND_LABEL: {
    message: 'a request may name a version or a label, not both',
    http: 400,
    grpc: 'INVALID_ARGUMENT',
  },
  FERRY_ERR_MODEL_NOT_READY: { message: "model '{model}' version '{version}' is not ready ({state})", http: 503, grpc: 'UNAVAILABLE' },
  FERRY_ERR_LOAD_MODEL_NOT_FOUND: { message: "failed to load model '{model}': the repository has no model of that name", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_MODEL_LOAD_FAILED: { message: "failed to load model '{model}': {detail}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_UNSUPPORTED_MODEL: { message: "model '{model}': {detail}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_INPUT_MISSING: { message: "model '{model}' requires input '{input}'", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_INPUT_UNEXPECTED: { message: "model '{model}' has no input '{input}' (inputs: {expected})", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_INPUT_DUPLICATE: { message: "input '{input}' appears more than once", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_DATATYPE_MISMATCH: {
    message: "input '{input}' has datatype {actual}, model expects {expected}",
    http: 400,
    grpc: 'INVALID_ARGUMENT',
  },
  FERRY_ERR_DATATYPE_UNKNOWN: { message: "unknown datatype '{datatype}'", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_SHAPE_INVALID: { message: "tensor '{input}' has an invalid shape {shape}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_SHAPE_MISMATCH: {
    message: "input '{input}' has shape {actual}, model expects {expected}",
    http: 400,
    grpc: 'INVALID_ARGUMENT',
  },
  FERRY_ERR_BATCH_TOO_LARGE: {
    message: "inference request batch-size must be <= {max} for '{model}': input '{input}' has {rows} rows (model.yaml max_request_rows)",
    http: 400,
    grpc: 'INVALID_ARGUMENT',
  },
  FERRY_ERR_ELEMENT_COUNT: {
    message: "tensor '{input}' has {actual} elements, its shape {shape} needs {expected}",
    http: 400,
    grpc: 'INVALID_ARGUMENT',
  },
  FERRY_ERR_TENSOR_DATA: { message: "tensor '{input}': {detail}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_BYTES_UNREADABLE: {
    message: "input '{input}' element {index} {problem}, which model '{model}' cannot read: {reason}",
    http: 400,
    grpc: 'INVALID_ARGUMENT',
  },
  FERRY_ERR_OUTPUT_NOT_TEXT: {
    message: "output '{output}' element {index} is not UTF-8 text, and this answer writes it as a JSON string: {alternative}",
    http: 400,
    grpc: 'INVALID_ARGUMENT',
  },
  FERRY_ERR_OUTPUT_UNKNOWN: { message: "model '{model}' has no output '{output}' (outputs: {expected})", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_OUTPUT_DUPLICATE: { message: "output '{output}' is requested more than once", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_PARAMETER_INVALID: { message: "parameter '{parameter}': {detail}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_REGISTRY_MODEL_NOT_FOUND: { message: "registered model '{model}' not found", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_REGISTRY_MODEL_EXISTS: { message: "registered model '{model}' already exists", http: 409, grpc: 'ALREADY_EXISTS' },
  FERRY_ERR_REGISTRY_VERSION_NOT_FOUND: { message: "registered model '{model}' has no version {version}", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_REGISTRY_ALIAS_NOT_FOUND: { message: "registered model '{model}' has no alias '{alias}'", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_REGISTRY_INVALID: { message: 'invalid registry request: {detail}', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_REGISTRY_UNAVAILABLE: { message: 'model registry unavailable: {detail}', http: 503, grpc: 'UNAVAILABLE' },
  FERRY_ERR_REGISTRY_SCHEMA: {
    message: 'registry schema is at version {found}, newer than this Ferry knows ({known}); upgrade Ferry',
    http: 500,
    grpc: 'FAILED_PRECONDITION',
  },
  FERRY_ERR_ARTIFACT_NOT_FOUND: { message: "artifact '{uri}' not found: {detail}", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_ARTIFACT_SOURCE_DENIED: {
    message: "artifact source '{uri}' is not allowed ({detail}); allow it in registry.artifacts.allow",
    http: 403,
    grpc: 'PERMISSION_DENIED',
  },
  FERRY_ERR_ARTIFACT_DIGEST_MISMATCH: {
    message: "artifact '{uri}' has digest {actual}, the registry recorded {expected}: refused",
    http: 422,
    grpc: 'FAILED_PRECONDITION',
  },
  FERRY_ERR_ARTIFACT_FETCH_FAILED: { message: "fetching artifact '{uri}' failed: {detail}", http: 502, grpc: 'UNAVAILABLE' },
  FERRY_ERR_ROUTE_NOT_FOUND: { message: 'no route for {method} {path}', http: 404, grpc: 'UNIMPLEMENTED' },
  FERRY_ERR_SERVICE_UNKNOWN: { message: "no service '{service}' to report the health of", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_UNAUTHORIZED: { message: 'this endpoint needs a valid bearer token', http: 401, grpc: 'UNAUTHENTICATED' },
  FERRY_ERR_FORBIDDEN: { message: "token '{actor}' lacks the '{scope}' scope this endpoint needs", http: 403, grpc: 'PERMISSION_DENIED' },
  FERRY_ERR_DEADLINE_EXCEEDED: { message: 'deadline of {timeout_ms} ms passed before the answer was ready', http: 504, grpc: 'DEADLINE_EXCEEDED' },
  FERRY_ERR_QUEUE_FULL: {
    message: "model '{model}' queue is full ({limit} waiting); retry later",
    http: 429,
    grpc: 'RESOURCE_EXHAUSTED',
  },
  FERRY_ERR_SERVER_BUSY: {
    message: 'server busy: {detail} (setting: {setting}); retry after {retry_after_s} s',
    http: 503,
    grpc: 'UNAVAILABLE',
  },
  FERRY_ERR_SHUTTING_DOWN: { message: 'server is shutting down', http: 503, grpc: 'UNAVAILABLE' },
  FERRY_ERR_CANCELLED: { message: 'request cancelled by the client', http: 499, grpc: 'CANCELLED' },
  FERRY_ERR_EXECUTION_FAILED: { message: "model '{model}' failed to execute: {detail}", http: 500, grpc: 'INTERNAL' },
  FERRY_ERR_WORKER_CRASHED: {
    message: "model '{model}' worker stopped while running the request ({detail}); it is being replaced",
    http: 503,
    grpc: 'UNAVAILABLE',
  },
  FERRY_ERR_WORKER_TIMEOUT: {
    message: "model '{model}' did not answer within {timeout_ms} ms (setting: {setting}); its worker is being replaced",
    http: 504,
    grpc: 'DEADLINE_EXCEEDED',
  },
  FERRY_ERR_GRAPH_INVALID: { message: "graph '{graph}' node '{node}': {detail}", http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_GRAPH_NOT_FOUND: { message: "graph '{graph}' not found", http: 404, grpc: 'NOT_FOUND' },
  FERRY_ERR_REMOTE_FAILED: {
    message: "remote node '{node}' ({url}) failed after {attempts} attempt(s): {detail}",
    http: 502,
    grpc: 'UNAVAILABLE',
  },
  FERRY_ERR_FEEDBACK_ROUTE_UNKNOWN: {
    message: "graph '{graph}' has no route for request '{request_id}' (give the route the answer carried, or send feedback sooner)",
    http: 404,
    grpc: 'NOT_FOUND',
  },
  FERRY_ERR_SELDON_UNSUPPORTED: { message: 'SeldonDeployment {where}: {detail}', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_DATA_FILE: { message: '{file}: {detail}', http: 400, grpc: 'INVALID_ARGUMENT' },
  FERRY_ERR_CONFIG_INVALID: { message: 'invalid configuration: {detail}', http: 500, grpc: 'FAILED_PRECONDITION' },
  FERRY_ERR_INTERNAL: { message: 'internal error: {detail}', http: 500, grpc: 'INTERNAL' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;
