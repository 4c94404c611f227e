// The adapter's pure parts: the UI's model facts from the engine's ModelInfo plus the package manifest,
// and stored chat turns as the engine's (question, answer) history.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';
import type { ModelInfo as EngineModelInfo } from '../engine/api';
import { toModelInfo, turnPairs } from './engineAdapter';

const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../test/fixtures/tiny-package/manifest.json'), 'utf8'));

test('toModelInfo: the engine\'s facts as the UI shows them (K\' choices include K; heatmap when the engine has attention maps)', () => {
  const engine: EngineModelInfo = {
    modelId: manifest.modelId, name: manifest.name, K: 4, d: 32, tokenCounts: [1, 2], nestedK: [1, 2, 4], vocabSize: 115, maxPositions: 512,
    bytesPerPhoto: 256, quantization: manifest.quantization, modelCard: 'MODEL_CARD.md', captionQuestion: 'describe the image .',
    samples: ['samples/sample_00.png', 'samples/sample_01.png', 'samples/sample_02.png', 'samples/sample_03.png'],
    patchGrid: [4, 4], source: 'http://x.test/test/fixtures/tiny-package/',
    imageSize: [64, 64], devices: { vision: 'webgpu', embed: 'webgpu', decoder: 'webgpu' }, fallbackReason: null, loadMs: 10,
    baseUrl: 'http://x.test/test/fixtures/tiny-package/', device: 'webgpu', attentionMaps: 'kernels',
  };
  const info = toModelInfo(engine);
  expect(info).toMatchObject({
    modelId: manifest.modelId, K: 4, d: 32, nestedK: [1, 2, 4], bytesPerPhoto: 256, modelCard: 'MODEL_CARD.md',
    captionQuestion: 'describe the image .', patchGrid: [4, 4], device: 'webgpu', capabilities: { attentionMap: true },
    samples: ['samples/sample_00.png', 'samples/sample_01.png', 'samples/sample_02.png', 'samples/sample_03.png'],
  });
  expect(info.quantization).toMatchObject({ decoder: 'none', compute: 'float32' });
  expect(info.quantization).not.toBe(engine.quantization);
  expect(toModelInfo({ ...engine, attentionMaps: 'unavailable' }).capabilities.attentionMap).toBe(false);
  expect(toModelInfo({ ...engine, attentionMaps: undefined }).capabilities.attentionMap).toBe(false);
});

test('turnPairs: user/assistant turns become question/answer pairs; an unanswered question is left out', () => {
  const t = (role: 'user' | 'assistant', text: string) => ({ role, text, at: 0 });
  expect(turnPairs([t('user', 'q1'), t('assistant', 'a1'), t('user', 'q2'), t('assistant', 'a2'), t('user', 'q3')]))
    .toEqual([{ question: 'q1', answer: 'a1' }, { question: 'q2', answer: 'a2' }]);
  expect(turnPairs([])).toEqual([]);
});
