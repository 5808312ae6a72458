# Golden perplexity of SmolLM2-135M-Instruct (float32) on the project's own text, as llama.cpp's
# llama-perplexity computes it, cross-checked by a torch re-implementation of the same algorithm.
#
# Command that produced the committed output (from the repository root, env of README.md, after
# `bash scripts/fetch-assets.sh`, the llama.cpp build and the F32 GGUF of README.md):
#   /work/ext/venv/bin/python scripts/reference/smollm2_perplexity.py
# Input:  Tests/MimicModelsTests/Resources/perplexity.txt (original prose written for this project)
# Output: Tests/MimicModelsTests/Resources/smollm2_perplexity.json
#
# llama-perplexity runs, for --ctx-size 128 and 256, with its defaults (the commands the JSON records;
# F16 KV cache, flash attention auto) and again with an F32 KV cache and flash attention off, which
# is what a float32 engine computes. The torch reference uses the float64 forward of the same weights.
import hashlib
import json
import math
import os
import re
import subprocess
import tempfile

import torch

from precision import full_precision
from smollm2_logits import GGUF_NAME, GGUF_PATH, LLAMA_BIN, ROOT, load_model
import gguf

F32_GGUF = os.environ.get("SMOLLM2_F32_GGUF", "/work/ext/smollm2-f32.gguf")
TEXT = os.path.join("Tests", "MimicModelsTests", "Resources", "perplexity.txt")
OUT = os.path.join(ROOT, "Tests", "MimicModelsTests", "Resources", "smollm2_perplexity.json")
COMMAND = "/work/ext/venv/bin/python scripts/reference/smollm2_perplexity.py"
CONTEXTS = [128, 256]
VARIANTS = [("default", []), ("f32-kv-no-flash-attn", ["-ctk", "f32", "-ctv", "f32", "-fa", "off"])]

ALGORITHM = (
    "llama-perplexity (tools/perplexity/perplexity.cpp, perplexity()): the file is read whole and one "
    "trailing newline is dropped; it is tokenized once with add_special=true (BOS only if the GGUF's "
    "add_bos_token, false for SmolLM2) and parse_special=false; n_chunk = floor(n_tokens / n_ctx) "
    "non-overlapping chunks tokens[k*n_ctx ..< (k+1)*n_ctx], the tail is dropped; each chunk starts "
    "from an empty KV cache at position 0 (if add_bos, the chunk's first token is replaced by BOS, "
    "not prepended); first = n_ctx/2; the logits at positions first ... n_ctx-2 score the next tokens "
    "(n_ctx - first - 1 per chunk); nll = -log_softmax(logits)[next] summed in double; after each "
    "chunk it prints exp(sum nll / count); final PPL = exp(mean nll), +/- ppl * sqrt((mean(nll^2) - "
    "mean(nll)^2) / (count - 1)). Chunks are decoded n_seq = n_batch / n_ctx at a time as separate "
    "sequences of one batch (n_batch 2048, n_ubatch 512); this changes nothing but rounding.")


def tokenize_like_perplexity(text: str) -> list[int]:
    """llama-perplexity's tokens: one trailing newline dropped, no special-token parsing, no BOS."""
    if text.endswith("\n"):
        text = text[:-1]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(text)
    args = [os.path.join(LLAMA_BIN, "llama-tokenize"), "-m", GGUF_PATH, "-f", f.name, "--ids",
            "--log-disable", "--no-escape", "--no-parse-special"]
    try:
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    finally:
        os.remove(f.name)
    return json.loads(out.strip().splitlines()[-1])


def run_llama(n_ctx: int, extra: list[str]) -> dict:
    shown = ["llama-perplexity", "-m", "smollm2-f32.gguf", "-f", TEXT, "--ctx-size", str(n_ctx),
             "-t", "2"] + extra
    args = [os.path.join(LLAMA_BIN, "llama-perplexity"), "-m", F32_GGUF] + shown[3:]
    res = subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT)
    log = res.stdout + res.stderr
    running = [float(x) for x in re.findall(r"\[\d+\](\d+\.\d+),", log)]
    final = re.search(r"Final estimate: PPL = (\d+\.\d+) \+/- (\d+\.\d+)", log)
    chunks = re.search(r"calculating perplexity over (\d+) chunks, n_ctx=(\d+), batch_size=(\d+), "
                       r"n_seq=(\d+)", log)
    n_chunks = int(chunks.group(1))
    assert len(running) == n_chunks, log
    return {"command": " ".join(shown), "n_ctx": n_ctx, "n_chunks": n_chunks,
            "n_batch": int(chunks.group(3)), "n_seq": int(chunks.group(4)),
            "n_scored": n_chunks * (n_ctx - n_ctx // 2 - 1),
            "running_ppl": running, "final_ppl": float(final.group(1)),
            "final_ppl_stderr": float(final.group(2))}


def reference(model, tokens: list[int], n_ctx: int) -> dict:
    """The same algorithm in torch (float64 forward), with per-chunk sums for finer-grained tests."""
    first = n_ctx // 2
    nll_sum, nll2_sum, count = 0.0, 0.0, 0
    chunk_sums, running = [], []
    for k in range(len(tokens) // n_ctx):
        chunk = tokens[k * n_ctx:(k + 1) * n_ctx]
        with torch.no_grad():
            logits = model(torch.tensor([chunk])).logits[0]  # (n_ctx, V)
        logp = torch.log_softmax(logits[first:n_ctx - 1], dim=-1)
        nll = -logp.gather(1, torch.tensor(chunk[first + 1:])[:, None])[:, 0]
        chunk_sums.append(float(nll.sum()))
        nll_sum += float(nll.sum())
        nll2_sum += float((nll * nll).sum())
        count += nll.numel()
        running.append(math.exp(nll_sum / count))
    mean = nll_sum / count
    var = nll2_sum / count - mean * mean
    ppl = math.exp(mean)
    return {"n_ctx": n_ctx, "first_scored_position": first, "scored_per_chunk": n_ctx - first - 1,
            "n_chunks": len(chunk_sums), "n_scored": count, "chunk_nll_sums": chunk_sums,
            "running_ppl": running, "final_ppl": ppl, "final_ppl_stderr": ppl * math.sqrt(var / (count - 1)),
            "mean_nll": mean}


def main() -> None:
    with open(os.path.join(ROOT, TEXT), "rb") as f:
        raw = f.read()
    tokens = tokenize_like_perplexity(raw.decode("utf-8"))
    runs = [dict(run_llama(c, extra), variant=name) for c in CONTEXTS for name, extra in VARIANTS]
    for r in runs:
        print(f"llama.cpp n_ctx {r['n_ctx']} {r['variant']}: PPL {r['final_ppl']} +/- {r['final_ppl_stderr']}"
              f" over {r['n_chunks']} chunks")

    model = load_model(gguf.GGUFReader(GGUF_PATH)).double()
    with full_precision():
        refs = [reference(model, tokens, c) for c in CONTEXTS]
    for r in refs:
        print(f"torch float64 n_ctx {r['n_ctx']}: PPL {r['final_ppl']:.4f} +/- {r['final_ppl_stderr']:.5f}")

    golden = {
        "model": "smollm2-f32.gguf = llama-quantize --allow-requantize " + GGUF_NAME + " smollm2-f32.gguf F32",
        "script": "scripts/reference/smollm2_perplexity.py",
        "command": COMMAND,
        "llama.cpp": "vendored in llama-cpp-python 0.3.36 (ggml-org/llama.cpp@0c1e57098)",
        "text_file": TEXT,
        "text_sha256": hashlib.sha256(raw).hexdigest(),
        "tokenization": {"add_bos": False, "parse_special": False, "trailing_newline_dropped": True,
                         "n_tokens": len(tokens), "ids": tokens},
        "algorithm": ALGORITHM,
        "llama_cpp_runs": runs,
        "torch_reference": refs,
    }
    tmp = OUT + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    os.replace(tmp, OUT)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
