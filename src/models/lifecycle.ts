/** Model version states, as TF Serving names them. ERROR carries a reason. */
export type VersionState = 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END' | 'ERROR';

const ALLOWED: Record<VersionState, readonly VersionState[]> = {
  START: ['LOADING'],
  LOADING: ['AVAILABLE', 'ERROR'],
  AVAILABLE: ['UNLOADING'],
  UNLOADING: ['END'],
  END: [],
  ERROR: [],
};

export function canTransition(from: VersionState, to: VersionState): boolean {
  return ALLOWED[from].includes(to);
}
