# Golden files for MimicTrain: loss + gradients of every parameter, 20 AdamW steps, packed-block logits.
#
# Command that produced the committed outputs (from the repository root, env of README.md):
#   /work/ext/venv/bin/python scripts/reference/train_reference.py
# Inputs: Tests/MimicModelsTests/Resources/{tiny-llama,tiny-gpt2}/ (made by tiny_models.py).
# Outputs, all written by this script (a rerun rewrites the same bytes; seeds are fixed):
#   Tests/MimicTrainTests/Resources/grad_golden_tiny-llama.json (+ .part2.json, .part3.json)
#   Tests/MimicTrainTests/Resources/grad_golden_tiny-gpt2.json  (+ .part2.json)
#   (the gradients, ~810 / ~730 KB of float32 base64, are split over files of at most 390,000 base64
#   characters each; the main file's `gradient_files` lists them in order)
#   Tests/MimicTrainTests/Resources/adamw_golden_tiny-llama.json
#   Tests/MimicTrainTests/Resources/adamw_golden_tiny-gpt2.json
#   Tests/MimicTrainTests/Resources/packed_golden.json
#
# The loss everywhere is Mimic's: targets[r][t] is the label of position t (already the NEXT token, or
# -100 = ignored); loss = sum over non-ignored (r, t) of cross_entropy(logits[r, t], targets[r][t]) / the
# number of non-ignored (r, t) of the whole batch. Computed here from the logits, never with `labels=`.
# Both models run in eval mode: tiny-gpt2's config has dropout 0.1 (attn/resid/embd), which would
# otherwise be on during training; Mimic trains without dropout.
#
# Tolerances for the Swift tests (float32 engine), derived from the float32-torch vs float64 gaps that the
# files record (see scripts/reference/README.md, "Training goldens"):
#   grad_golden:   |loss - golden| <= 1e-5 * golden;  per parameter tensor, every element:
#                  |g - golden| <= 1e-4 * max|golden of that tensor| + 1e-3 * |golden|
#   adamw_golden:  each of the 20 losses, each grad norm and the final loss within 1e-4 relative of the
#                  float32 values (float64 values are within ~1e-6 of them); lr exactly as recorded.
#   packed_golden: |logit - golden| <= 1e-4 at every position; |loss - golden| <= 1e-5 * golden.
import base64
import contextlib
import json
import math
import os
import platform
import sys

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from transformers import AutoModelForCausalLM
from transformers.models.llama import modeling_llama

from precision import full_precision as _full_precision

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "Tests", "MimicModelsTests", "Resources")
OUT = os.path.join(ROOT, "Tests", "MimicTrainTests", "Resources")
SCRIPT = "scripts/reference/train_reference.py"
COMMAND = "/work/ext/venv/bin/python scripts/reference/train_reference.py"
VOCAB = 512
IGNORE = -100
PART_LIMIT = 390_000  # characters of gradient base64 per file (files stay under ~400 KB)

GRAD_SEED = 20250301
ADAMW_SEED = 20250302
ADAMW = dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
WARMUP = 5
STEPS = 20
CLIP = 1.0
ADAMW_ROWS, ADAMW_T = 2, 16
IGNORE_FRACTION = 0.1

LOSS_DEFINITION = ("targets[r][t] is the label of position t (the NEXT token, or -100 = ignored); "
                   "loss = sum over non-ignored (r, t) of -log_softmax(logits[r, t])[targets[r][t]] divided "
                   "by the number of non-ignored (r, t) in the whole batch (mean over trained tokens of the "
                   "batch, not a mean of per-row means). Computed from the logits; no label shifting.")


@contextlib.contextmanager
def full_precision():
    """precision.full_precision (RMSNorm and RoPE in the input's dtype) plus the attention softmax:
    transformers 4.45's eager LlamaAttention calls softmax(..., dtype=torch.float32) whatever the model's
    dtype; here a float64 input keeps float64. (GPT-2's eager attention has no such cast.)"""
    softmax = modeling_llama.nn.functional.softmax

    def softmax64(x, dim=None, dtype=None, **kw):
        return softmax(x, dim=dim, **kw) if x.dtype == torch.float64 else softmax(x, dim=dim, dtype=dtype, **kw)

    modeling_llama.nn.functional.softmax = softmax64
    try:
        with _full_precision():
            yield
    finally:
        modeling_llama.nn.functional.softmax = softmax


def versions() -> dict:
    return {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def f32_b64(t: torch.Tensor) -> str:
    a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4", copy=False)
    return base64.b64encode(a.tobytes()).decode("ascii")


def write_json(name: str, obj: dict) -> int:
    path = os.path.join(OUT, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)
    return os.path.getsize(path)


def load(model_name: str, dtype: torch.dtype) -> torch.nn.Module:
    model = AutoModelForCausalLM.from_pretrained(os.path.join(MODELS, model_name), torch_dtype=torch.float32,
                                                 attn_implementation="eager", local_files_only=True)
    model.eval()  # no dropout (tiny-gpt2's config has 0.1)
    return model.to(dtype)  # float32 weights widened exactly when dtype is float64


def mimic_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    flat = logits.reshape(-1, logits.shape[-1])
    tgt = targets.reshape(-1)
    count = int((tgt != IGNORE).sum())
    return F.cross_entropy(flat, tgt, ignore_index=IGNORE, reduction="sum") / count


def logits_of(model: torch.nn.Module, ids: torch.Tensor, **kwargs) -> torch.Tensor:
    """lm_head(final hidden states) in the model's dtype. Not `model(...).logits`: transformers 4.45's
    LlamaForCausalLM casts its logits to float32 (`logits.float()`), which would round the float64
    reference (and its backward) through float32."""
    hidden = model.base_model(input_ids=ids, use_cache=False, **kwargs).last_hidden_state
    return model.get_output_embeddings()(hidden)


def loss_of(model: torch.nn.Module, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return mimic_loss(logits_of(model, ids), targets)


# ---------------------------------------------------------------------------------------------- gradients

def grad_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """2 rows x 12 tokens. Row 0 is drawn with 13 tokens so its last position has a real target (token 12,
    not among the inputs); its first 4 positions are ignored. Row 1's last position has no next token: -100."""
    gen = torch.Generator().manual_seed(GRAD_SEED)
    row0 = torch.randint(0, VOCAB, (13,), generator=gen)
    row1 = torch.randint(0, VOCAB, (12,), generator=gen)
    ids = torch.stack([row0[:12], row1])
    t0 = row0[1:13].clone()
    t0[:4] = IGNORE
    t1 = torch.cat([row1[1:], torch.tensor([IGNORE])])
    return ids, torch.stack([t0, t1])


def gradients(model: torch.nn.Module, ids, targets) -> tuple[float, dict]:
    model.zero_grad(set_to_none=True)
    loss = loss_of(model, ids, targets)
    loss.backward()
    return float(loss), {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def write_grad_golden(model_name: str) -> None:
    ids, targets = grad_batch()
    m64 = load(model_name, torch.float64)
    with full_precision():
        loss64, g64 = gradients(m64, ids, targets)
    m32 = load(model_name, torch.float32)
    loss32, g32 = gradients(m32, ids, targets)
    safetensors_names = set(m32.state_dict().keys())

    entries = []
    worst_scaled = 0.0
    for name, p in m64.named_parameters():
        g, h = g64[name], g32[name].double()
        scale = float(g.abs().max())
        diff = float((h - g).abs().max())
        worst_scaled = max(worst_scaled, diff / scale)
        entries.append({"name": name, "shape": list(p.shape), "max_abs": scale,
                        "float32_max_abs_diff": diff, "f32_b64": f32_b64(g)})

    # Split into files of at most PART_LIMIT base64 characters, keeping named_parameters order.
    parts, current, size = [], [], 0
    for e in entries:
        n = len(e["f32_b64"])
        if current and size + n > PART_LIMIT:
            parts.append(current)
            current, size = [], 0
        current.append(e)
        size += n
    parts.append(current)
    base = f"grad_golden_{model_name}"
    files = [f"{base}.json"] + [f"{base}.part{i + 1}.json" for i in range(1, len(parts))]

    main = {
        "model": model_name,
        "model_folder": f"Tests/MimicModelsTests/Resources/{model_name}",
        "script": SCRIPT, "command": COMMAND, "versions": versions(),
        "notes": ("float64 forward and backward (model.double(), RMSNorm/RoPE in float64) of the float32 "
                  "weights, eval mode (no dropout); gradients rounded to float32, little-endian, base64, "
                  "row-major in the parameter's Hugging Face shape (GPT-2 Conv1D weights are (in, out)). "
                  "One entry per model.named_parameters() in that order: a tied lm_head appears only as "
                  "the embedding it is tied to, whose gradient holds both uses. `gradients` is split over "
                  "`gradient_files` (this file first) to keep each file under ~400 KB: concatenate their "
                  "`gradients` lists."),
        "seed": GRAD_SEED,
        "loss_definition": LOSS_DEFINITION,
        "input_ids": ids.tolist(),
        "targets": targets.tolist(),
        "positions": [list(range(ids.shape[1]))] * ids.shape[0],
        "trained_count": int((targets != IGNORE).sum()),
        "loss": loss64,
        "float32_loss": loss32,
        "float32_max_scaled_grad_diff": worst_scaled,
        "tolerance": ("|loss - loss_golden| <= 1e-5 * loss_golden; per tensor, every element: "
                      "|g - golden| <= 1e-4 * max_abs + 1e-3 * |golden|"),
        "parameters": [{"name": e["name"], "shape": e["shape"], "file": files[i]}
                       for i, part in enumerate(parts) for e in part],
        "gradient_files": files,
        "gradients": parts[0],
    }
    assert all(e["name"] in safetensors_names for e in entries)
    sizes = [write_json(files[0], main)]
    for i in range(1, len(parts)):
        sizes.append(write_json(files[i], {"model": model_name, "script": SCRIPT, "command": COMMAND,
                                           "part_of": files[0], "gradients": parts[i]}))
    print(f"{model_name}: grad loss {loss64:.10f} (float32 {loss32:.10f}), trained {main['trained_count']}, "
          f"float32 worst scaled grad diff {worst_scaled:.2e}, files {list(zip(files, sizes))}")


# ---------------------------------------------------------------------------------------------- AdamW

def adamw_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per step: 2 rows x 16 tokens; each row drawn as 17 tokens (inputs = first 16, targets = next 16);
    then each target independently set to -100 with probability 0.1 (at least one kept per batch)."""
    gen = torch.Generator().manual_seed(ADAMW_SEED)
    batches = []
    for _ in range(STEPS):
        raw = torch.randint(0, VOCAB, (ADAMW_ROWS, ADAMW_T + 1), generator=gen)
        ids, targets = raw[:, :-1].clone(), raw[:, 1:].clone()
        drop = torch.rand((ADAMW_ROWS, ADAMW_T), generator=gen) < IGNORE_FRACTION
        targets[drop] = IGNORE
        assert (targets != IGNORE).any()
        batches.append((ids, targets))
    return batches


def lr_factor(step: int) -> float:
    return min(1.0, (step + 1) / WARMUP)


def train(model_name: str, dtype: torch.dtype, batches) -> dict:
    model = load(model_name, dtype)
    params = [p for _, p in model.named_parameters()]
    opt = torch.optim.AdamW(params, **ADAMW)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    # The documented update, run alongside as a check that the file's description is what torch does.
    shadow = [p.detach().clone() for p in params]
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    b1, b2 = ADAMW["betas"]
    losses, norms, lrs, coefs = [], [], [], []
    shadow_gap = 0.0
    for step, (ids, targets) in enumerate(batches):
        opt.zero_grad(set_to_none=True)
        loss = loss_of(model, ids, targets)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, CLIP)
        lr = opt.param_groups[0]["lr"]
        assert lr == ADAMW["lr"] * lr_factor(step)
        coef = min(1.0, CLIP / (float(norm) + 1e-6))
        # shadow update with the clipped gradients torch holds now
        for i, p in enumerate(params):
            g = p.grad
            shadow[i].mul_(1 - lr * ADAMW["weight_decay"])
            m[i].mul_(b1).add_(g, alpha=1 - b1)
            v[i].mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v[i].sqrt() / math.sqrt(1 - b2 ** (step + 1))).add_(ADAMW["eps"])
            shadow[i].addcdiv_(m[i], denom, value=-lr / (1 - b1 ** (step + 1)))
        opt.step()
        sched.step()
        for s, p in zip(shadow, params):
            shadow_gap = max(shadow_gap, float((s - p.detach()).abs().max()))
            s.copy_(p.detach())
        losses.append(float(loss))
        norms.append(float(norm))
        lrs.append(lr)
        coefs.append(coef)
    with torch.no_grad():
        final = float(loss_of(model, *batches[0]))
    stats = [{"name": n, "sum": float(p.detach().double().sum()), "l2": float(p.detach().double().norm())}
             for n, p in model.named_parameters()]
    assert shadow_gap <= 1e-6 if dtype == torch.float32 else shadow_gap <= 1e-14, shadow_gap
    return {"losses": losses, "grad_norms": norms, "lrs": lrs, "clip_coefs": coefs,
            "final_loss_step0_batch": final, "final_parameter_stats": stats,
            "documented_update_max_abs_diff": shadow_gap}


def write_adamw_golden(model_name: str) -> None:
    batches = adamw_batches()
    r32 = train(model_name, torch.float32, batches)
    with full_precision():
        r64 = train(model_name, torch.float64, batches)
    rel = lambda a, b: max(abs(x - y) / abs(y) for x, y in zip(a, b))
    gaps = {"losses": rel(r32["losses"], r64["losses"]),
            "grad_norms": rel(r32["grad_norms"], r64["grad_norms"]),
            "final_loss": abs(r32["final_loss_step0_batch"] - r64["final_loss_step0_batch"])
            / r64["final_loss_step0_batch"]}
    golden = {
        "model": model_name,
        "model_folder": f"Tests/MimicModelsTests/Resources/{model_name}",
        "script": SCRIPT, "command": COMMAND, "versions": versions(),
        "seed": ADAMW_SEED,
        "loss_definition": LOSS_DEFINITION,
        "optimizer": {
            "name": "torch.optim.AdamW (torch 1.13, default single-tensor path, amsgrad off)",
            "lr": ADAMW["lr"], "beta1": ADAMW["betas"][0], "beta2": ADAMW["betas"][1], "eps": ADAMW["eps"],
            "weight_decay": ADAMW["weight_decay"],
            "weight_decay_applies_to": "ALL parameters (embeddings, norms, biases included), one group",
            "update": ("k = step + 1 (1 for the first update); p *= 1 - lr_k * wd; m = b1*m + (1-b1)*g; "
                       "v = b2*v + (1-b2)*g*g; p -= (lr_k / (1 - b1^k)) * m / (sqrt(v) / sqrt(1 - b2^k) + eps); "
                       "m, v start at 0; g is the clipped gradient"),
            "schedule": "LambdaLR: lr_k = lr * min(1, (step + 1) / 5), step = 0 for the first update",
            "clipping": ("torch.nn.utils.clip_grad_norm_(params, 1.0) before each update: norm = L2 norm of "
                         "all gradients together (pre-clip, recorded in grad_norms); every gradient is "
                         "multiplied by min(1, 1.0 / (norm + 1e-6)) (recorded in clip_coefs)"),
            "tied_weights": "a tied lm_head is the same parameter as the embedding: one Adam state, one update",
            "mode": "eval mode throughout (no dropout)",
        },
        "steps": STEPS,
        "batches": [{"input_ids": ids.tolist(), "targets": t.tolist()} for ids, t in batches],
        "trained_counts": [int((t != IGNORE).sum()) for _, t in batches],
        "float32": r32,
        "float64": r64,
        "float32_vs_float64_max_rel": gaps,
        "notes": ("losses[s] is the loss of batch s BEFORE update s; grad_norms[s] its gradient norm before "
                  "clipping; lrs[s] the learning rate update s used; final_loss_step0_batch the loss of "
                  "batches[0] after all 20 updates. float32: the float32 weights trained in float32; float64: "
                  "the same weights widened and trained in float64 (RMSNorm/RoPE in float64). "
                  "final_parameter_stats: sum and L2 norm (float64) of each parameter after step 20."),
        "tolerance": ("each losses[s], grad_norms[s] and final_loss_step0_batch within 1e-4 relative of "
                      "`float32`; lrs exactly (up to float rounding)"),
    }
    size = write_json(f"adamw_golden_{model_name}.json", golden)
    print(f"{model_name}: adamw losses32 {[round(x, 6) for x in r32['losses']]}")
    print(f"  grad norms32 {[round(x, 4) for x in r32['grad_norms']]}")
    print(f"  final {r32['final_loss_step0_batch']:.8f} (float64 {r64['final_loss_step0_batch']:.8f}), "
          f"gaps {gaps}, {size} bytes")


# ---------------------------------------------------------------------------------------------- packing

PACK_SEED = 20250303
DOC_A, DOC_B = 7, 9


def rounded(t: torch.Tensor) -> list:
    return [[float(f"{x:.7g}") for x in row] for row in t.tolist()]


def write_packed_golden() -> None:
    gen = torch.Generator().manual_seed(PACK_SEED)
    ids = torch.randint(0, VOCAB, (DOC_A + DOC_B,), generator=gen)
    positions = list(range(DOC_A)) + list(range(DOC_B))
    documents = [0] * DOC_A + [1] * DOC_B
    # next token within the same document; each document's last token has no target
    targets = [int(ids[t + 1]) if t + 1 < len(ids) and documents[t + 1] == documents[t] else IGNORE
               for t in range(len(ids))]
    model = load("tiny-llama", torch.float64)
    with full_precision(), torch.no_grad():
        a = logits_of(model, ids[None, :DOC_A])[0]
        b = logits_of(model, ids[None, DOC_A:])[0]
        logits = torch.cat([a, b])
        # cross-check: the packed block in one pass, block-diagonal causal mask, positions restarting
        T = len(ids)
        allowed = torch.tensor([[documents[i] == documents[j] and j <= i for j in range(T)] for i in range(T)])
        mask = torch.zeros(1, 1, T, T, dtype=torch.float64)
        mask[0, 0][~allowed] = torch.finfo(torch.float64).min
        packed = logits_of(model, ids[None], position_ids=torch.tensor([positions]), attention_mask=mask)[0]
        packed_diff = float((packed - logits).abs().max())
        # and what leaking attention / not restarting positions would change (so the test can tell)
        leak = logits_of(model, ids[None])[0]
        leak_diff = float((leak[DOC_A:] - logits[DOC_A:]).abs().max())
        loss = float(mimic_loss(logits, torch.tensor(targets)))
    m32 = load("tiny-llama", torch.float32)
    with torch.no_grad():
        l32 = torch.cat([logits_of(m32, ids[None, :DOC_A])[0], logits_of(m32, ids[None, DOC_A:])[0]])
    golden = {
        "model": "tiny-llama",
        "model_folder": "Tests/MimicModelsTests/Resources/tiny-llama",
        "script": SCRIPT, "command": COMMAND, "versions": versions(),
        "seed": PACK_SEED,
        "notes": ("One block of 16 tokens packing two documents: tokens 0..6 are document 0, 7..15 document 1. "
                  "positions restart at 0 for document 1; attention stays inside a document. logits = the "
                  "float64 forward (RMSNorm/RoPE in float64) of each document run separately, concatenated; "
                  "7 significant digits. packed_one_pass_max_abs_diff: the same block in one HF pass with a "
                  "block-diagonal causal mask and these position_ids. unpacked_leak_max_abs_diff: document 1's "
                  "logits when the block is run as one plain causal sequence (positions 0..15, no isolation), "
                  "i.e. how far a non-isolating engine would land."),
        "loss_definition": LOSS_DEFINITION,
        "input_ids": ids.tolist(),
        "positions": positions,
        "documents": documents,
        "targets": targets,
        "loss": loss,
        "logits_dtype": "float64 forward of the float32 weights, 7 significant digits",
        "float32_max_abs_diff": float((l32.double() - logits).abs().max()),
        "packed_one_pass_max_abs_diff": packed_diff,
        "unpacked_leak_max_abs_diff": leak_diff,
        "tolerance": "|logit - golden| <= 1e-4 at every position; |loss - golden| <= 1e-5 * golden",
        "logits": rounded(logits),
    }
    size = write_json("packed_golden.json", golden)
    print(f"packed: loss {loss:.8f}, one-pass diff {packed_diff:.2e}, leak diff {leak_diff:.3f}, "
          f"float32 diff {golden['float32_max_abs_diff']:.2e}, {size} bytes")


def main() -> None:
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    for name in ("tiny-llama", "tiny-gpt2"):
        write_grad_golden(name)
    for name in ("tiny-llama", "tiny-gpt2"):
        write_adamw_golden(name)
    write_packed_golden()


if __name__ == "__main__":
    sys.exit(main())
