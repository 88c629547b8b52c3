export { repositoryLoadBodyLimit, v2RestRoutes, type V2RestOptions } from './routes.ts';
export { decodeInferRequest, parseHeaderLength, decodeParameters } from './decode-request.ts';
export { encodeInferResponse } from './encode-response.ts';
export { createInferFastPath, type FastPathOptions } from './fast-path.ts';
