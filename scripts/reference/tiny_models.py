# Makes the tiny, randomly initialised Hugging Face model folders and their golden logits that
# MimicModelsTests loads (GPT-2, Llama, sharded Llama, Llama-3 RoPE scaling).
#
# Command that produced the committed outputs (from the repository root, env of README.md):
#   /work/ext/venv/bin/python scripts/reference/tiny_models.py
# Outputs, all written by this script:
#   Tests/MimicModelsTests/Resources/tiny-gpt2/{config.json,model.safetensors,golden.json}
#   Tests/MimicModelsTests/Resources/tiny-llama/{config.json,model.safetensors,golden.json}
#   Tests/MimicModelsTests/Resources/tiny-llama-sharded/{config.json,model.safetensors.index.json,
#       model-0000N-of-0000M.safetensors,golden.json}
#   Tests/MimicModelsTests/Resources/tiny-llama3-rope/{config.json,model.safetensors,golden.json}
#
# Weights are float32 (as saved). The golden logits are the float64 forward pass of those float32
# weights (the exact answer a float32 engine approximates); `float32_max_abs_diff` records how far
# torch's own float32 forward lands from it, a floor for the tolerance a float32 engine can meet.
import json
import os
import platform
import shutil
import sys

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from precision import full_precision

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "MimicModelsTests", "Resources")
COMMAND = "/work/ext/venv/bin/python scripts/reference/tiny_models.py"
SEED = 20250101
STD = 0.2
NEW_TOKENS = 16

# Two fixed input sequences (ids < 512), lengths 9 and 17.
SEQUENCES = [
    [1, 47, 311, 5, 128, 499, 76, 230, 64],
    [0, 511, 12, 300, 301, 302, 7, 7, 7, 256, 99, 400, 18, 205, 460, 33, 2],
]


def perturb(model: torch.nn.Module, seed: int) -> None:
    """Re-initialises every parameter with a larger spread so that logits are far from flat:
    matrices and biases ~ N(0, STD); norm weights ~ 1 + N(0, STD)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32) * STD
            is_norm_weight = p.dim() == 1 and name.endswith("weight")
            p.copy_(noise + 1.0 if is_norm_weight else noise)


def logits_of(model: torch.nn.Module, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0]  # (T, V)


def greedy(model: torch.nn.Module, ids: list[int], n: int) -> list[int]:
    """Argmax continuation by full recomputation (no KV cache, no EOS stop)."""
    seq = list(ids)
    for _ in range(n):
        seq.append(int(logits_of(model, seq)[-1].argmax()))
    return seq[len(ids):]


def rounded(t: torch.Tensor) -> list:
    return [[float(f"{x:.7g}") for x in row] for row in t.tolist()]


def write_golden(folder: str, name: str, model: torch.nn.Module, notes: str) -> dict:
    model.double()  # in place: the float32 weights, widened exactly
    with full_precision():
        l64 = [logits_of(model, ids) for ids in SEQUENCES]
        out64 = greedy(model, SEQUENCES[0], NEW_TOKENS)
    model.float()
    l32 = [logits_of(model, ids) for ids in SEQUENCES]
    out32 = greedy(model, SEQUENCES[0], NEW_TOKENS)
    worst = max(float((a.double() - b).abs().max()) for a, b in zip(l32, l64))
    seqs = [{"input_ids": ids, "logits": rounded(l)} for ids, l in zip(SEQUENCES, l64)]
    golden = {
        "model": name,
        "notes": notes,
        "script": "scripts/reference/tiny_models.py",
        "command": COMMAND,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "python": platform.python_version()},
        "seed": SEED,
        "init_std": STD,
        "logits_dtype": "float64 forward of the float32 weights, 7 significant digits",
        "float32_max_abs_diff": worst,
        "sequences": seqs,
        "greedy": {"input_ids": SEQUENCES[0], "new_tokens": NEW_TOKENS, "output_ids": out64,
                   "float32_output_ids_agree": out32 == out64},
    }
    tmp = os.path.join(folder, "golden.json.tmp")
    with open(tmp, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, os.path.join(folder, "golden.json"))
    return golden


def save(model: torch.nn.Module, name: str, notes: str, **kwargs) -> None:
    folder = os.path.join(OUT, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    model.float().save_pretrained(folder, safe_serialization=True, **kwargs)
    # save_pretrained writes generation_config.json too; the fixture is config + weights only.
    gen_cfg = os.path.join(folder, "generation_config.json")
    if os.path.exists(gen_cfg):
        os.remove(gen_cfg)
    g = write_golden(folder, name, model, notes)
    print(f"{name}: files {sorted(os.listdir(folder))}, float32 diff {g['float32_max_abs_diff']:.2e}, "
          f"greedy {g['greedy']['output_ids']}")


def llama_config(**over) -> LlamaConfig:
    base = dict(vocab_size=512, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, hidden_act="silu",
                max_position_embeddings=128, rope_theta=10000.0, rms_norm_eps=1e-5,
                tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                bos_token_id=1, eos_token_id=2, attn_implementation="eager")
    base.update(over)
    return LlamaConfig(**base)


def main() -> None:
    torch.manual_seed(SEED)

    gpt2 = GPT2LMHeadModel(GPT2Config(
        vocab_size=512, n_positions=64, n_embd=64, n_layer=2, n_head=4,
        activation_function="gelu_new", layer_norm_epsilon=1e-5,
        bos_token_id=0, eos_token_id=0, attn_implementation="eager")).eval()
    perturb(gpt2, SEED + 1)
    gpt2.tie_weights()
    save(gpt2, "tiny-gpt2", "GPT2LMHeadModel; Conv1D weights stored (in, out); lm_head tied to wte")

    llama = LlamaForCausalLM(llama_config()).eval()
    perturb(llama, SEED + 2)
    save(llama, "tiny-llama", "LlamaForCausalLM, GQA 4 heads / 2 KV heads, untied lm_head, HF rotate_half RoPE")
    save(llama, "tiny-llama-sharded", "the same weights as tiny-llama, saved in shards",
         max_shard_size="200KB")

    # original_max_position_embeddings is 64, not 32: with head_dim 16 and theta 5e5 the RoPE
    # wavelengths are 6.3, 32.4, 167, ...; 64 puts 32.4 inside the smoothed band (16, 64), so all
    # three llama3 branches (kept, smoothed, divided by factor) are exercised.
    rope_scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                    "high_freq_factor": 4.0, "original_max_position_embeddings": 64}
    llama3 = LlamaForCausalLM(llama_config(rope_theta=500000.0, tie_word_embeddings=True,
                                           rope_scaling=rope_scaling)).eval()
    perturb(llama3, SEED + 3)
    llama3.tie_weights()
    save(llama3, "tiny-llama3-rope", "LlamaForCausalLM with llama3 RoPE scaling, lm_head tied to embed_tokens")


if __name__ == "__main__":
    sys.exit(main())
