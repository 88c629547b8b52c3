export { DataPlane } from './dataplane.ts';
export { validateRequest } from './validate.ts';
export type { DataPlaneObserver, InferEvent } from './observer.ts';
export type * from './views.ts';
