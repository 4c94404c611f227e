"""Tokenizer (saved as a Hugging Face tokenizer.json) and the chat template shared by trainer and app.

The world's language is closed, so the default model uses a word-level vocabulary: lowercase words and
punctuation. The template (also written into the model package manifest):

    <s> [image block] user : {question} assistant : {answer} </s>

where the image block is V vision tokens (base model) or K compressed tokens (Fwd2Bot pass 2). Pass 1:

    <s> [V vision tokens | caption tokens] {COMPRESSION_PROMPT} [K summary tokens]
"""
from __future__ import annotations

from functools import lru_cache

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, decoders

from . import world

SPECIALS = ["<pad>", "<s>", "</s>", "<unk>", "<image>"]
PAD, BOS, EOS, UNK, IMAGE = range(5)
COMPRESSION_PROMPT = "summarize the image in a few words ."  # METHOD.md's X_p, lowercased
CAPTION_QUESTION = "describe the image ."
USER, ASSISTANT = "user :", "assistant :"


def build_tokenizer() -> Tokenizer:
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for w in world.vocabulary():
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins tokens with single spaces
    return tok


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    return build_tokenizer()


@lru_cache(maxsize=200_000)
def encode(text: str) -> tuple[int, ...]:
    return tuple(tokenizer().encode(text, add_special_tokens=False).ids)


def decode(ids) -> str:
    ids = [i for i in ids if i >= len(SPECIALS)]
    return tokenizer().decode(ids, skip_special_tokens=True)


def vocab_size() -> int:
    return tokenizer().get_vocab_size()


def prompt_ids(question: str) -> tuple[int, ...]:
    """Tokens after the image block, up to and including 'assistant :'."""
    return encode(f"{USER} {question} {ASSISTANT}")


def answer_ids(answer: str) -> tuple[int, ...]:
    return encode(answer) + (EOS,)
