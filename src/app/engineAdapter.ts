// The AppEngine port on top of the worker-backed EngineClient. Placeholder until EngineApi offers
// loadModel / compress / chat / embedText: each missing method fails with EngineFeatureMissingError, which
// the UI shows as "the engine cannot … yet".

import type { EngineClient } from '../engine/client';
import type { AppEngine } from './enginePort';
import { EngineFeatureMissingError } from './errors';

export function engineForApp(client: EngineClient): AppEngine {
  return {
    probe: () => client.probe(),
    loadModel: async () => { throw new EngineFeatureMissingError('load models'); },
    compress: async () => { throw new EngineFeatureMissingError('index photos'); },
    chat: async function* () { throw new EngineFeatureMissingError('answer questions'); },
    embedText: async () => { throw new EngineFeatureMissingError('search'); },
    attentionMap: async () => null,
  };
}
