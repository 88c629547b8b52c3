export { ERRORS, type ErrorCode, type ErrorDefinition, type GrpcStatusName } from './catalogue.ts';
export { FerryError, ferryError, isFerryError, asFerryError, type ErrorParams } from './ferry-error.ts';
export { redactSecrets, REDACTION } from './redact.ts';
export { yamlErrorSummary } from './yaml-error.ts';
export { closestName, didYouMean } from './did-you-mean.ts';
export { describeSchemaIssue } from './schema-issue.ts';
