// "Try sample photos": the loaded package's bundled samples (samples/*.png, rendered by the synthetic-world
// generator) fetched and added like any dropped files.

import type { ImportReport } from '../state/imports';
import { readyModel } from '../state/model';
import { NoModelError } from './errors';
import { importFiles } from './importFiles';

/** The sample files of a model package at `baseUrl`. */
export async function fetchSamples(baseUrl: string, paths: readonly string[]): Promise<File[]> {
  return Promise.all(paths.map(async (p) => {
    const url = new URL(p, new URL(baseUrl, location.href)).href;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`Sample photo ${p} could not be downloaded (HTTP ${res.status}).`);
    const blob = await res.blob();
    return new File([blob], p.split('/').at(-1) ?? p, { type: blob.type || 'image/png', lastModified: 0 });
  }));
}

export async function trySamplePhotos(): Promise<ImportReport> {
  const model = readyModel();
  if (!model) throw new NoModelError('The sample photos come with the model, which has not loaded yet.');
  if (!model.baseUrl || model.samples.length === 0) throw new NoModelError('This model package has no sample photos.');
  return importFiles(await fetchSamples(model.baseUrl, model.samples));
}
