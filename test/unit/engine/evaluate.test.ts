// The TS evaluator of the reproduction harness (cli/evaluate.ts): evaluate.py's metrics ported exactly
// (caption facts through the regex sources testset.json carries, micro-averaged F1, exact-match VQA by type,
// R@k from ranks), and a whole run over a small test set on the tiny fixture.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { evaluate, main, type TestSet } from '../../../cli/evaluate';
import { CaptionScore, captionFacts, rankIn, recallAt, VqaScore } from '../../../cli/evalMetrics';

// python/fwd2bot/evaluate.py OBJ_RE.pattern and SIGN_RE.pattern, as `python -m fwd2bot.testset` writes them
const POS = 'bottom right|bottom left|top right|top left|center|bottom|right|left|top';
const patterns = {
  object: `an? (small|large) (\\w+) (\\w+) (?:at the|in the) (${POS})\\b`,
  sign: `a sign that says (\\w) (?:at the|in the) (${POS})\\b`,
};

describe('metrics (evaluate.py)', () => {
  test('caption facts: objects with their positions, signs, nothing else', () => {
    const cap = 'a small white triangle at the bottom left , a sign that says k in the center and a large red ring at the top on a gray background .';
    expect([...captionFacts(cap, patterns)].sort()).toEqual(['large|red|ring|top', 'sign|k|center', 'small|white|triangle|bottom left']);
    // "top left" is read whole, not as "top"; an unpositioned object is no fact
    expect([...captionFacts('a large blue cross at the top left and a small green square on a noisy background .', patterns)])
      .toEqual(['large|blue|cross|top left']);
  });

  test('caption F1 is micro-averaged over scenes, exact = the fact sets are equal', () => {
    const s = new CaptionScore();
    s.add([['small', 'white', 'triangle', 'bottom left']], 'a small white triangle at the bottom left on a gray background .', patterns);
    s.add([['large', 'red', 'ring', 'top'], ['sign', 'k', 'center']], 'a large red ring at the top and a large red ring at the left .', patterns);
    const r = s.result(); // tp 2, fp 1, fn 1
    expect(r.caption_precision).toBeCloseTo(2 / 3, 12);
    expect(r.caption_recall).toBeCloseTo(2 / 3, 12);
    expect(r.caption_object_f1).toBeCloseTo(2 / 3, 12);
    expect(r.caption_exact).toBe(0.5);
  });

  test('VQA: exact string match per type, every type listed (null when unasked)', () => {
    const v = new VqaScore(['color', 'count', 'reading']);
    v.add('color', 'red', 'red');
    v.add('color', 'red ', 'red');
    v.add('count', 'two', 'two');
    expect(v.result()).toEqual({ vqa: 2 / 3, vqa_by_type: { color: 0.5, count: 1, reading: null }, n_questions: 3 });
  });

  test('R@k from ranks; an unlisted candidate never counts', () => {
    expect(rankIn([{ photoId: '3' }, { photoId: '1' }], '1')).toBe(1);
    expect(rankIn([{ photoId: '3' }], '1')).toBe(Infinity);
    expect(recallAt([0, 1, 4, 9, Infinity])).toEqual({ 'R@1': 0.2, 'R@5': 0.6, 'R@10': 0.8 });
  });
});

const pkg = fileURLToPath(new URL('../../fixtures/tiny-package/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'fwd2bot-eval-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeTestSet(): string {
  const dir = join(work, 'testset');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const items = [0, 1].map((i) => {
    copyFileSync(join(pkg, `samples/sample_0${i}.png`), join(dir, `images/s${i}.png`)); // 256 px: the engine box-resizes
    return {
      index: i, image: `images/s${i}.png`, caption: i ? 'a large red ring at the top on a gray background .' : 'a small blue cross in the center on a sand background .',
      facts: i ? [['large', 'red', 'ring', 'top']] : [['small', 'blue', 'cross', 'center']],
      questions: [{ type: 'color', question: 'what color is the ring ?', answer: 'red' }, { type: 'count', question: 'how many objects are there ?', answer: 'one' }],
      hardNegatives: { 'replace-att': 'a large blue ring at the top on a gray background .' },
    };
  });
  const t: TestSet = {
    format: 'fwd2bot-testset', version: 1, split: 'test', scenes: 2, imageSize: 64, questionTypes: ['color', 'count'], negativeTypes: ['replace-att', 'add-obj'],
    generation: { vqaMaxTokens: 4, captionMaxTokens: 8, captionQuestion: 'describe the image .' }, captionFactPatterns: patterns, items,
  };
  writeFileSync(join(dir, 'testset.json'), JSON.stringify(t));
  return dir;
}

describe('cli/evaluate.ts on the tiny fixture', () => {
  test('scores every K\' the package allows from fp16 stored tokens, retrieval both ways, attention maps', async () => {
    const dir = writeTestSet();
    const doc = await evaluate({ model: pkg, testset: dir, ks: [16, 4, 1], perf: false, threads: 1, mapScenes: 1, log: () => undefined });
    const manifest = JSON.parse(readFileSync(join(pkg, 'manifest.json'), 'utf8'));
    expect(doc.model.modelId).toBe(manifest.modelId);
    expect(doc.ks).toEqual([4, 1]);
    expect(doc.skippedKs).toEqual([16]);
    for (const k of [4, 1]) {
      const r = doc.results[`fwd2bot_k${k}`] as { n_questions: number; vqa_by_type: Record<string, unknown>; caption_object_f1: number };
      expect(r.n_questions).toBe(4);
      expect(Object.keys(r.vqa_by_type)).toEqual(['color', 'count']);
      expect(r.caption_object_f1).toBeGreaterThanOrEqual(0);
      expect(doc.items[`fwd2bot_k${k}`].answers.map((a) => a.length)).toEqual([2, 2]);
      expect(doc.items[`fwd2bot_k${k}`].captions).toHaveLength(2);
    }
    const ret = doc.results.fwd2bot_retrieval as { t2i: Record<string, number>; i2t: Record<string, number>; hard_negative: Record<string, number> };
    expect(ret.t2i['R@10']).toBe(1); // two candidates: always within the top 10
    expect(ret.i2t['R@10']).toBe(1);
    expect(Object.keys(ret.hard_negative)).toEqual(['replace-att']);
    expect(doc.attentionMaps.maps).toHaveLength(1);
    const heat = doc.attentionMaps.maps[0].heat;
    expect(heat).toHaveLength(manifest.architecture.vision.numVisionTokens);
    expect(doc.perf).toBeNull();
    expect(doc.machine.logicalCores).toBeGreaterThan(0);
    // two worker processes on alternate scenes, merged: the same items and metrics as one process
    const two = await evaluate({ model: pkg, testset: dir, ks: [16, 4, 1], perf: false, threads: 1, mapScenes: 1, workers: 2, log: () => undefined });
    expect(two.workers).toBe(2);
    expect(two.items).toEqual(doc.items);
    expect(two.results).toEqual(doc.results);
    expect(two.attentionMaps.maps).toEqual(doc.attentionMaps.maps);
  }, 300_000); // a few s of CPU; generous for a loaded 2-core CI machine

  test('usage errors exit 2 with a hint; a folder without testset.json exits 1', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      expect(await main([])).toBe(2);
      expect(err.join('')).toContain('python -m fwd2bot.testset');
      expect(await main(['--testset', work, '--ks', '4,x'])).toBe(2);
      expect(await main(['--testset', join(work, 'nothing'), '--model', pkg])).toBe(1);
    } finally {
      process.stderr.write = write;
    }
  });
});
