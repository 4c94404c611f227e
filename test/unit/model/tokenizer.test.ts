// The tokenizer.json reader against Hugging Face `tokenizers` (expected ids were produced by tokenizers on the
// fixture's tokenizer.json) and on small tokenizers built here; unsupported parts are refused by name.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ModelFormatError } from '../../../src/model/errors';
import { isPunctuation, Tokenizer } from '../../../src/model/tokenizer';

const fixture = readFileSync(new URL('../../fixtures/tiny-package/tokenizer.json', import.meta.url), 'utf8');

function small(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const vocab = Object.fromEntries(['<pad>', '<s>', '</s>', '<unk>', 'hello', 'world', ',', '!', 'a', 'b', '##c', 'é'].map((t, i) => [t, i]));
  return {
    version: '1.0', added_tokens: [],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior: 'Isolated' }] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: false },
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
    ...extra,
  };
}

describe('the fixture tokenizer matches Hugging Face tokenizers', () => {
  const tok = Tokenizer.fromJson(fixture);
  // [text, ids from tokenizers 0.2x, decode from tokenizers]
  test.each<[string, number[], string]>([
    ["Hello, World! what's up?? a-b", [3, 5, 3, 3, 103, 3, 78, 3, 15, 15, 16, 3, 23], '<unk> , <unk> <unk> what <unk> s <unk> ? ? a <unk> b'],
    ['a <s> b', [16, 3, 78, 3, 23], 'a <unk> s <unk> b'],
    ['x.y  z\téÉ 。', [109, 6, 110, 113, 3, 3], 'x . y z <unk> <unk>'],
    ['What COLOR is the object at the TOP left?', [103, 33, 53, 95, 63, 22, 95, 98, 56, 15], 'what color is the object at the top left ?'],
    ['  ', [], ''],
    ['a\u00a0b\u2003c\nd', [16, 23, 28, 36], 'a b c d'],
    ['two green triangles on a striped background', [101, 48, 100, 66, 16, 90, 24], 'two green triangles on a striped background'],
    ['¿qué?—no»', [3, 3, 15, 3, 61, 3], '<unk> <unk> ? <unk> no <unk>'],
    ['a+b=c 1,000$', [16, 3, 23, 3, 28, 3, 5, 3, 3], 'a <unk> b <unk> c <unk> , <unk> <unk>'],
  ])('%j', (text, ids, decoded) => {
    expect(tok.encode(text)).toEqual(ids);
    expect(tok.decode(ids)).toBe(decoded);
  });

  test('vocabulary size and skipping special ids when decoding', () => {
    expect(tok.vocabSize).toBe(115);
    expect(tok.decode([28, 1, 112, 3, 2], new Set([0, 1, 2, 3, 4]))).toBe('c yes');
    expect(tok.decode([28, 1, 112])).toBe('c <s> yes');
  });
});

describe('pieces of the pipeline', () => {
  test('Punctuation = ASCII punctuation or a Unicode P* category (symbols like $ + < count, letters do not)', () => {
    for (const c of ['.', ',', '$', '+', '<', '`', '~', '¿', '—', '。', '«']) expect(isPunctuation(c), c).toBe(true);
    for (const c of ['a', 'é', '1', ' ', '€', '©']) expect(isPunctuation(c), c).toBe(false);
  });

  test('WordLevel: unknown words become unk; WordPiece decoder glues ## pieces and joins others with spaces', () => {
    const t = Tokenizer.fromJson(small());
    expect(t.encode('Hello,WORLD!  zzz É')).toEqual([4, 6, 5, 7, 3, 11]);
    expect(t.decode([8, 10, 9])).toBe('ac b');
    expect(t.decode([4, 1, 5], new Set([1]))).toBe('hello world');
  });

  test('Punctuation behaviours and Whitespace / Digits pre-tokenizers split like tokenizers does', () => {
    const vocab = { '<unk>': 0 };
    const pieces = (pre: unknown, text: string) => {
      // Every piece is unknown, so the number of ids is the number of pieces.
      const t = Tokenizer.fromJson({ model: { type: 'WordLevel', vocab, unk_token: '<unk>' }, pre_tokenizer: pre });
      return t.encode(text).length;
    };
    expect(pieces({ type: 'Punctuation', behavior: 'Isolated' }, 'a..b')).toBe(4); // a . . b
    expect(pieces({ type: 'Punctuation', behavior: 'Contiguous' }, 'a..b')).toBe(3); // a .. b
    expect(pieces({ type: 'Punctuation', behavior: 'Removed' }, 'a..b')).toBe(2); // a b
    expect(pieces({ type: 'Punctuation', behavior: 'MergedWithPrevious' }, 'a..b')).toBe(3); // a. . b
    expect(pieces({ type: 'Whitespace' }, "it's 12 ok!")).toBe(6); // it ' s 12 ok !
    expect(pieces({ type: 'Digits', individual_digits: true }, 'a123')).toBe(4);
  });

  test('added tokens are matched in the raw text before normalisation', () => {
    const t = Tokenizer.fromJson(small({ added_tokens: [{ id: 1, content: '<s>', special: true }, { id: 12, content: '<IMG>', special: false }], model: { type: 'WordLevel', vocab: { ...(small().model as { vocab: object }).vocab, '<IMG>': 12 }, unk_token: '<unk>' } }));
    expect(t.encode('<s>hello<IMG> a')).toEqual([1, 4, 12, 8]);
    expect(t.decode([1, 4, 12])).toBe('hello <IMG>'); // special added tokens are left out
  });
});

describe('refusals name tokenizer.json and what is unsupported', () => {
  const refuse = (j: unknown, what: RegExp) => {
    let err: unknown;
    try { Tokenizer.fromJson(j); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as ModelFormatError).message).toMatch(/"tokenizer.json"/);
    expect((err as ModelFormatError).message).toMatch(what);
    expect((err as ModelFormatError).data).toMatchObject({ file: 'tokenizer.json' });
  };
  test('a BPE model', () => refuse(small({ model: { type: 'BPE', vocab: {}, merges: [] } }), /model type "BPE" is not supported/));
  test('a ByteLevel pre-tokenizer', () => refuse(small({ pre_tokenizer: { type: 'ByteLevel' } }), /pre_tokenizer type "ByteLevel"/));
  test('a Metaspace decoder', () => refuse(small({ decoder: { type: 'Metaspace' } }), /decoder type "Metaspace"/));
  test('a BertNormalizer', () => refuse(small({ normalizer: { type: 'BertNormalizer' } }), /normalizer type "BertNormalizer"/));
  test('an unk token missing from the vocabulary', () => refuse(small({ model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: '<unk>' } }), /unk_token/));
  test('not JSON', () => refuse('{"model": ', /not JSON/));
});
