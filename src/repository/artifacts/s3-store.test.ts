import { afterAll, beforeAll } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../../test/helpers/s3.ts';
import { runArtifactStoreConformance } from './artifact-store.case.ts';
import { S3ArtifactStore } from './s3-store.ts';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(() => s3.close());
let n = 0;

const store = () => new S3ArtifactStore({ endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });

runArtifactStoreConformance({
  name: 'S3 (s3rver on loopback)',
  store,
  async seed(files) {
    const folder = `s3://${s3.bucket}/models/a${n++}`;
    for (const [name, bytes] of Object.entries(files)) await store().write(store().child(folder, name), bytes);
    return folder;
  },
  listsFolders: true,
  allow: ['s3://ferry-artifacts/models/'],
});
