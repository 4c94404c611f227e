// The heatmap of a photo: what its summary tokens attended to in pass 1 (the engine recomputes it from the
// image: the original when kept, else the thumbnail, both larger than the model's input).

import { readyModel } from '../state/model';
import type { AttentionMap } from './enginePort';
import { NoModelError } from './errors';
import { photoBlob } from './photoImages';
import { requireEngine } from './services';

export async function attentionFor(photoId: string, signal?: AbortSignal): Promise<AttentionMap | null> {
  if (!readyModel()) throw new NoModelError();
  const blob = await photoBlob(photoId);
  if (!blob) return null;
  return requireEngine().attentionMap(blob, signal ? { signal } : {});
}
