# The PyTorch side of Mimic's training benchmark: training steps of a randomly initialised Llama with
# SmolLM2-135M's shape, float32, on the CPU. Prints one JSON object (tokens/s, peak RSS, ...).
#
# Commands (from the repository root, env of README.md; OPENBLAS_CORETYPE unset):
#   OPENBLAS_NUM_THREADS=1 /work/ext/venv/bin/python scripts/reference/torch_train_bench.py --batch 4 --seq 256
#   OPENBLAS_NUM_THREADS=1 /work/ext/venv/bin/python scripts/reference/torch_train_bench.py --batch 1 --seq 1024
#
# One step = forward, Mimic's loss (mean cross-entropy over the trained tokens of the batch), backward,
# clip_grad_norm_(1.0) (pass --clip 0 to skip it), AdamW step, zero_grad. Token ids are random (seeded);
# targets are the next ids. `--warmup` untimed steps come first, then `--steps` timed ones.
# tokens/s = batch * seq * timed steps / their wall time; also from the median and the best single step
# (on a shared machine the best step is the least disturbed one; loadavg_before/after say how busy the
# machine was). peak_rss_mib is the process's resource.getrusage(RUSAGE_SELF).ru_maxrss (the high-water
# mark of the whole run, model init included).
#
# Note on threads: Debian's torch 1.13 runs float32 GEMMs through the system BLAS (OpenBLAS, pthreads
# build), whose thread count OPENBLAS_NUM_THREADS sets; torch.set_num_threads only sets torch's own
# OpenMP pool (elementwise ops, softmax, ...). `cpu_seconds / wall_seconds` of the timed steps says how
# many cores were busy on average.
import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

SMOLLM2_135M = dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                    num_attention_heads=9, num_key_value_heads=3, hidden_act="silu",
                    max_position_embeddings=8192, rope_theta=100000.0, rms_norm_eps=1e-5,
                    tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
                    bos_token_id=0, eos_token_id=0, use_cache=False)


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--clip", type=float, default=1.0, help="global-norm clipping; 0 = none")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    load_before = os.getloadavg()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = LlamaConfig(**SMOLLM2_135M, attn_implementation="eager")  # torch 1.13 has no SDPA
    t0 = time.perf_counter()
    model = LlamaForCausalLM(config).float()
    model.train()  # no dropout in this config (attention_dropout 0)
    init_s = time.perf_counter() - t0
    params = [p for p in model.parameters() if p.requires_grad]
    n_params = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    gen = torch.Generator().manual_seed(args.seed)

    def step() -> float:
        raw = torch.randint(0, config.vocab_size, (args.batch, args.seq + 1), generator=gen)
        ids, targets = raw[:, :-1], raw[:, 1:]
        logits = model(input_ids=ids, use_cache=False).logits
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="mean")
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(params, args.clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(loss)

    warm_losses, warm_s = [], []
    for _ in range(args.warmup):
        t = time.perf_counter()
        warm_losses.append(step())
        warm_s.append(time.perf_counter() - t)
    losses, step_s = [], []
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    for _ in range(args.steps):
        t = time.perf_counter()
        losses.append(step())
        step_s.append(time.perf_counter() - t)
    wall = time.perf_counter() - wall0
    cpu = cpu_seconds() - cpu0
    tokens = args.batch * args.seq * args.steps
    result = {
        "benchmark": "torch_train_bench",
        "model": "LlamaForCausalLM, SmolLM2-135M shape, random init, float32, tied embeddings, eager attention",
        "parameters": n_params,
        "batch": args.batch, "seq": args.seq, "tokens_per_step": args.batch * args.seq,
        "warmup_steps": args.warmup, "timed_steps": args.steps,
        "optimizer": {"name": "torch.optim.AdamW", "lr": args.lr, "weight_decay": 0.01,
                      "clip_grad_norm": args.clip},
        "tokens_per_s": tokens / wall,
        "tokens_per_s_median_step": args.batch * args.seq / statistics.median(step_s),
        "tokens_per_s_best_step": args.batch * args.seq / min(step_s),
        "step_seconds": [round(s, 3) for s in step_s],
        "warmup_step_seconds": [round(s, 3) for s in warm_s],
        "wall_seconds": wall, "cpu_seconds": cpu, "avg_busy_cores": cpu / wall,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "init_seconds": init_s,
        "losses": [round(x, 4) for x in warm_losses + losses],
        "torch_num_threads": torch.get_num_threads(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OMP_NUM_THREADS",
                                                "MKL_NUM_THREADS")},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "python": platform.python_version()},
        "cpu": platform.processor() or platform.machine(),
        "os_cpu_count": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
