export type { ArtifactEntry, ArtifactListing, ArtifactStore } from './artifact-store.ts';
export { schemeOf } from './artifact-store.ts';
export { artifactDigest, type HashedFile } from './artifact-digest.ts';
export { ArtifactFetcher, type ArtifactRequest, type FetchedArtifact, type FetcherOptions } from './artifact-fetcher.ts';
export { SourceAllowList } from './allow-list.ts';
export { LocalArtifactStore, localPath } from './local-store.ts';
export { S3ArtifactStore, type S3StoreOptions } from './s3-store.ts';
export { HttpArtifactStore, type HttpStoreOptions } from './http-store.ts';
export { digestLocal } from './digest-local.ts';
