// The manifest validator on the exporter's real manifest, and one broken field at a time: the error must name it.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ModelFormatError } from '../../../src/model/errors';
import { allowedTokenCounts, externalDataFiles, loraProjectionDims, parseManifest } from '../../../src/model/manifest';
import { requiredFiles } from '../../../src/model/package';

const text = readFileSync(new URL('../../fixtures/tiny-package/manifest.json', import.meta.url), 'utf8');
const fresh = () => JSON.parse(text) as Record<string, any>;

function fieldError(edit: (m: Record<string, any>) => void): ModelFormatError {
  const m = fresh();
  edit(m);
  try {
    parseManifest(m);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFormatError);
    return e as ModelFormatError;
  }
  throw new Error('parseManifest accepted a broken manifest');
}

describe('parseManifest', () => {
  test('reads the exporter fixture and keeps what the engine needs', () => {
    const m = parseManifest(text);
    expect(m.formatVersion).toBe(2);
    // decoder.onnx and the per-layer graphs read their weights from one shared file, which is fetched and checked
    expect(m.graphs.decoder.externalData).toBe('decoder_weights.bin');
    expect(m.graphs.layers?.externalData).toBe('decoder_weights.bin');
    expect(m.graphs.vision.externalData).toBeUndefined();
    expect(externalDataFiles(m.graphs)).toEqual(['decoder_weights.bin']);
    expect(requiredFiles(m).filter((f) => f === 'decoder_weights.bin')).toHaveLength(1);
    expect(m.modelId).toMatch(/^f2b-[0-9a-f]{16}$/);
    expect(m.fwd2bot.numSummaryTokens).toBe(m.tensors.summaryTokens.shape[0]);
    expect(m.tensors.summaryTokens.shape[1]).toBe(m.architecture.decoder.hiddenSize);
    expect(Object.keys(m.tensors.lora).sort()).toEqual(m.fwd2bot.loraStages.slice().sort());
    expect(m.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    expect(allowedTokenCounts(m)).toEqual([...new Set([...m.fwd2bot.nestedK, m.fwd2bot.numSummaryTokens])].sort((a, b) => a - b));
    // LoRA entry shapes agree with the architecture's projection sizes
    const dims = loraProjectionDims(m.architecture.decoder);
    for (const e of m.tensors.lora.compress.entries) {
      const [, , proj, ab] = e.name.split('.');
      const [inF, outF] = dims[proj as keyof typeof dims];
      expect(ab === 'A' ? e.shape[1] : e.shape[0], e.name).toBe(ab === 'A' ? inF : outF);
    }
  });

  test('a newer format version is refused with an update hint', () => {
    const e = fieldError((m) => { m.formatVersion = 3; });
    expect(e.message).toMatch(/field "formatVersion" is 3; this app reads versions 1 to 2/);
    expect(e.hint).toMatch(/update the app/);
    expect(e.data).toMatchObject({ file: 'manifest.json', field: 'formatVersion' });
  });

  test('format 1 (self-contained graphs) is still read, but cannot name external data', () => {
    const v1 = fresh();
    v1.formatVersion = 1;
    delete v1.graphs.decoder.externalData;
    delete v1.graphs.layers.externalData;
    const m = parseManifest(v1);
    expect(m.formatVersion).toBe(1);
    expect(externalDataFiles(m.graphs)).toEqual([]);
    expect(requiredFiles(m)).not.toContain('decoder_weights.bin');
    const e = fieldError((x) => { x.formatVersion = 1; delete x.graphs.layers.externalData; });
    expect(e.data).toMatchObject({ field: 'graphs.decoder.externalData' });
    expect(e.message).toMatch(/needs format version 2/);
  });

  test('an external-data file must be a listed package file inside the package', () => {
    const unlisted = fieldError((m) => { m.files = m.files.filter((f: { path: string }) => f.path !== 'decoder_weights.bin'); });
    expect(unlisted.message).toMatch(/does not list "decoder_weights.bin"/);
    const outside = fieldError((m) => { m.graphs.layers.externalData = '../weights.bin'; });
    expect(outside.data).toMatchObject({ field: 'graphs.layers.externalData' });
  });

  test.each<[string, (m: Record<string, any>) => void, string]>([
    ['wrong format name', (m) => { m.format = 'onnx'; }, 'format'],
    ['K missing', (m) => { delete m.fwd2bot.numSummaryTokens; }, 'fwd2bot.numSummaryTokens'],
    ['nested K above K', (m) => { m.fwd2bot.nestedK = [1, 99]; }, 'fwd2bot.nestedK.1'],
    ['unknown pass-1 attention', (m) => { m.fwd2bot.passOneAttention = 'sideways'; }, 'fwd2bot.passOneAttention'],
    ['stage names an adapter that is not there', (m) => { m.fwd2bot.stageForPass.generate = 'chat'; }, 'fwd2bot.stageForPass.generate'],
    ['heads not a multiple of kvHeads', (m) => { m.architecture.decoder.kvHeads = 3; }, 'architecture.decoder.kvHeads'],
    ['projector size differs from d', (m) => { m.architecture.projector.outputSize = 7; }, 'architecture.projector.outputSize'],
    ['summary token shape differs from (K, d)', (m) => { m.tensors.summaryTokens.shape = [3, 32]; }, 'tensors.summaryTokens.shape'],
    ['a resize the app does not know', (m) => { m.preprocessing.resize = 'bicubic'; }, 'preprocessing.resize'],
    ['a zero std', (m) => { m.preprocessing.std = [0.5, 0, 0.5]; }, 'preprocessing.std.1'],
    ['turn without {question}', (m) => { m.chatTemplate.turn = 'user : assistant :'; }, 'chatTemplate.turn'],
    ['stop id outside the vocabulary', (m) => { m.chatTemplate.stop = [100000]; }, 'chatTemplate.stop.0'],
    ['bad checksum text', (m) => { m.files[0].sha256 = 'abc'; }, 'files.0.sha256'],
    ['a path leaving the package', (m) => { m.graphs.decoder.file = '../decoder.onnx'; }, 'graphs.decoder.file'],
    ['a graph that files[] does not list', (m) => { m.files = m.files.filter((f: { path: string }) => f.path !== 'vision.onnx'); }, 'files'],
    ['LoRA entry without a shape', (m) => { delete m.tensors.lora.generate.entries[3].shape; }, 'tensors.lora.generate.entries.3.shape'],
  ])('%s -> names %s', (_, edit, field) => {
    const e = fieldError(edit);
    expect(e.message).toContain(`"manifest.json" is not a valid model file: field "${field}"`);
    expect(e.data).toMatchObject({ file: 'manifest.json', field });
    expect(e.hint.length).toBeGreaterThan(20);
  });

  test('text that is not JSON names manifest.json', () => {
    expect(() => parseManifest('{"format":')).toThrow(/"manifest.json" is not a valid model file: not JSON/);
  });

  test('unknown extra fields are ignored (forward compatible within version 1)', () => {
    const m = fresh();
    m.somethingNew = { x: 1 };
    m.fwd2bot.futureOption = true;
    expect(parseManifest(m).modelId).toBe(fresh().modelId);
  });
});
