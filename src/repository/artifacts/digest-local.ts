import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { artifactDigest, type HashedFile } from './artifact-digest.ts';
import { LocalArtifactStore, localPath } from './local-store.ts';

/** The digest of a local file or folder, with each file's own (what `ferry registry register` records). */
export async function digestLocal(source: string): Promise<{ digest: string; single: boolean; files: HashedFile[] }> {
  const store = new LocalArtifactStore();
  const listing = await store.list(source);
  const files: HashedFile[] = [];
  for (const file of listing.files) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(listing.single ? localPath(source) : localPath(store.child(source, file.path)))) hash.update(chunk as Buffer);
    files.push({ path: file.path, size: file.size, sha256: hash.digest('hex') });
  }
  return { digest: artifactDigest(listing.single, files), single: listing.single, files };
}
