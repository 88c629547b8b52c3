import { isFerryError } from '../../errors/index.ts';

/** The catalogue code and message of what `run` throws; a test fails if it throws anything else or nothing. */
export function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isFerryError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal, got none');
}

/** The same for an asynchronous `run`. */
export async function refusalOf(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (error) {
    if (isFerryError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal, got none');
}

/** A typed array or list as a plain array, for exact comparisons. */
export function values(data: unknown): unknown[] {
  return Array.from(data as ArrayLike<unknown>);
}
