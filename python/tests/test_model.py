import copy
import math

import pytest
import torch
import torch.nn.functional as F

from fwd2bot import data, text, world
from fwd2bot import fwd2bot as fb
from fwd2bot.model import TinyLlava, from_hf_state_dict, hf_llava_config
from conftest import tiny_config


def test_state_dict_maps_one_to_one_onto_hf_llava(tiny):
    from transformers import LlavaForConditionalGeneration
    cfg = tiny.cfg
    hf = LlavaForConditionalGeneration(hf_llava_config(cfg)).eval()
    missing, unexpected = hf.load_state_dict(tiny.base_state_dict(), strict=True), None
    V = cfg.vision.num_patches
    ids = torch.tensor([[text.BOS] + [cfg.image_token_id] * V + list(text.prompt_ids("what color is the circle ?"))])
    px = torch.randn(1, 3, 64, 64)
    tiny.eval()
    with torch.no_grad():
        ref = hf(input_ids=ids, pixel_values=px).logits
        ours = tiny.lm_head(tiny.lm(fb.embed_with_image(tiny, ids, tiny.encode_image(px))))
    assert ours.shape == (1, ids.shape[1], cfg.text.vocab_size)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    # and back: HF (transformers 4 layout) keys map onto ours
    old = {("language_model.model." + k[len("model.language_model."):]) if k.startswith("model.language_model.")
           else ("language_model.lm_head." + k[len("lm_head."):]) if k.startswith("lm_head.")
           else ("vision_tower.vision_model." + k[len("model.vision_tower."):]) if k.startswith("model.vision_tower.")
           else k[len("model."):]: v for k, v in tiny.base_state_dict().items()}
    assert from_hf_state_dict(old).keys() == tiny.base_state_dict().keys()


def test_shapes_of_both_passes(tiny):
    B, K, d = 3, tiny.cfg.num_summary_tokens, tiny.cfg.text.hidden_size
    tiny.add_lora()
    hv = tiny.encode_image(torch.randn(B, 3, 64, 64))
    assert hv.shape == (B, tiny.cfg.vision.num_patches, d)
    hc = fb.compress_image(tiny, hv)
    assert hc.shape == (B, K, d)
    ht = fb.compress_text(tiny, ["a red circle at the top .", "a sign that says k in the center on a gray background ."])
    assert ht.shape == (2, K, d)
    assert fb.embedding(hc).norm(dim=-1).sub(1).abs().max() < 1e-5


def _step_loss(m, hv, captions, samples, k=None):
    hc = fb.compress_image(m, hv)
    k = k or hc.shape[1]
    b = data.gen_batch(samples, k)
    m.set_stage("generate")
    l_ar = fb.lm_loss(m, fb.embed_with_image(m, b.ids, hc[:, :k]), b.labels)
    ht = fb.compress_text(m, captions)
    return l_ar + fb.contrastive_loss(hc.mean(1), ht.mean(1), torch.tensor(10.0))


def _batch(n=4):
    import random
    rng = random.Random(0)
    samples = [data.make_sample("train", i, rng) for i in range(n)]
    images = torch.cat([data.to_pixels(world.render(world.scene("train", i))[None]) for i in range(n)])
    return samples, images


def test_gradients_reach_summary_tokens_and_both_lora_sets(tiny):
    tiny.add_lora()
    # LoRA B starts at zero, so A would get no gradient on step one: give B a value first.
    for m in tiny.lora_layers():
        for s in ("compress", "generate"):
            torch.nn.init.normal_(m.lora_B[s], std=0.01)
    samples, images = _batch()
    loss = _step_loss(tiny, tiny.encode_image(images), [s.caption for s in samples], samples)
    loss.backward()
    assert tiny.summary_tokens.grad is not None and tiny.summary_tokens.grad.abs().sum() > 0
    for s in ("compress", "generate"):
        for m in tiny.lora_layers():
            assert m.lora_A[s].grad is not None and m.lora_A[s].grad.abs().sum() > 0, s
            assert m.lora_B[s].grad is not None and m.lora_B[s].grad.abs().sum() > 0, s


def test_each_lora_set_acts_only_in_its_own_pass(tiny):
    tiny.add_lora()
    tiny.eval()
    samples, images = _batch(2)
    hv = tiny.encode_image(images)

    def passes(m):
        hc = fb.compress_image(m, hv)
        b = data.gen_batch(samples, hc.shape[1])
        m.set_stage("generate")
        return hc, m.lm(fb.embed_with_image(m, b.ids, hc))

    with torch.no_grad():
        hc0, out0 = passes(tiny)
        gen = copy.deepcopy(tiny)
        for m in gen.lora_layers():
            torch.nn.init.normal_(m.lora_B["generate"], std=0.5)
        hc1, out1 = passes(gen)
        comp = copy.deepcopy(tiny)
        for m in comp.lora_layers():
            torch.nn.init.normal_(m.lora_B["compress"], std=0.5)
        hc2, _ = passes(comp)
    torch.testing.assert_close(hc1, hc0)  # generation adapter leaves pass 1 alone
    assert (out1 - out0).abs().max() > 1e-2  # ... and changes pass 2
    assert (hc2 - hc0).abs().max() > 1e-2  # compression adapter changes pass 1


def test_contrastive_loss_matches_a_hand_computation():
    ev = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    et = torch.tensor([[2.0, 0.1], [0.1, 1.0], [-1.0, 1.0]])
    scale = 5.0
    cos = [[sum(a * b for a, b in zip(u, v)) / math.hypot(*u) / math.hypot(*v) for v in et.tolist()] for u in ev.tolist()]
    B, total = 3, 0.0
    for k in range(B):
        row = [scale * cos[k][j] for j in range(B)]
        col = [scale * cos[j][k] for j in range(B)]
        total += -(row[k] - math.log(sum(math.exp(x) for x in row)))
        total += -(col[k] - math.log(sum(math.exp(x) for x in col)))
    got = fb.contrastive_loss(ev, et, torch.tensor(scale))
    assert abs(float(got) - total / B) < 1e-5


def test_loss_falls_over_a_few_steps(tiny):
    torch.manual_seed(0)
    tiny.add_lora()
    params = [tiny.summary_tokens] + tiny.lora_parameters()
    for p in tiny.parameters():
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=3e-3)
    samples, images = _batch(8)
    hv = tiny.encode_image(images).detach()
    losses = []
    for _ in range(12):
        loss = _step_loss(tiny, hv, [s.caption for s in samples], samples)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.8 * losses[0], losses


def test_nested_k_truncation_uses_only_the_first_tokens(tiny):
    tiny.add_lora()
    tiny.eval()
    samples, images = _batch(2)
    with torch.no_grad():
        hc = fb.compress_image(tiny, tiny.encode_image(images))
        b2 = data.gen_batch(samples, 2)
        e = fb.embed_with_image(tiny, b2.ids, hc[:, :2])
        assert e.shape[1] == b2.ids.shape[1] and (b2.ids == text.IMAGE).sum(1).tolist() == [2, 2]
        torch.testing.assert_close(e[:, 1:3], hc[:, :2])
        # changing tokens beyond K' cannot change the pass-2 input
        hc_mod = hc.clone()
        hc_mod[:, 2:] += 5
        torch.testing.assert_close(fb.embed_with_image(tiny, b2.ids, hc_mod[:, :2]), e)


def test_bidirectional_pass_1_lets_summary_tokens_see_later_ones(tiny):
    tiny.add_lora()
    tiny.eval()
    hv = tiny.encode_image(torch.randn(1, 3, 64, 64))
    with torch.no_grad():
        causal = fb.compress_image(tiny, hv)
        bidir = fb.compress_image(tiny, hv, bidirectional=True)
        tiny.summary_tokens[-1] += 1.0  # perturb the last summary token
        causal2 = fb.compress_image(tiny, hv)
        bidir2 = fb.compress_image(tiny, hv, bidirectional=True)
    torch.testing.assert_close(causal2[:, :-1], causal[:, :-1])  # causal: earlier outputs unaffected
    assert (bidir2[:, 0] - bidir[:, 0]).abs().max() > 1e-4  # bidirectional: the first one sees it


def test_left_padded_text_compression_equals_unpadded(tiny):
    tiny.add_lora()
    tiny.eval()
    caps = ["a red circle at the top .", "a small blue ring at the bottom left and a sign that says k in the center ."]
    with torch.no_grad():
        both = fb.compress_text(tiny, caps)
        alone = torch.cat([fb.compress_text(tiny, [c]) for c in caps])
    torch.testing.assert_close(both, alone, atol=1e-5, rtol=1e-4)


def test_cached_generation_equals_uncached(tiny):
    tiny.eval()
    samples, images = _batch(3)
    with torch.no_grad():
        hv = tiny.encode_image(images)
        from fwd2bot.evaluate import prefix
        prefixes = [prefix(tiny, hv[i], s.question) for i, s in enumerate(samples)]
        cached = fb.generate(tiny, prefixes, None, max_new=6)
        for p, got in zip(prefixes, cached):
            seq, ids = p[None], []
            for _ in range(6):
                nxt = int(tiny.lm_head(tiny.lm(seq))[0, -1].argmax())
                if nxt == text.EOS:
                    break
                ids.append(nxt)
                seq = torch.cat([seq, tiny.embed(torch.tensor([[nxt]]))], 1)
            assert got == ids
