// The chat template of a model package (manifest.chatTemplate + tokens), as token ids. Pure.
//
//   pass 1 (image):  <s> [V vision tokens]      embed(compressionPrompt) [K summary tokens]
//   pass 1 (text):   <s> embed(query)           embed(compressionPrompt) [K summary tokens]
//   pass 2 (chat):   <s> [K' compressed tokens] turn(q1) a1 </s> turn(q2) a2 </s> ...
// where turn(q) = tokens of chatTemplate.turn with {question} replaced, e.g. "user : q assistant :".

import type { Manifest } from './manifest';
import type { Tokenizer } from './tokenizer';

export class ChatTemplate {
  readonly bos: number;
  readonly eos: number;
  /** Generation stops when one of these is sampled (it is not part of the answer). */
  readonly stop: ReadonlySet<number>;
  readonly captionQuestion: string;
  /** (P,) ids of the compression prompt X_p. */
  readonly compressionPromptIds: readonly number[];
  private readonly special: ReadonlySet<number>;

  constructor(private readonly manifest: Manifest, private readonly tokenizer: Tokenizer) {
    const t = manifest.tokens;
    this.bos = t.bos;
    this.eos = t.eos;
    this.stop = new Set(manifest.chatTemplate.stop);
    this.captionQuestion = manifest.chatTemplate.captionQuestion;
    this.compressionPromptIds = tokenizer.encode(manifest.fwd2bot.compressionPrompt);
    this.special = new Set([t.pad, t.bos, t.eos, t.unk, t.image]);
  }

  /** ids of one user turn up to the point where the assistant answers ("user : q assistant :"). */
  turnIds(question: string): number[] {
    const [before, after] = this.manifest.chatTemplate.turn.split('{question}');
    return this.tokenizer.encode(`${before}${question}${after}`);
  }

  /** ids of a text query for search (pass 1 puts them where the image's vision tokens would be). */
  queryIds(query: string): number[] {
    return this.tokenizer.encode(query);
  }

  /** ids of an answer as it sits in the history: its tokens then </s>. */
  answerIds(answer: string): number[] {
    return [...this.tokenizer.encode(answer), this.eos];
  }

  /** Answer ids -> text, leaving out the special tokens (<unk> included, as the trainer's text.decode does). */
  decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids, this.special);
  }

  /** One token's text as it streams (empty for special tokens). */
  tokenText(id: number): string {
    return this.special.has(id) ? '' : this.tokenizer.decode([id]);
  }
}
