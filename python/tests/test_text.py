import json
import random

from tokenizers import Tokenizer

from fwd2bot import text, world


def test_every_world_text_tokenizes_without_unknowns_and_round_trips():
    rng = random.Random(0)
    for i in range(300):
        sc = world.scene("train", i)
        texts = [world.caption(sc), *world.paraphrases(sc, rng, 2), *world.hard_negatives(sc, rng).values()]
        texts += [f"{q} {a}" for _, q, a in world.questions(sc, rng)]
        for t in texts:
            ids = text.encode(t)
            assert text.UNK not in ids, t
            assert text.decode(ids) == t


def test_saved_tokenizer_json_loads_in_hf_tokenizers(tmp_path):
    p = tmp_path / "tokenizer.json"
    text.tokenizer().save(str(p))
    tok = Tokenizer.from_file(str(p))
    s = "User : What color is the circle ? assistant : red"
    assert tok.encode(s, add_special_tokens=False).ids == list(text.encode(s))
    vocab = json.loads(p.read_text())["model"]["vocab"]
    assert vocab["<pad>"] == text.PAD and vocab["<s>"] == text.BOS and vocab["</s>"] == text.EOS
