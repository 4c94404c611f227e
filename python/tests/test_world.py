import random

import numpy as np

from fwd2bot import world


def test_scenes_and_renders_are_deterministic_by_seed():
    for split in ("train", "test", "val"):
        for i in (0, 5, 123):
            a, b = world.scene(split, i), world.scene(split, i)
            assert a == b
            assert np.array_equal(world.render(a), world.render(b))
    assert world.scene("train", 1) != world.scene("train", 2)
    assert world.caption(world.scene("test", 3)) == world.caption(world.scene("test", 3))


def test_splits_are_disjoint_and_test_split_is_large():
    assert world.SPLIT_SIZES["test"] >= 2000
    held = world.heldout_signatures()
    assert len(held) > 2000
    train = {world.scene("train", i).signature() for i in range(3000)}
    assert not (train & held)
    test = {world.scene("test", i).signature() for i in range(world.SPLIT_SIZES["test"])}
    assert len(test) > 1950  # distinct layouts (a few 1-object scenes may coincide by chance)


def test_render_shape_and_objects_visible():
    sc = world.scene("test", 0)
    img = world.render(sc, 64)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    big = world.render(sc, 256, 1)
    # the object colour appears at the object's cell centre
    o = sc.shapes()[0]
    cy, cx = int((o.row + 0.5 + o.jitter[1]) * 256 / 3), int((o.col + 0.5 + o.jitter[0]) * 256 / 3)
    if o.shape not in ("ring", "cross"):
        assert np.abs(big[cy, cx].astype(int) - np.array(world.COLORS[o.color])).max() <= 1


def test_questions_answers_are_consistent_with_the_scene():
    rng = random.Random(0)
    for i in range(200):
        sc = world.scene("train", i)
        qa = world.questions(sc, rng)
        types = {t for t, _, _ in qa}
        assert {"count", "existence"} <= types
        for t, q, a in qa:
            if q == "how many objects are there ?":
                assert a == world.NUMBER_WORDS[len(sc.objects)]
            if t == "reading" and q.startswith("what is written"):
                assert a == sc.sign().char.lower()
            if t == "relation" or t == "existence":
                assert a in ("yes", "no")


def test_hard_negatives_differ_from_the_caption_in_the_stated_way():
    rng = random.Random(1)
    seen = set()
    for i in range(300):
        sc = world.scene("test", i)
        cap = world.caption(sc)
        for t, neg in world.hard_negatives(sc, rng).items():
            seen.add(t)
            assert neg != cap
            if t in ("replace-obj", "replace-att", "swap-att"):
                assert len(neg.split()) == len(cap.split())
            if t == "replace-rel":  # same objects, one moved
                from fwd2bot.evaluate import caption_facts
                a, b = caption_facts(cap), caption_facts(neg)
                assert sorted(f[:3] for f in a) == sorted(f[:3] for f in b) and a != b
            if t == "add-obj":
                assert len(neg.split()) > len(cap.split())
    assert seen == set(world.NEGATIVE_TYPES)


def test_paraphrases_keep_the_facts():
    from fwd2bot.evaluate import caption_facts, scene_facts
    rng = random.Random(2)
    for i in range(100):
        sc = world.scene("test", i)
        assert caption_facts(world.caption(sc)) == scene_facts(sc)
        for p in world.paraphrases(sc, rng, 3):
            assert caption_facts(p) == scene_facts(sc)
