// The app's long-lived services, set once by start.ts: the engine (behind the AppEngine port), the open photo
// library and the indexing runner. Module-level, like the stores, so actions outside React can reach them.

import type { Library } from '../storage/library';
import type { AppEngine } from './enginePort';
import { AppNotReadyError } from './errors';
import type { IndexingRunner } from './indexingRunner';

export interface Services {
  engine: AppEngine | null;
  lib: Library | null;
  runner: IndexingRunner | null;
  /** The URL the default model is loaded from (the ?model= parameter or /models/default/). */
  modelUrl: string;
}

export const services: Services = { engine: null, lib: null, runner: null, modelUrl: '/models/default/' };

export function requireLibrary(): Library {
  if (!services.lib) throw new AppNotReadyError('The photo library is not open yet.');
  return services.lib;
}

export function requireEngine(): AppEngine {
  if (!services.engine) throw new AppNotReadyError('The engine has not started yet.');
  return services.engine;
}
