/** What the data plane reports about each request; observe/ implements it with Prometheus metrics. */
export interface DataPlaneObserver {
  onInfer(event: InferEvent): void;
}

export interface InferEvent {
  readonly model: string;
  readonly version: string;
  readonly protocol: string;
  /** HTTP-style status: 200 on success, the catalogue's status on error. */
  readonly status: number;
  readonly seconds: number;
}

export const NO_OBSERVER: DataPlaneObserver = { onInfer() {} };
