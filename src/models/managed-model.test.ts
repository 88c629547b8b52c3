import { describe, expect, it } from 'vitest';
import { ManagedModel } from './model-manager.ts';
import { ServedVersion } from './served-version.ts';

/** A model holding these versions, in this order, each AVAILABLE or failed. */
function modelWith(versions: Record<number, 'AVAILABLE' | 'ERROR'>, order = Object.keys(versions).map(Number)): ManagedModel {
  const model = new ManagedModel('m');
  for (const v of order) {
    const served = new ServedVersion('m', v, `stamp ${v}`, {});
    served.transition('LOADING');
    if (versions[v] === 'AVAILABLE') served.transition('AVAILABLE');
    else served.transition('ERROR', 'bad');
    model.versions.set(v, served);
  }
  return model;
}

describe('managed model', () => {
  it('starts in the repository with nothing selected, labelled or served', () => {
    const model = new ManagedModel('m');
    expect([model.inRepository, model.explicitlyUnloaded, model.origin, model.selected, model.labels]).toEqual([true, false, 'repository', [], {}]);
    expect([model.latestAvailable(), model.defaultServed(), model.fallback()]).toEqual([undefined, undefined, undefined]);
  });

  it('serves the newest AVAILABLE version, whatever order the versions were added in', () => {
    const model = modelWith({ 1: 'AVAILABLE', 2: 'AVAILABLE', 3: 'AVAILABLE', 4: 'ERROR' }, [3, 1, 4, 2]);
    expect(model.latestAvailable()?.version).toBe(3);
    expect(model.defaultServed()?.version).toBe(3);
  });

  it('serves the newest version to a request naming none when the source names no default, labelled or not', () => {
    const model = modelWith({ 1: 'AVAILABLE', 2: 'AVAILABLE', 3: 'AVAILABLE' });
    model.sourceLabels = { challenger: 3 };
    expect(model.defaultServed()?.version).toBe(3);
  });

  it('serves the newest of the versions no label alone keeps, whatever order they were added in', () => {
    const model = modelWith({ 1: 'AVAILABLE', 2: 'AVAILABLE', 3: 'AVAILABLE', 4: 'AVAILABLE', 5: 'ERROR', 6: 'AVAILABLE' }, [3, 1, 6, 4, 2, 5]);
    model.sourceLabels = { champion: 5, challenger: 6 };
    model.defaultVersion = 5;
    expect(model.defaultServed()?.version).toBe(4);
  });

  it('serves the source default when it is AVAILABLE, else the newest version no label alone keeps', () => {
    const model = modelWith({ 1: 'AVAILABLE', 2: 'AVAILABLE', 3: 'AVAILABLE', 4: 'ERROR' }, [3, 2, 1, 4]);
    model.sourceLabels = { champion: 1, challenger: 3 };
    model.defaultVersion = 1;
    expect(model.defaultServed()?.version).toBe(1);
    model.defaultVersion = 4;
    expect(model.defaultServed()?.version).toBe(2);
    // Only label versions serve: the newest of them, rather than none.
    model.versions.delete(2);
    expect(model.defaultServed()?.version).toBe(3);
    model.defaultVersion = 9;
    model.sourceLabels = { champion: 9, challenger: 3 };
    expect(model.defaultServed()?.version).toBe(1);
  });

  it('names a fallback only when no selected version serves and another does', () => {
    const model = modelWith({ 1: 'AVAILABLE', 2: 'ERROR', 3: 'AVAILABLE' });
    expect(model.fallback()).toBeUndefined();
    model.selected = [2, 3];
    expect(model.fallback()).toBeUndefined();
    model.selected = [3, 2];
    expect(model.fallback()).toBeUndefined();
    model.selected = [2];
    expect(model.fallback()?.version).toBe(3);
    model.selected = [5, 2];
    expect(model.fallback()?.version).toBe(3);
  });

  it('says why nothing serves: model.yaml, the folder layout, or no version loaded', () => {
    const model = new ManagedModel('m');
    expect(model.noVersionReason).toBe('no version loaded');
    model.layoutHint = 'an MLflow model: put it in a version folder';
    expect(model.noVersionReason).toBe('no version folder: an MLflow model: put it in a version folder');
    model.configError = 'model.yaml is not valid YAML';
    expect(model.noVersionReason).toBe('model.yaml is not valid YAML');
  });

  it('gives model.yaml labels the last word over the source labels', () => {
    const model = new ManagedModel('m');
    model.sourceLabels = { champion: 1, stable: 2 };
    expect(model.labels).toEqual({ champion: 1, stable: 2 });
    model.config = { labels: { stable: 3 } };
    expect(model.labels).toEqual({ champion: 1, stable: 3 });
  });
});
