#!/usr/bin/env python3
"""MMLU-style scoring speed: Mimic's local engine against transformers on the same tokens, in the same run.

    /work/ext/venv/bin/python scripts/mmlu_bench.py --questions 40 --threads 2

(/work/ext/venv is the reference environment of scripts/reference/README.md: Debian's python3-torch plus
requirements.txt.) `mimic eval-bench mmlu` builds synthetic 5-shot questions with four one-letter choices, scores
them (each question's context run once, its four choices read from the last position's logits, FP32
activations) and writes every request's token ids and log-likelihood. This script then scores the same token ids
with transformers' LlamaForCausalLM loaded from the same GGUF file (weights dequantized to float32), the way
lm-evaluation-harness's HF model does for one-token continuations (one forward per context, its four choices read
from the last logits), on the same number of threads, and prints both speeds and the largest difference between
the two log-likelihoods (the weights are the same numbers; only summation order and activation rounding differ).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mimic", default=os.environ.get("MIMIC_BIN", ".build/release/mimic"))
    ap.add_argument("--gguf", default=".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "requests.jsonl")
        out = subprocess.run([args.mimic, "eval-bench", "mmlu", "--model", args.gguf, "--questions", str(args.questions),
                              "--threads", str(args.threads), "--out", dump], check=True, capture_output=True, text=True)
        mimic = json.loads(out.stdout.strip().splitlines()[-1])
        requests = [json.loads(line) for line in open(dump)]

    import torch
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(args.threads)
    folder, name = os.path.split(os.path.abspath(args.gguf))
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32)
    # transformers 4.45's GGUF path leaves lm_head random when the file has no output.weight (SmolLM2 ties it to the
    # token embedding, as llama.cpp reads it): tie them, as scripts/reference/smollm2_logits.py does.
    model.config.tie_word_embeddings = True
    model.tie_weights()
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    model.eval()

    # One forward per distinct context (four choices each), as lm-evaluation-harness groups one-token continuations.
    groups = {}
    for i, r in enumerate(requests):
        groups.setdefault(tuple(r["context"]), []).append(i)
    scores = [None] * len(requests)
    start = time.perf_counter()
    with torch.no_grad():
        for context, members in groups.items():
            logits = model(torch.tensor([list(context)])).logits[0, -1].double()
            logp = torch.log_softmax(logits, dim=-1)
            for i in members:
                cont = requests[i]["continuation"]
                assert len(cont) == 1, "the benchmark's choices are one token each"
                scores[i] = float(logp[cont[0]])
    seconds = time.perf_counter() - start
    diff = max(abs(s - r["loglikelihood"]) for s, r in zip(scores, requests))
    ref_qps = args.questions / seconds
    result = {
        "questions": args.questions, "prompt_tokens": mimic["prompt_tokens"], "threads": args.threads,
        "mimic_seconds": mimic["seconds"], "mimic_questions_per_second": round(mimic["questions_per_second"], 3),
        "transformers_seconds": round(seconds, 3), "transformers_questions_per_second": round(ref_qps, 3),
        "ratio": round(mimic["questions_per_second"] / ref_qps, 2), "max_abs_loglikelihood_diff": diff,
        "torch": torch.__version__,
    }
    print(json.dumps(result))
    return 0 if diff < 5e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
