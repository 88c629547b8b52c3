import { ferryError } from '../errors/index.ts';

/** Model names are path segments: letters, digits, '_', '-', '.', never '.'/'..' or a separator. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isValidModelName(name: string): boolean {
  return MODEL_NAME.test(name) && !name.includes('..');
}

export function assertModelName(name: string): string {
  if (!isValidModelName(name)) {
    throw ferryError('FERRY_ERR_MODEL_NAME_INVALID', {
      model: name.slice(0, 64),
      detail: 'use 1-128 letters, digits, _ - . starting with a letter or digit',
    });
  }
  return name;
}

/** Version folder names are positive integers without leading zeros. */
export function isVersionFolder(name: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(name);
}
