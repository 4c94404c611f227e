"""A LLaVA-style model whose state dict maps 1:1 onto transformers' LlavaForConditionalGeneration
(CLIP vision tower -> 2-layer MLP projector -> LLaMA decoder), plus the Fwd2Bot parts: K learnable
summary tokens and two stage-specific LoRA adapter sets on every decoder linear layer.

Why our own modules instead of instantiating the HF classes: the Fwd2Bot double forward needs custom
attention masks (bidirectional prompt+summary block), switching the active LoRA between the two passes
of one training step, and a simple, exportable decoder (inputs_embeds + KV cache). A test loads our
state dict into LlavaForConditionalGeneration and checks the logits match, so real LLaVA-1.5 checkpoints
go through the same trainer and exporter (`from_hf_state_dict`).

Shapes: B batch, T sequence, V vision tokens, K summary tokens, d decoder width, dv vision width.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class VisionConfig:
    image_size: int = 64
    patch_size: int = 8
    hidden_size: int = 192
    num_hidden_layers: int = 4
    num_attention_heads: int = 6
    intermediate_size: int = 768
    layer_norm_eps: float = 1e-5
    hidden_act: str = "gelu"

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


@dataclass
class TextConfig:
    vocab_size: int = 160
    hidden_size: int = 256
    num_hidden_layers: int = 6
    num_attention_heads: int = 8
    num_key_value_heads: int = 4
    intermediate_size: int = 704
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 512

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads


@dataclass
class ModelConfig:
    vision: VisionConfig = field(default_factory=VisionConfig)
    text: TextConfig = field(default_factory=TextConfig)
    vision_feature_layer: int = -1  # hidden_states index of the vision tower used as image features
    image_token_id: int = 4
    num_summary_tokens: int = 16  # K
    lora_rank: int = 16
    lora_alpha: float = 32.0
    lora_targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    lora_stages: tuple[str, ...] = ("compress", "generate")

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        d = dict(d)
        v, t = VisionConfig(**d.pop("vision")), TextConfig(**d.pop("text"))
        for k in ("lora_targets", "lora_stages"):
            if k in d:
                d[k] = tuple(d[k])
        return ModelConfig(vision=v, text=t, **d)


# ----------------------------------------------------------------------------------------------------
# LoRA


class LoRALinear(nn.Linear):
    """nn.Linear (keeps `weight` / `bias` names, so base state dicts load unchanged) plus named LoRA
    adapters: y = x W^T + b + (alpha/r) * (x A^T) B^T with A (r, in), B (out, r). `active` selects the
    adapter used in the next forward (None = base only); autograd records which one each pass used."""

    def __init__(self, in_features: int, out_features: int, bias: bool = False):
        super().__init__(in_features, out_features, bias=bias)
        self.lora_A = nn.ParameterDict()
        self.lora_B = nn.ParameterDict()
        self.scaling = 1.0
        self.active: str | None = None

    def add_adapter(self, name: str, rank: int, alpha: float) -> None:
        a = torch.empty(rank, self.in_features)
        nn.init.kaiming_uniform_(a, a=math.sqrt(5))
        self.lora_A[name] = nn.Parameter(a)
        self.lora_B[name] = nn.Parameter(torch.zeros(self.out_features, rank))  # starts as identity
        self.scaling = alpha / rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight, self.bias)
        if self.active is not None:
            y = y + F.linear(F.linear(x, self.lora_A[self.active]), self.lora_B[self.active]) * self.scaling
        return y


# ----------------------------------------------------------------------------------------------------
# Vision tower (CLIPVisionModel layout)


class CLIPAttention(nn.Module):
    def __init__(self, c: VisionConfig):
        super().__init__()
        self.h, self.d = c.num_attention_heads, c.hidden_size
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(c.hidden_size, c.hidden_size) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, N, dv)
        B, N, _ = x.shape
        split = lambda t: t.view(B, N, self.h, -1).transpose(1, 2)  # (B, h, N, hd)
        o = F.scaled_dot_product_attention(split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x)))
        return self.out_proj(o.transpose(1, 2).reshape(B, N, self.d))


class CLIPMLP(nn.Module):
    def __init__(self, c: VisionConfig):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c.hidden_size, c.intermediate_size), nn.Linear(c.intermediate_size, c.hidden_size)
        self.quick = c.hidden_act == "quick_gelu"  # OpenAI CLIP (LLaVA-1.5's tower) uses quick_gelu

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(h * torch.sigmoid(1.702 * h) if self.quick else F.gelu(h))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, c: VisionConfig):
        super().__init__()
        self.self_attn, self.mlp = CLIPAttention(c), CLIPMLP(c)
        self.layer_norm1 = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.layer_norm2 = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class CLIPEmbeddings(nn.Module):
    def __init__(self, c: VisionConfig):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(c.hidden_size) * 0.02)
        self.patch_embedding = nn.Conv2d(3, c.hidden_size, c.patch_size, c.patch_size, bias=False)
        self.position_embedding = nn.Embedding(c.num_patches + 1, c.hidden_size)
        self.register_buffer("position_ids", torch.arange(c.num_patches + 1)[None], persistent=False)

    def forward(self, pixels):  # pixels (B, 3, H, W) normalised
        p = self.patch_embedding(pixels).flatten(2).transpose(1, 2)  # (B, V, dv)
        cls = self.class_embedding.expand(p.shape[0], 1, -1)
        return torch.cat([cls, p], 1) + self.position_embedding(self.position_ids)


class CLIPVisionTransformer(nn.Module):
    def __init__(self, c: VisionConfig):
        super().__init__()
        self.embeddings = CLIPEmbeddings(c)
        self.pre_layrnorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)  # (sic) HF's name
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList(CLIPEncoderLayer(c) for _ in range(c.num_hidden_layers))
        self.post_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def hidden_states(self, pixels) -> list[torch.Tensor]:
        x = self.pre_layrnorm(self.embeddings(pixels))
        hs = [x]
        for layer in self.encoder.layers:
            x = layer(x)
            hs.append(x)
        return hs


class Projector(nn.Module):
    def __init__(self, dv: int, d: int):
        super().__init__()
        self.linear_1, self.linear_2 = nn.Linear(dv, d), nn.Linear(d, d)

    def forward(self, x):
        return self.linear_2(F.gelu(self.linear_1(x)))


# ----------------------------------------------------------------------------------------------------
# LLaMA decoder


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float):
    """positions (B, T) -> cos, sin (B, 1, T, hd), HF's non-interleaved (rotate_half) layout."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device) / head_dim))
    f = positions.float()[..., None] * inv  # (B, T, hd/2)
    emb = torch.cat([f, f], -1)[:, None]
    return emb.cos(), emb.sin()


def rotate_half(x):
    a, b = x.chunk(2, -1)
    return torch.cat([-b, a], -1)


class LlamaAttention(nn.Module):
    def __init__(self, c: TextConfig):
        super().__init__()
        self.h, self.kvh, self.hd = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        self.q_proj = LoRALinear(c.hidden_size, self.h * self.hd)
        self.k_proj = LoRALinear(c.hidden_size, self.kvh * self.hd)
        self.v_proj = LoRALinear(c.hidden_size, self.kvh * self.hd)
        self.o_proj = LoRALinear(self.h * self.hd, c.hidden_size)

    def forward(self, x, cos, sin, mask, past=None):
        """x (B, T, d); mask None (causal) or bool (B, 1, T, Tk) True = may attend; past (k, v) each
        (B, kvh, Tp, hd). Returns out (B, T, d), present (k, v) (B, kvh, Tp+T, hd)."""
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.kvh, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.kvh, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        rep = self.h // self.kvh
        kk, vv = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        if mask is None and past is None:
            o = F.scaled_dot_product_attention(q, kk, vv, is_causal=True)
        else:
            o = F.scaled_dot_product_attention(q, kk, vv, attn_mask=mask)
        return self.o_proj(o.transpose(1, 2).reshape(B, T, self.h * self.hd)), (k, v)


class LlamaMLP(nn.Module):
    def __init__(self, c: TextConfig):
        super().__init__()
        self.gate_proj = LoRALinear(c.hidden_size, c.intermediate_size)
        self.up_proj = LoRALinear(c.hidden_size, c.intermediate_size)
        self.down_proj = LoRALinear(c.intermediate_size, c.hidden_size)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c: TextConfig):
        super().__init__()
        self.self_attn, self.mlp = LlamaAttention(c), LlamaMLP(c)
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)

    def forward(self, x, cos, sin, mask, past=None):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), present


class LlamaModel(nn.Module):
    def __init__(self, c: TextConfig):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(LlamaDecoderLayer(c) for _ in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)

    def forward(self, embeds, positions=None, mask=None, past=None, return_present=False):
        """embeds (B, T, d) -> final-norm hidden states (B, T, d) [, presents]."""
        B, T, _ = embeds.shape
        if positions is None:
            start = 0 if past is None else past[0][0].shape[2]
            positions = torch.arange(start, start + T, device=embeds.device)[None].expand(B, T)
        cos, sin = rope_cos_sin(positions, self.c.head_dim, self.c.rope_theta)
        x, presents = embeds, []
        for i, layer in enumerate(self.layers):
            x, p = layer(x, cos, sin, mask, None if past is None else past[i])
            presents.append(p)
        x = self.norm(x)
        return (x, presents) if return_present else x


class Container(nn.Module):
    pass


class TinyLlava(nn.Module):
    """Parameter names match LlavaForConditionalGeneration (transformers 5 layout):
    model.vision_tower.*, model.multi_modal_projector.*, model.language_model.*, lm_head.*
    Fwd2Bot parameters: summary_tokens (K, d) and `lora_A.<stage>` / `lora_B.<stage>` inside each
    decoder linear layer; `single_forward` holds the input-space compressor of the ablation."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.model = Container()
        self.model.vision_tower = CLIPVisionTransformer(cfg.vision)
        self.model.multi_modal_projector = Projector(cfg.vision.hidden_size, cfg.text.hidden_size)
        self.model.language_model = LlamaModel(cfg.text)
        self.lm_head = nn.Linear(cfg.text.hidden_size, cfg.text.vocab_size, bias=False)
        self.summary_tokens = nn.Parameter(torch.randn(cfg.num_summary_tokens, cfg.text.hidden_size) * 0.02)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)) and not isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)

    # -- pieces --------------------------------------------------------------------------------------
    @property
    def lm(self) -> LlamaModel:
        return self.model.language_model

    def vision_features(self, pixels):  # (B, 3, H, W) -> (B, V, dv), CLS dropped
        return self.model.vision_tower.hidden_states(pixels)[self.cfg.vision_feature_layer][:, 1:]

    def encode_image(self, pixels):  # -> H_v (B, V, d)
        return self.model.multi_modal_projector(self.vision_features(pixels))

    def embed(self, ids):  # (B, T) -> (B, T, d)
        return self.lm.embed_tokens(ids)

    def lora_layers(self):
        return [m for m in self.lm.modules() if isinstance(m, LoRALinear)]

    def add_lora(self, stages=None) -> None:
        for m in self.lora_layers():
            for s in stages or self.cfg.lora_stages:
                m.add_adapter(s, self.cfg.lora_rank, self.cfg.lora_alpha)

    def set_stage(self, stage: str | None) -> None:
        """Select the LoRA adapter for the next forward pass (None = base weights only)."""
        for m in self.lora_layers():
            m.active = stage if stage is not None and stage in m.lora_A else None

    def lora_parameters(self):
        return [p for n, p in self.named_parameters() if ".lora_A." in n or ".lora_B." in n]

    # -- state dict helpers --------------------------------------------------------------------------
    def base_state_dict(self) -> dict[str, torch.Tensor]:
        """Only the LLaVA weights (what LlavaForConditionalGeneration holds)."""
        return {k: v for k, v in self.state_dict().items()
                if ".lora_" not in k and not k.startswith(("summary_tokens", "single_forward."))}

    def adapter_state_dict(self) -> dict[str, torch.Tensor]:
        """The Fwd2Bot additions: summary tokens, LoRA factors, input-space compressor if any."""
        return {k: v for k, v in self.state_dict().items()
                if ".lora_" in k or k.startswith(("summary_tokens", "single_forward."))}


def from_hf_state_dict(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map a llava-hf checkpoint (transformers 4 key layout: language_model.model.*, language_model.lm_head,
    vision_tower.vision_model.*, multi_modal_projector.*) to ours; new-layout keys pass through unchanged."""
    out = {}
    for k, v in sd.items():
        if k.startswith("language_model.model."):
            k = "model.language_model." + k[len("language_model.model."):]
        elif k.startswith("language_model.lm_head."):
            k = "lm_head." + k[len("language_model.lm_head."):]
        elif k.startswith("vision_tower.vision_model."):
            k = "model.vision_tower." + k[len("vision_tower.vision_model."):]
        elif k.startswith("model.vision_tower.vision_model."):
            k = "model.vision_tower." + k[len("model.vision_tower.vision_model."):]
        elif k.startswith("multi_modal_projector."):
            k = "model." + k
        out[k] = v
    return out


def hf_llava_config(cfg: ModelConfig, pad_token_id: int = 0):
    """The transformers LlavaConfig equivalent to `cfg` (used by the compatibility test and exporter)."""
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig

    v, t = cfg.vision, cfg.text
    vc = CLIPVisionConfig(hidden_size=v.hidden_size, intermediate_size=v.intermediate_size,
                          num_hidden_layers=v.num_hidden_layers, num_attention_heads=v.num_attention_heads,
                          image_size=v.image_size, patch_size=v.patch_size, hidden_act=v.hidden_act,
                          layer_norm_eps=v.layer_norm_eps, projection_dim=v.hidden_size)
    tc = LlamaConfig(vocab_size=t.vocab_size, hidden_size=t.hidden_size, intermediate_size=t.intermediate_size,
                     num_hidden_layers=t.num_hidden_layers, num_attention_heads=t.num_attention_heads,
                     num_key_value_heads=t.num_key_value_heads, rms_norm_eps=t.rms_norm_eps,
                     rope_theta=t.rope_theta, max_position_embeddings=t.max_position_embeddings,
                     hidden_act="silu", tie_word_embeddings=False, pad_token_id=pad_token_id)
    return LlavaConfig(vision_config=vc, text_config=tc, image_token_id=cfg.image_token_id,
                       vision_feature_layer=cfg.vision_feature_layer, vision_feature_select_strategy="default",
                       projector_hidden_act="gelu", multimodal_projector_bias=True, tie_word_embeddings=False)
