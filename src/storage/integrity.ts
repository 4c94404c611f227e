// Checks the library's invariants (schema.ts) in one readonly transaction: for tests, and for a
// "check library" action. Reads keys only, except photos, chats and jobs.

import type { Library } from './library';
import { ALL_STORES, type StoreName } from './schema';

export interface IntegrityReport {
  counts: Record<StoreName, number>; // rows per store; for embeddings: photo rows across all shards
  problems: string[]; // empty when every invariant holds
}

export async function verifyLibrary(lib: Library): Promise<IntegrityReport> {
  return lib.read(ALL_STORES, async (tx) => {
    const [photos, thumbKeys, originalKeys, tokenKeys, shards, chats, jobs, settings] = await Promise.all([
      tx.objectStore('photos').getAll(),
      tx.objectStore('thumbnails').getAllKeys(),
      tx.objectStore('originals').getAllKeys(),
      tx.objectStore('tokens').getAllKeys(),
      tx.objectStore('embeddings').getAll(),
      tx.objectStore('chats').getAll(),
      tx.objectStore('jobs').getAll(),
      tx.objectStore('settings').count(),
    ]);
    const problems: string[] = [];
    const ids = new Set(photos.map((p) => p.id));
    const thumbs = new Set(thumbKeys);
    const originals = new Set(originalKeys);
    const tokens = new Set(tokenKeys.map(([p, m]) => `${p}\u0000${m}`));
    const embeddingKeys: [string, string][] = [];
    for (const s of shards) {
      if (s.vectors.length !== s.photoIds.length * s.d) problems.push(`embedding shard ${s.modelId}/${s.shard}: ${s.vectors.length} values for ${s.photoIds.length} rows of d=${s.d}`);
      s.photoIds.forEach((p, i) => {
        embeddingKeys.push([p, s.modelId]);
        if (p.slice(0, 2) !== s.shard) problems.push(`embedding of ${p.slice(0, 12)} in shard ${s.shard}`);
        if (i > 0 && s.photoIds[i - 1] >= p) problems.push(`embedding shard ${s.modelId}/${s.shard} is not sorted`);
      });
    }
    const embeddings = new Set(embeddingKeys.map(([p, m]) => `${p}\u0000${m}`));
    const jobIds = new Set(jobs.map((j) => j.photoId));
    for (const p of photos) {
      const short = p.id.slice(0, 12);
      if ((p.status === 'indexed' || p.status === 'stale') && p.modelId === undefined) problems.push(`${short}: ${p.status} without modelId`);
      if (p.status === 'indexed' || p.status === 'stale') {
        const k = `${p.id}\u0000${p.modelId}`;
        if (!thumbs.has(p.id)) problems.push(`${short}: ${p.status} without thumbnail`);
        if (!tokens.has(k)) problems.push(`${short}: ${p.status} without tokens for ${p.modelId}`);
        if (!embeddings.has(k)) problems.push(`${short}: ${p.status} without embedding for ${p.modelId}`);
      }
      if ((p.status === 'pending' || p.status === 'indexing') && !jobIds.has(p.id)) problems.push(`${short}: ${p.status} without a job`);
      if (p.status === 'pending' && !originals.has(p.id)) problems.push(`${short}: pending without its original`);
      if (p.status === 'failed' && !p.failReason) problems.push(`${short}: failed without a reason`);
    }
    for (const k of thumbKeys) if (!ids.has(k)) problems.push(`orphan thumbnail ${k.slice(0, 12)}`);
    for (const k of originalKeys) if (!ids.has(k)) problems.push(`orphan original ${k.slice(0, 12)}`);
    for (const [p, m] of tokenKeys) if (!ids.has(p)) problems.push(`orphan tokens ${p.slice(0, 12)}/${m}`);
    for (const [p, m] of embeddingKeys) if (!tokens.has(`${p}\u0000${m}`)) problems.push(`embedding ${p.slice(0, 12)}/${m} without tokens`);
    for (const c of chats) if (!ids.has(c.photoId)) problems.push(`orphan chat ${c.id}`);
    for (const j of jobs) if (!ids.has(j.photoId)) problems.push(`orphan job ${j.photoId.slice(0, 12)}`);
    const counts: Record<StoreName, number> = {
      photos: photos.length, thumbnails: thumbKeys.length, originals: originalKeys.length, tokens: tokenKeys.length,
      embeddings: embeddingKeys.length, chats: chats.length, jobs: jobs.length, settings,
    };
    return { counts, problems };
  });
}
