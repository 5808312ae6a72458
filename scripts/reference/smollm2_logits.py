# Golden logits of the real SmolLM2-135M-Instruct (the Q4_1 GGUF that scripts/fetch-assets.sh
# fetches, dequantized to float32) for three prompts, and a greedy ChatML continuation.
#
# Command that produced the committed output (from the repository root, env of README.md, after
# `bash scripts/fetch-assets.sh` and the llama.cpp build of README.md):
#   /work/ext/venv/bin/python scripts/reference/smollm2_logits.py
# Output, written by this script:
#   Tests/MimicModelsTests/Resources/smollm2_logits.json
#
# Token ids come from llama.cpp's tokenizer (llama-tokenize: special tokens parsed, no BOS since the
# GGUF says tokenizer.ggml.add_bos_token = false). Weights load through transformers' GGUF reader;
# the script checks them against its own dequantization (gguf.quants.dequantize plus the inverse of
# llama.cpp's Q/K row permutation) before use. Logits are the float64 forward of the float32 weights;
# the greedy continuation is computed in float32 and float64 (both recorded).
import json
import math
import os
import platform
import subprocess
import sys
import tempfile

import gguf
import numpy as np
import torch
import transformers
from transformers import AutoModelForCausalLM

from precision import full_precision

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.environ.get("MIMIC_CACHE", os.path.join(ROOT, ".cache"))
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_PATH = os.path.join(CACHE, "models", GGUF_NAME)
LLAMA_BIN = os.environ.get("LLAMA_CPP_BIN", "/work/ext/llama.cpp/build/bin")
OUT = os.path.join(ROOT, "Tests", "MimicModelsTests", "Resources", "smollm2_logits.json")
COMMAND = "/work/ext/venv/bin/python scripts/reference/smollm2_logits.py"
TOP_K = 40
STRIDE = 97
NEW_TOKENS = 64

PROMPTS = [
    ("english", "The old lighthouse keeper climbed the spiral stairs every evening, and on the last night of"),
    ("chatml", "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
               "<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
               "<|im_start|>assistant\n"),
    ("code", "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    if n < 2:\n"
             "        return n\n    return"),
]


def tokenize(text: str) -> tuple[list[int], str]:
    """Token ids from llama.cpp's llama-tokenize (special tokens parsed by default, no escapes)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(text)
    args = [os.path.join(LLAMA_BIN, "llama-tokenize"), "-m", GGUF_PATH, "-f", f.name,
            "--ids", "--log-disable", "--no-escape"]
    try:
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    finally:
        os.remove(f.name)
    cmd = "llama-tokenize -m " + GGUF_NAME + " -f PROMPT.txt --ids --log-disable --no-escape"
    return json.loads(out.strip().splitlines()[-1]), cmd


def gguf_field(reader: gguf.GGUFReader, key: str):
    return reader.fields[key].contents()


def check_weights(model, reader: gguf.GGUFReader) -> None:
    """Our own dequantization must equal what transformers loaded, tensor by tensor."""
    n_head = gguf_field(reader, "llama.attention.head_count")
    n_kv = gguf_field(reader, "llama.attention.head_count_kv")

    def unpermute(w: np.ndarray, heads: int) -> np.ndarray:
        # llama.cpp's converter stores Q/K rows per head as (2, d/2) -> interleaved pairs; undo it.
        return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

    names = {"token_embd": "model.embed_tokens", "output_norm": "model.norm"}
    per_layer = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                 "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                 "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                 "ffn_down": "mlp.down_proj"}
    state = model.state_dict()
    for t in reader.tensors:
        base = t.name.removesuffix(".weight")
        if base.startswith("blk."):
            _, layer, kind = base.split(".")
            hf = f"model.layers.{layer}.{per_layer[kind]}.weight"
        else:
            kind, hf = base, names[base] + ".weight"
        w = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        if kind == "attn_q":
            w = unpermute(w, n_head)
        elif kind == "attn_k":
            w = unpermute(w, n_kv)
        if not np.array_equal(w, state[hf].numpy()):
            sys.exit(f"error: {t.name} differs from transformers' {hf}")
    if "output.weight" in {t.name for t in reader.tensors}:
        sys.exit("error: the GGUF has its own output.weight; this script assumes tied embeddings")


def load_model(reader: gguf.GGUFReader):
    model = AutoModelForCausalLM.from_pretrained(
        os.path.dirname(GGUF_PATH), gguf_file=GGUF_NAME, torch_dtype=torch.float32,
        attn_implementation="eager")
    # transformers 4.45's GGUF path leaves lm_head randomly initialised when the file has no
    # output.weight; llama.cpp then uses token_embd for the output, i.e. tied embeddings.
    model.config.tie_word_embeddings = True
    model.tie_weights()
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    check_weights(model, reader)
    return model.eval()


def sampled(row: torch.Tensor) -> dict:
    """The stored form of one position's logits (float64 row of the vocabulary)."""
    top = torch.topk(row, TOP_K)
    return {
        "argmax": int(row.argmax()),
        "logsumexp": float(torch.logsumexp(row, 0)),
        "top": [[int(i), float(v)] for v, i in zip(top.values.tolist(), top.indices.tolist())],
        "strided": [float(x) for x in row[::STRIDE].tolist()],
    }


def greedy(model, ids: list[int], n: int) -> tuple[list[int], list[float]]:
    """Argmax continuation with a KV cache; returns ids and each step's top-1 minus top-2 margin."""
    out, margins, past = [], [], None
    x = torch.tensor([ids])
    with torch.no_grad():
        for _ in range(n):
            res = model(x, past_key_values=past, use_cache=True)
            past = res.past_key_values
            top2 = torch.topk(res.logits[0, -1].double(), 2).values
            nxt = int(res.logits[0, -1].argmax())
            out.append(nxt)
            margins.append(float(top2[0] - top2[1]))
            x = torch.tensor([[nxt]])
    return out, margins


def byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet, inverted (visible character -> byte)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def decode(reader: gguf.GGUFReader, ids: list[int]) -> str:
    tokens = reader.fields["tokenizer.ggml.tokens"]
    dec = byte_decoder()
    raw = b""
    for i in ids:
        piece = bytes(tokens.parts[tokens.data[i]]).decode("utf-8")
        raw += bytes(dec[c] for c in piece) if all(c in dec for c in piece) else piece.encode()
    return raw.decode("utf-8", errors="replace")


def main() -> None:
    reader = gguf.GGUFReader(GGUF_PATH)
    model = load_model(reader)
    add_bos = bool(gguf_field(reader, "tokenizer.ggml.add_bos_token"))

    prompts, worst32 = [], 0.0
    for name, text in PROMPTS:
        ids, tok_cmd = tokenize(text)
        model.double()
        with full_precision(), torch.no_grad():
            l64 = model(torch.tensor([ids])).logits[0]
        model.float()
        with torch.no_grad():
            l32 = model(torch.tensor([ids])).logits[0].double()
        worst32 = max(worst32, float((l32[[0, -1]] - l64[[0, -1]]).abs().max()))
        prompts.append({"name": name, "text": text, "ids": ids,
                        "first": sampled(l64[0]), "last": sampled(l64[-1])})
        print(f"{name}: {len(ids)} tokens, next {decode(reader, [int(l64[-1].argmax())])!r}")

    chat = next(p for p in prompts if p["name"] == "chatml")
    out32, margins32 = greedy(model.float(), chat["ids"], NEW_TOKENS)
    model.double()
    with full_precision():
        out64, margins64 = greedy(model, chat["ids"], NEW_TOKENS)
    model.float()
    eos = int(gguf_field(reader, "tokenizer.ggml.eos_token_id"))
    print("greedy (float32):", repr(decode(reader, out32)))
    print("float32 and float64 greedy agree:", out32 == out64, "; worst float32 logit diff", worst32)

    golden = {
        "model": GGUF_NAME,
        "script": "scripts/reference/smollm2_logits.py",
        "command": COMMAND,
        "tokenizer_command": tok_cmd,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "gguf": getattr(gguf, "__version__", "0.19.0"), "python": platform.python_version(),
                     "llama.cpp": "vendored in llama-cpp-python 0.3.36 (ggml-org/llama.cpp@0c1e57098)"},
        "add_bos": add_bos,
        "rms_norm_eps": float(gguf_field(reader, "llama.attention.layer_norm_rms_epsilon")),
        "logits_dtype": "float64 forward of the float32-dequantized weights",
        "float32_max_abs_diff": worst32,
        "top_k": TOP_K,
        "stride": STRIDE,
        "schema": "first/last: argmax id, logsumexp of all logits, top [[id, logit]] by descending logit, "
                  "strided = logits at ids 0, stride, 2*stride, ...",
        "prompts": prompts,
        "greedy": {
            "prompt": "chatml", "new_tokens": NEW_TOKENS, "eos_token_id": eos,
            "output_ids": out32, "margins": margins32, "text": decode(reader, out32),
            "first_eos_index": out32.index(eos) if eos in out32 else None,
            "float64_output_ids": out64, "float64_margins": margins64,
            "kv_cache": True, "dtype": "float32 (output_ids), float64 (float64_output_ids)",
        },
    }
    tmp = OUT + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, OUT)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
