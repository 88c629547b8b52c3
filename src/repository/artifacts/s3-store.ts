import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { ferryError, isFerryError } from '../../errors/index.ts';
import type { ArtifactEntry, ArtifactListing, ArtifactStore } from './artifact-store.ts';
import { LIST_LIMIT } from './local-store.ts';

export interface S3StoreOptions {
  /** An S3-compatible endpoint (MinIO, Ceph, ...); AWS itself when absent (or AWS_ENDPOINT_URL_S3). */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** Path-style addressing (endpoint/bucket/key), which most S3-compatible servers need. */
  readonly forcePathStyle?: boolean | undefined;
  /** Credentials; the SDK's default chain (AWS_ACCESS_KEY_ID, profiles, roles) when absent. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

function parse(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (!match || match[1]!.length === 0) throw ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri, detail: 'not an s3://bucket/key URI' });
  return { bucket: match[1]!, key: match[2]! };
}

function failure(uri: string, error: unknown): Error {
  if (isFerryError(error)) return error;
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
    return ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri, detail: name ?? 'not found' });
  }
  return ferryError('FERRY_ERR_ARTIFACT_FETCH_FAILED', { uri, detail: `${name ?? 'error'}: ${(error as Error).message}` }, error);
}

/** Artifacts in S3 or an S3-compatible object store: a folder is a key prefix, a file one object. */
export class S3ArtifactStore implements ArtifactStore {
  readonly schemes = ['s3'] as const;
  readonly #config: S3ClientConfig;
  #sdk: Promise<{ sdk: typeof S3Sdk; client: S3Client }> | undefined;

  constructor(options: S3StoreOptions = {}) {
    this.#config = {
      region: options.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
      // S3-compatible servers do not all speak the SDK's newer default checksums (aws-chunked CRC trailers);
      // the fetcher verifies every byte against the registry's digest anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    };
  }

  /** The SDK loads on first use: it costs a server that never reads from S3 a fifth of a second at start. */
  #connect(): Promise<{ sdk: typeof S3Sdk; client: S3Client }> {
    this.#sdk ??= import('@aws-sdk/client-s3').then((sdk) => ({ sdk, client: new sdk.S3Client(this.#config) }));
    return this.#sdk;
  }

  async list(uri: string, signal?: AbortSignal): Promise<ArtifactListing> {
    const { bucket, key } = parse(uri);
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    const files: ArtifactEntry[] = [];
    try {
      const { sdk: { ListObjectsV2Command, HeadObjectCommand }, client } = await this.#connect();
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal });
        for (const object of page.Contents ?? []) {
          const path = object.Key!.slice(prefix.length);
          if (path === '' || path.endsWith('/')) continue; // folder markers
          files.push({ path, size: object.Size ?? 0 });
        }
        if (files.length > LIST_LIMIT) throw ferryError('FERRY_ERR_ARTIFACT_SOURCE_DENIED', { uri, detail: `more than ${LIST_LIMIT} files` });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      if (files.length > 0) return { single: false, files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
      if (key === '' || key.endsWith('/')) throw ferryError('FERRY_ERR_ARTIFACT_NOT_FOUND', { uri, detail: 'no objects under this prefix' });
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      return { single: true, files: [{ path: key.split('/').at(-1)!, size: head.ContentLength ?? 0 }] };
    } catch (error) {
      throw failure(uri, error);
    }
  }

  child(folderUri: string, relativePath: string): string {
    return `${folderUri.replace(/\/+$/, '')}/${relativePath}`;
  }

  async read(fileUri: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const { bucket, key } = parse(fileUri);
    try {
      const { sdk: { GetObjectCommand }, client } = await this.#connect();
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      return object.Body as AsyncIterable<Uint8Array>;
    } catch (error) {
      throw failure(fileUri, error);
    }
  }

  async write(fileUri: string, bytes: Uint8Array): Promise<void> {
    const { bucket, key } = parse(fileUri);
    try {
      const { sdk: { PutObjectCommand }, client } = await this.#connect();
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength }));
    } catch (error) {
      throw failure(fileUri, error);
    }
  }
}
