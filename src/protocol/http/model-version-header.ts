/**
 * The response header (and gRPC initial-metadata key) naming the model version that answered, on every protocol:
 * TF Serving's, MLflow's and Seldon's REST answers have no field of their own for it, and a client behind a label or
 * a version policy needs to know which version it got.
 */
export const MODEL_VERSION_HEADER = 'ferry-model-version';
