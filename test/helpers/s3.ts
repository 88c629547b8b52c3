import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from '@20minutes/s3rver';

export interface LocalS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  close(): Promise<void>;
}

/**
 * An S3-compatible server (s3rver) on an ephemeral loopback port with one bucket, its data in a temporary folder.
 * Signatures are not checked: s3rver canonicalises query strings differently from AWS (a ListObjectsV2 prefix with
 * '/' fails its check although AWS accepts it), and request signing is not what these tests are about.
 */
export async function startLocalS3(bucket = 'ferry-artifacts'): Promise<LocalS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'ferry-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }], allowMismatchedSignatures: true });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
