export { seldonServices, SELDON_SERVICE, SELDON_MODEL_SERVICE, SELDON_GENERIC_SERVICE, type SeldonGrpcOptions } from './service.ts';
export { SELDON_PROTO_DIR, SELDON_PROTO_FILES, seldonPackageDefinition } from './schema.ts';
