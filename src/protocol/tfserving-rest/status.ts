import { ERRORS, ferryError } from '../../errors/index.ts';
import type { ModelStatus, VersionStatus } from '../../dataplane/index.ts';
import type { TfModelPath } from './model-path.ts';

/**
 * GetModelStatusResponse as TF Serving renders it: every version (or the one named) with its state. KServe's v1
 * protocol shares the path and reads `{name, ready}` from it, so those stand beside `model_version_status`: ready
 * when a version the path names (any, when it names none) is AVAILABLE.
 */
export function encodeStatus(status: ModelStatus, path: TfModelPath): { readonly ready: boolean; readonly body: string } {
  let versions = status.versions;
  if (path.label !== undefined) {
    const target = status.labels[path.label];
    if (target === undefined) throw ferryError('FERRY_ERR_LABEL_NOT_FOUND', { model: status.name, label: path.label });
    versions = versions.filter((v) => v.version === target);
  } else if (path.version !== undefined) {
    // `versions/{label}` names the label's version, as everywhere a version is named.
    const version = /^\d+$/.test(path.version) ? path.version : status.labels[path.version] ?? path.version;
    versions = versions.filter((v) => v.version === version);
    if (versions.length === 0) throw ferryError('FERRY_ERR_VERSION_NOT_FOUND', { model: status.name, version: path.version });
  }
  const ready = versions.some((v) => v.state === 'AVAILABLE');
  return { ready, body: JSON.stringify({ name: status.name, ready, model_version_status: versions.map(versionStatus) }) };
}

/** TF Serving has no ERROR state: a version that failed to load is END with the failure in its status. */
function versionStatus(v: VersionStatus) {
  const failed = v.state === 'ERROR';
  return {
    version: v.version,
    state: failed ? 'END' : v.state,
    status: {
      error_code: failed ? ERRORS.FERRY_ERR_MODEL_LOAD_FAILED.grpc : 'OK',
      error_message: failed ? v.reason ?? '' : '',
    },
  };
}
