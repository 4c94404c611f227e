// A Hugging Face tokenizer.json reader: normalizer -> pre-tokenizer -> model -> ids, and ids -> text.
// Pure: no DOM, no Node. Supports what the default model uses (WordLevel + Lowercase + WhitespaceSplit /
// Punctuation, WordPiece decoder) plus a few neighbours (NFC/NFKC..., Strip, Whitespace, Sequence). The
// model step is a small interface (TokenizerModel), so BPE or WordPiece models can be added beside WordLevel.
// Anything else is refused up front with a ModelFormatError naming tokenizer.json and the unsupported part.

import { ModelFormatError } from './errors';

const FILE = 'tokenizer.json';
type Json = Record<string, unknown>;

function unsupported(what: string, type: unknown, supported: string): ModelFormatError {
  return ModelFormatError.forFile(FILE, `${what} type ${JSON.stringify(type)} is not supported (this app reads: ${supported})`, {
    hint: 'Export the model with a supported tokenizer, or update the app.',
  });
}

// ---- normalizers: string -> string ----

type Normalizer = (s: string) => string;

function buildNormalizer(j: unknown): Normalizer {
  if (j === null || j === undefined) return (s) => s;
  const n = j as Json;
  switch (n.type) {
    case 'Lowercase': return (s) => s.toLowerCase();
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD': {
      const form = n.type;
      return (s) => s.normalize(form);
    }
    case 'Strip': {
      const left = n.strip_left !== false, right = n.strip_right !== false;
      return (s) => {
        let r = s;
        if (left) r = r.replace(/^\p{White_Space}+/u, '');
        if (right) r = r.replace(/\p{White_Space}+$/u, '');
        return r;
      };
    }
    case 'Sequence': {
      const parts = ((n.normalizers as unknown[]) ?? []).map(buildNormalizer);
      return (s) => parts.reduce((acc, f) => f(acc), s);
    }
    default: throw unsupported('normalizer', n.type, 'Lowercase, NFC, NFD, NFKC, NFKD, Strip, Sequence');
  }
}

// ---- pre-tokenizers: pieces -> pieces ----

type PreTokenizer = (pieces: string[]) => string[];

const ASCII_PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/** HF's is_punctuation: ASCII punctuation or a Unicode P* category. */
export function isPunctuation(c: string): boolean {
  return ASCII_PUNCT.has(c) || /\p{P}/u.test(c);
}

function splitBy(pieces: string[], fn: (p: string) => string[]): string[] {
  const out: string[] = [];
  for (const p of pieces) for (const q of fn(p)) if (q.length > 0) out.push(q);
  return out;
}

type Behavior = 'Isolated' | 'Removed' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** Splits `s` at characters matching `is`, treating each match as HF's SplitDelimiterBehavior says. */
function splitOnChars(s: string, is: (c: string) => boolean, behavior: Behavior): string[] {
  const chars = [...s];
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (!is(c)) { cur += c; continue; }
    switch (behavior) {
      case 'Removed': out.push(cur); cur = ''; break;
      case 'Isolated': out.push(cur, c); cur = ''; break;
      case 'MergedWithPrevious': out.push(cur + c); cur = ''; break;
      case 'MergedWithNext': out.push(cur); cur = c; break;
      case 'Contiguous': {
        out.push(cur);
        let run = c;
        while (i + 1 < chars.length && is(chars[i + 1])) run += chars[++i];
        out.push(run);
        cur = '';
        break;
      }
    }
  }
  out.push(cur);
  return out.filter((p) => p.length > 0);
}

function buildPreTokenizer(j: unknown): PreTokenizer {
  if (j === null || j === undefined) return (p) => p;
  const n = j as Json;
  switch (n.type) {
    case 'WhitespaceSplit': return (pieces) => splitBy(pieces, (p) => p.split(/\p{White_Space}+/u));
    case 'Whitespace': return (pieces) => splitBy(pieces, (p) => p.match(/\w+|[^\w\s]+/gu) ?? []);
    case 'Punctuation': {
      const behavior = (n.behavior ?? 'Isolated') as Behavior;
      if (!['Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'].includes(behavior)) {
        throw unsupported('Punctuation behavior', behavior, 'Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous');
      }
      return (pieces) => splitBy(pieces, (p) => splitOnChars(p, isPunctuation, behavior));
    }
    case 'Digits': {
      const individual = n.individual_digits === true;
      return (pieces) => splitBy(pieces, (p) => splitOnChars(p, (c) => /\p{Nd}/u.test(c), individual ? 'Isolated' : 'Contiguous'));
    }
    case 'Sequence': {
      const parts = ((n.pretokenizers as unknown[]) ?? []).map(buildPreTokenizer);
      return (pieces) => parts.reduce((acc, f) => f(acc), pieces);
    }
    default: throw unsupported('pre_tokenizer', n.type, 'WhitespaceSplit, Whitespace, Punctuation, Digits, Sequence');
  }
}

// ---- models: one pre-tokenized piece -> ids ----

/** The model step of a tokenizer. Add BPE / WordPiece by implementing this and extending buildModel. */
export interface TokenizerModel {
  /** ids of one pre-tokenized piece (already normalized). */
  tokenize(piece: string): number[];
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** max id + 1 */
  readonly size: number;
}

class WordLevelModel implements TokenizerModel {
  private readonly vocab: Map<string, number>;
  private readonly inverse: Map<number, string>;
  private readonly unkId: number;
  readonly size: number;

  constructor(j: Json) {
    const v = j.vocab;
    if (typeof v !== 'object' || v === null) throw ModelFormatError.forFile(FILE, 'model.vocab of the WordLevel model is missing');
    this.vocab = new Map();
    this.inverse = new Map();
    for (const [tok, id] of Object.entries(v as Record<string, unknown>)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw ModelFormatError.forFile(FILE, `model.vocab[${JSON.stringify(tok)}] is not a token id`);
      this.vocab.set(tok, id);
      this.inverse.set(id, tok);
    }
    const unk = j.unk_token;
    const unkId = typeof unk === 'string' ? this.vocab.get(unk) : undefined;
    if (unkId === undefined) throw ModelFormatError.forFile(FILE, `model.unk_token ${JSON.stringify(unk)} is not in the vocabulary`);
    this.unkId = unkId;
    this.size = Math.max(-1, ...this.inverse.keys()) + 1;
  }

  tokenize(piece: string): number[] {
    return [this.vocab.get(piece) ?? this.unkId];
  }
  idToToken(id: number): string | undefined { return this.inverse.get(id); }
  tokenToId(token: string): number | undefined { return this.vocab.get(token); }
}

function buildModel(j: unknown): TokenizerModel {
  const n = (j ?? {}) as Json;
  switch (n.type) {
    case 'WordLevel': return new WordLevelModel(n);
    default: throw unsupported('model', n.type, 'WordLevel');
  }
}

// ---- decoders: tokens -> text ----

type Decoder = (tokens: string[]) => string;

function cleanup(s: string): string {
  return s.replace(/ \./g, '.').replace(/ \?/g, '?').replace(/ !/g, '!').replace(/ ,/g, ',').replace(/ ' /g, "'")
    .replace(/ n't/g, "n't").replace(/ 'm/g, "'m").replace(/ do not/g, " don't").replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve").replace(/ 're/g, "'re");
}

function buildDecoder(j: unknown): Decoder {
  if (j === null || j === undefined) return (t) => t.join(' ');
  const n = j as Json;
  switch (n.type) {
    case 'WordPiece': {
      const prefix = typeof n.prefix === 'string' ? n.prefix : '##';
      const clean = n.cleanup !== false;
      return (tokens) => {
        const s = tokens.map((t, i) => (i > 0 && t.startsWith(prefix) ? t.slice(prefix.length) : i > 0 ? ` ${t}` : t)).join('');
        return clean ? cleanup(s) : s;
      };
    }
    default: throw unsupported('decoder', n.type, 'WordPiece, none');
  }
}

// ---- the tokenizer ----

interface AddedToken { id: number; content: string; special: boolean }

export class Tokenizer {
  private readonly normalize: Normalizer;
  private readonly preTokenize: PreTokenizer;
  private readonly model: TokenizerModel;
  private readonly decoder: Decoder;
  private readonly added: AddedToken[];
  private readonly addedById: Map<number, AddedToken>;
  private readonly addedPattern: RegExp | null;

  private constructor(j: Json) {
    this.model = buildModel(j.model);
    this.normalize = buildNormalizer(j.normalizer);
    this.preTokenize = buildPreTokenizer(j.pre_tokenizer);
    this.decoder = buildDecoder(j.decoder);
    this.added = ((j.added_tokens as unknown[]) ?? []).map((a, i) => {
      const t = a as Json;
      if (typeof t.id !== 'number' || typeof t.content !== 'string' || t.content === '') throw ModelFormatError.forFile(FILE, `added_tokens[${i}] needs an id and a content`);
      return { id: t.id, content: t.content, special: t.special === true };
    });
    this.addedById = new Map(this.added.map((a) => [a.id, a]));
    const escaped = [...this.added].sort((a, b) => b.content.length - a.content.length)
      .map((a) => a.content.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.addedPattern = escaped.length ? new RegExp(`(${escaped.join('|')})`, 'u') : null;
  }

  /** Parses tokenizer.json (text or parsed). Throws ModelFormatError for anything unsupported. */
  static fromJson(input: string | unknown): Tokenizer {
    let j: unknown = input;
    if (typeof input === 'string') {
      try {
        j = JSON.parse(input);
      } catch (e) {
        throw ModelFormatError.forFile(FILE, `not JSON (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    if (typeof j !== 'object' || j === null) throw ModelFormatError.forFile(FILE, 'must be a JSON object');
    return new Tokenizer(j as Json);
  }

  get vocabSize(): number {
    return Math.max(this.model.size, ...this.added.map((a) => a.id + 1));
  }

  /** Text -> ids, without special tokens around it (the chat template adds those). */
  encode(text: string): number[] {
    const ids: number[] = [];
    const segments = this.addedPattern ? text.split(this.addedPattern) : [text];
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (this.addedPattern && i % 2 === 1) { // a captured added token
        ids.push(this.added.find((a) => a.content === seg)!.id);
        continue;
      }
      if (seg.length === 0) continue;
      for (const piece of this.preTokenize([this.normalize(seg)])) ids.push(...this.model.tokenize(piece));
    }
    return ids;
  }

  /** ids -> text. `skip` ids are left out (e.g. the manifest's special tokens); special added tokens too. */
  decode(ids: readonly number[], skip: ReadonlySet<number> = new Set()): string {
    const toks: string[] = [];
    for (const id of ids) {
      if (skip.has(id)) continue;
      const added = this.addedById.get(id);
      if (added) { if (!added.special) toks.push(added.content); continue; }
      const t = this.model.idToToken(id);
      if (t !== undefined) toks.push(t);
    }
    return this.decoder(toks);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken(id);
  }
}
