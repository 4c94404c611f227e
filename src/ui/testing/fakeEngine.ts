// A deterministic stand-in for the engine in UI tests (never shipped): it "compresses" a photo into its mean
// colour (K = 2 tokens of d = 4: [r, g, b, 0.05]), embeds colour words of a query the same way, and answers
// with the photo's dominant colour, word by word, honouring the AbortSignal. Delays make streaming and
// queue states observable.

import type { BackendStatus } from '../../engine/api';
import type { AppEngine, AttentionMap, CallOptions, ChatInput, CompressResult, GalleryRanker, ModelInfo, ModelSource } from '../../app/enginePort';
import type { Progress } from '../../engine/protocol';
import { f16ArrayToF32, f32ArrayToF16 } from '../../shared/fp16';

export const FAKE_MODEL: ModelInfo = {
  modelId: 'f2b-fake000000000001', name: 'fake-synthetic-model', source: '/test/fixtures/tiny-package/',
  baseUrl: '/test/fixtures/tiny-package/', K: 2, d: 4, nestedK: [1, 2],
  quantization: { decoder: 'int8', vision: 'none', compute: 'float32' }, bytesPerPhoto: 16,
  samples: ['samples/sample_00.png', 'samples/sample_01.png', 'samples/sample_02.png', 'samples/sample_03.png'],
  modelCard: 'MODEL_CARD.md', captionQuestion: 'describe the image .', imageSize: [64, 64], patchGrid: [4, 4], device: 'wasm', capabilities: { attentionMap: true },
};

const COLOURS: Record<string, [number, number, number]> = {
  red: [1, 0, 0], green: [0, 1, 0], blue: [0, 0, 1], yellow: [1, 1, 0], white: [1, 1, 1], black: [0, 0, 0],
};

function abortError(): DOMException {
  return new DOMException('The operation was aborted.', 'AbortError');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(abortError()); }, { once: true });
  });
}

/** Mean colour of an image in [0, 1]. */
export async function meanColour(image: Blob): Promise<[number, number, number]> {
  const bmp = await createImageBitmap(image);
  const c = new OffscreenCanvas(4, 4);
  const ctx = c.getContext('2d')!;
  ctx.drawImage(bmp, 0, 0, 4, 4);
  bmp.close();
  const px = ctx.getImageData(0, 0, 4, 4).data;
  const m = [0, 0, 0];
  for (let i = 0; i < px.length; i += 4) for (let j = 0; j < 3; j++) m[j] += px[i + j] / 255 / 16;
  return [m[0], m[1], m[2]];
}

export interface FakeEngineOptions {
  info?: Partial<ModelInfo>;
  compressMs?: number;
  wordMs?: number;
  loadMs?: number;
  /** Make compress fail for some images (by size in bytes, simplest to control). */
  failCompress?: (image: Blob) => string | null;
  /** loadModel rejects with this error. */
  loadError?: Error;
}

export class FakeEngine implements AppEngine {
  /** The model it loads (tests may swap it to simulate loading another package). */
  info: ModelInfo;
  compressCalls = 0;
  readonly chatInputs: ChatInput[] = [];
  loads: ModelSource[] = [];
  /** GPU ranking: none by default (search then uses its JS scan); tests plug one in. */
  gallery?: GalleryRanker;

  constructor(private readonly opts: FakeEngineOptions = {}) {
    this.info = { ...FAKE_MODEL, ...opts.info };
  }

  async probe(): Promise<BackendStatus> {
    throw new Error('not used in UI tests');
  }

  async loadModel(source: ModelSource, o: CallOptions & { onProgress?: (p: Progress) => void } = {}): Promise<ModelInfo> {
    this.loads.push(source);
    const total = 1000;
    for (let loaded = 0; loaded <= total; loaded += 250) {
      o.onProgress?.({ phase: loaded < total ? 'download' : 'compile', loaded, total, text: `Downloading decoder.onnx (${loaded} / ${total} B)`, timeElapsed: loaded });
      await sleep((this.opts.loadMs ?? 0) / 5, o.signal);
    }
    if (this.opts.loadError) throw this.opts.loadError;
    const src = source.kind === 'url' ? source.url : `the folder you picked (${source.files[0]?.webkitRelativePath.split('/')[0] ?? ''})`;
    return { ...this.info, source: src, baseUrl: source.kind === 'url' ? source.url : null };
  }

  async compress(image: Blob, o: CallOptions = {}): Promise<CompressResult> {
    this.compressCalls++;
    await sleep(this.opts.compressMs ?? 0, o.signal);
    const why = this.opts.failCompress?.(image);
    if (why) throw Object.assign(new Error(why), { name: 'ImageDecodeError', hint: 'Use another file.' });
    const [r, g, b] = await meanColour(image);
    const row = [r, g, b, 0.05];
    return { modelId: this.info.modelId, K: 2, d: 4, tokens: f32ArrayToF16([...row, ...row]) };
  }

  async *chat(input: ChatInput, o: CallOptions = {}): AsyncIterable<string> {
    this.chatInputs.push(input);
    const [r, g, b] = f16ArrayToF32(input.tokens.data.subarray(0, 4));
    const name = Object.entries(COLOURS).reduce((best, [n, c]) => {
      const dist = (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2;
      return dist < best.dist ? { n, dist } : best;
    }, { n: 'grey', dist: Infinity }).n;
    const words = ['the', 'photo', 'is', name, `(k=${input.k})`];
    for (let i = 0; i < words.length; i++) {
      await sleep(this.opts.wordMs ?? 0, o.signal);
      yield (i ? ' ' : '') + words[i];
    }
  }

  async embedText(text: string, o: CallOptions = {}): Promise<Float32Array> {
    await sleep(0, o.signal);
    const v = [0, 0, 0, 0.05];
    for (const w of text.toLowerCase().split(/\W+/)) {
      const c = COLOURS[w];
      if (c) for (let j = 0; j < 3; j++) v[j] += c[j];
    }
    return Float32Array.from(v);
  }

  async attentionMap(_image: Blob, o: CallOptions = {}): Promise<AttentionMap | null> {
    await sleep(0, o.signal);
    return { rows: 4, cols: 4, values: Float32Array.from({ length: 16 }, (_, i) => i / 15) };
  }
}
