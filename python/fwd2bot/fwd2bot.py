"""The Fwd2Bot double forward (METHOD.md), shared by the trainer, the evaluation and the exporter.

Pass 1 (compression LoRA):  [<s>; H_v (V); H_p (P); H_r (K)]  -> last-layer states at the K summary positions
Pass 2 (generation LoRA):   [<s>; H_v^c (K'); user : q assistant : ; answer]  -> next-token loss on the answer
Text branch of pass 1:      [<s>; caption; H_p; H_r]  -> H_t^c, for the contrastive loss and for search.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import text
from .model import TinyLlava

STAGE_COMPRESS, STAGE_GENERATE = "compress", "generate"


def embed_with_image(model: TinyLlava, ids: torch.Tensor, block: torch.Tensor) -> torch.Tensor:
    """ids (B, T) with n IMAGE placeholders per row; block (B, n, d) -> embeddings (B, T, d)."""
    e = model.embed(ids)
    mask = (ids == text.IMAGE)[..., None]
    return e.masked_scatter(mask, block.to(e.dtype))


def padded_mask(valid: torch.Tensor, block: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention mask and positions for left-padded rows.
    valid (B, L) bool, True for real tokens. Returns mask (B, 1, L, L) bool (True = may attend) and
    positions (B, L). Causal; when block > 0 the last `block` positions attend to each other
    bidirectionally (pass-1 prompt+summary block, paper Table 12). Pad query rows see themselves."""
    B, L = valid.shape
    causal = torch.ones(L, L, dtype=torch.bool, device=valid.device).tril()
    if block > 0:
        causal[L - block:, L - block:] = True
    m = causal[None] & valid[:, None, :]
    m = m | torch.eye(L, dtype=torch.bool, device=valid.device)[None]
    pos = (valid.long().cumsum(1) - 1).clamp(min=0)
    return m[:, None], pos


def summary_input(model: TinyLlava, B: int) -> torch.Tensor:
    return model.summary_tokens[None].expand(B, -1, -1)


def prompt_embeds(model: TinyLlava, B: int) -> torch.Tensor:
    ids = torch.tensor(text.encode(text.COMPRESSION_PROMPT), device=model.summary_tokens.device)
    return model.embed(ids)[None].expand(B, -1, -1)


def compress_image(model: TinyLlava, hv: torch.Tensor, bidirectional: bool = False,
                   stage: str | None = STAGE_COMPRESS) -> torch.Tensor:
    """Pass 1 on vision tokens. hv (B, V, d) -> H_v^c (B, K, d)."""
    B, K = hv.shape[0], model.cfg.num_summary_tokens
    bos = model.embed(torch.full((B, 1), text.BOS, device=hv.device))
    p = prompt_embeds(model, B)
    e = torch.cat([bos, hv, p, summary_input(model, B)], 1)
    mask = None
    if bidirectional:
        mask, _ = padded_mask(torch.ones(B, e.shape[1], dtype=torch.bool, device=hv.device), p.shape[1] + K)
    model.set_stage(stage)
    h = model.lm(e, mask=mask)
    return h[:, -K:]


def compress_text(model: TinyLlava, captions: list[str], bidirectional: bool = False,
                  stage: str | None = STAGE_COMPRESS) -> torch.Tensor:
    """Pass 1 with a caption in place of the image -> H_t^c (B, K, d). Rows are left-padded so the
    summary tokens sit at the same (last K) positions of every row."""
    K = model.cfg.num_summary_tokens
    prompt = list(text.encode(text.COMPRESSION_PROMPT))
    seqs = [[text.BOS] + list(text.encode(c)) + prompt for c in captions]
    L = max(len(s) for s in seqs)
    dev = model.summary_tokens.device
    ids = torch.tensor([[text.PAD] * (L - len(s)) + s for s in seqs], device=dev)
    valid = torch.cat([ids != text.PAD, torch.ones(len(seqs), K, dtype=torch.bool, device=dev)], 1)
    # a row's leading <s> is real even though PAD could equal it in other vocabularies
    e = torch.cat([model.embed(ids), summary_input(model, len(seqs))], 1)
    mask, pos = padded_mask(valid, len(prompt) + K if bidirectional else 0)
    model.set_stage(stage)
    h = model.lm(e, positions=pos, mask=mask)
    return h[:, -K:]


def embedding(hc: torch.Tensor) -> torch.Tensor:
    """Search embedding: L2-normalised mean over the K summary outputs. (B, K, d) -> (B, d)."""
    return F.normalize(hc.float().mean(1), dim=-1)


def contrastive_loss(ev: torch.Tensor, et: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE of METHOD.md on mean-pooled pass-1 outputs.
    ev, et (B, d) unnormalised means; s = scale * cos_sim. L = mean_k [CE(s_v[k], k) + CE(s_t[k], k)]."""
    s = logit_scale * F.normalize(ev, dim=-1) @ F.normalize(et, dim=-1).T  # (B, B)
    target = torch.arange(s.shape[0], device=s.device)
    return F.cross_entropy(s, target) + F.cross_entropy(s.T, target)


def lm_loss(model: TinyLlava, embeds: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    h = model.lm(embeds)
    logits = model.lm_head(h[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)


class InputSpaceCompressor(nn.Module):
    """Ablation 'single forward': K learned queries cross-attend over H_v in the input space (no LLM pass)."""

    def __init__(self, d: int, K: int, heads: int = 4):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(K, d) * 0.02)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.norm = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, hv: torch.Tensor) -> torch.Tensor:  # (B, V, d) -> (B, K, d)
        q = self.queries[None].expand(hv.shape[0], -1, -1)
        x = q + self.attn(q, hv, hv, need_weights=False)[0]
        return x + self.mlp(self.norm(x))


@torch.no_grad()
def generate(model: TinyLlava, prefixes: list[torch.Tensor], stage: str | None, max_new: int = 8) -> list[list[int]]:
    """Greedy decoding for a batch of prefix embeddings (each (T_i, d)), left-padded, with a KV cache."""
    model.set_stage(stage)
    B, d = len(prefixes), prefixes[0].shape[-1]
    L = max(p.shape[0] for p in prefixes)
    dev = prefixes[0].device
    e = torch.zeros(B, L, d, device=dev)
    valid = torch.zeros(B, L, dtype=torch.bool, device=dev)
    for i, p in enumerate(prefixes):
        e[i, L - p.shape[0]:] = p
        valid[i, L - p.shape[0]:] = True
    mask, pos = padded_mask(valid)
    h, past = model.lm(e, positions=pos, mask=mask, return_present=True)
    nxt = model.lm_head(h[:, -1]).argmax(-1)
    out = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    last = pos[:, -1]
    for _ in range(max_new):
        for i in range(B):
            if not done[i]:
                out[i].append(int(nxt[i]))
        done |= nxt == text.EOS
        if bool(done.all()):
            break
        valid = torch.cat([valid, torch.ones(B, 1, dtype=torch.bool, device=dev)], 1)
        last = last + 1
        h, past = model.lm(model.embed(nxt[:, None]), positions=last[:, None], mask=valid[:, None, None, :],
                           past=past, return_present=True)
        nxt = model.lm_head(h[:, -1]).argmax(-1)
    return [[t for t in o if t != text.EOS] for o in out]
