import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
torch.set_num_threads(1)

from fwd2bot import text  # noqa: E402
from fwd2bot.model import ModelConfig, TextConfig, TinyLlava, VisionConfig  # noqa: E402


def tiny_config(K: int = 4) -> ModelConfig:
    return ModelConfig(
        vision=VisionConfig(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2,
                            num_attention_heads=4, intermediate_size=64),
        text=TextConfig(vocab_size=text.vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, intermediate_size=64),
        num_summary_tokens=K, lora_rank=4, lora_alpha=8.0)


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    return TinyLlava(tiny_config())
