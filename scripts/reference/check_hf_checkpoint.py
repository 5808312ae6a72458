# Checks that a model folder written by Mimic loads in Hugging Face transformers, offline, and runs.
#
# Usage (from the repository root, env of README.md):
#   /work/ext/venv/bin/python scripts/reference/check_hf_checkpoint.py FOLDER [--text TEXT] [--top 5]
#
# FOLDER must hold config.json, model.safetensors (or model.safetensors.index.json + shards),
# tokenizer.json, tokenizer_config.json and generation_config.json. The script loads them with
# AutoTokenizer / AutoModelForCausalLM / GenerationConfig (local files only, HF_HUB_OFFLINE=1), refuses
# a checkpoint that transformers would silently complete with random weights (missing, unexpected or
# shape-mismatched tensors), tokenizes TEXT, runs one forward pass (float32), prints the top next tokens,
# a short greedy continuation and, when tokenizer_config.json has a chat_template, the rendered template
# of a one-message chat (that needs jinja2, which the reference venv lacks; without it the script says so
# and goes on); then prints `OK` and exits 0. On any failure it prints `ERROR: ...` to stderr and exits 1
# (2 for bad arguments).
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

REQUIRED = ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"]


class CheckError(Exception):
    pass


def check(folder: str, text: str, top: int, new_tokens: int, verbose: bool) -> None:
    if not os.path.isdir(folder):
        raise CheckError(f"{folder} is not a folder")
    missing = [f for f in REQUIRED if not os.path.isfile(os.path.join(folder, f))]
    if not (os.path.isfile(os.path.join(folder, "model.safetensors"))
            or os.path.isfile(os.path.join(folder, "model.safetensors.index.json"))):
        missing.append("model.safetensors")
    if missing:
        raise CheckError(f"missing files: {', '.join(missing)}")
    for f in REQUIRED:
        with open(os.path.join(folder, f)) as fh:
            try:
                json.load(fh)
            except json.JSONDecodeError as e:
                raise CheckError(f"{f} is not valid JSON: {e}") from e

    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig
    from transformers.utils import is_jinja_available

    if verbose:
        transformers.logging.set_verbosity_info()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    gen_config = GenerationConfig.from_pretrained(folder, local_files_only=True)
    model, info = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, torch_dtype=torch.float32,
                                                       output_loading_info=True)
    model.eval()
    problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if problems:
        raise CheckError(f"weights do not match the architecture: {problems}")
    if info.get("error_msgs"):
        raise CheckError(f"loading errors: {info['error_msgs']}")
    cfg = model.config
    print(f"model: {type(model).__name__}, {sum(p.numel() for p in model.parameters()):,} parameters, "
          f"vocab {cfg.vocab_size}, tie_word_embeddings {cfg.tie_word_embeddings}, dtype {cfg.torch_dtype}")
    print(f"tokenizer: {type(tokenizer).__name__}, {len(tokenizer)} tokens, bos {tokenizer.bos_token!r}, "
          f"eos {tokenizer.eos_token!r}")
    print(f"generation_config: bos {gen_config.bos_token_id}, eos {gen_config.eos_token_id}, "
          f"pad {gen_config.pad_token_id}")
    if len(tokenizer) > cfg.vocab_size:
        raise CheckError(f"tokenizer has {len(tokenizer)} tokens but the model's vocabulary is {cfg.vocab_size}")

    ids = tokenizer(text, return_tensors="pt").input_ids
    if ids.numel() == 0:
        raise CheckError(f"{text!r} tokenizes to no ids")
    print(f"text: {text!r} -> {ids[0].tolist()}")
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, -1].float()
    if not torch.isfinite(logits).all():
        raise CheckError("non-finite logits")
    probs = logits.softmax(-1)
    values, indices = logits.topk(min(top, logits.numel()))
    print("top next tokens:")
    for v, i in zip(values.tolist(), indices.tolist()):
        print(f"  {i:>7} {tokenizer.decode([i])!r:<20} logit {v:9.4f}  p {float(probs[i]):.4f}")

    if new_tokens > 0:
        with torch.no_grad():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens, do_sample=False, num_beams=1,
                                 pad_token_id=gen_config.pad_token_id if gen_config.pad_token_id is not None
                                 else gen_config.eos_token_id)
        new = out[0, ids.shape[1]:].tolist()
        print(f"greedy continuation ({len(new)} tokens): {new} {tokenizer.decode(new)!r}")

    if tokenizer.chat_template and not is_jinja_available():
        print("chat template: present, not rendered (jinja2 is not installed in this environment)")
    elif tokenizer.chat_template:
        rendered = tokenizer.apply_chat_template([{"role": "user", "content": "Hello!"}], tokenize=False,
                                                 add_generation_prompt=True)
        print(f"chat template renders: {rendered!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description="Load a Mimic-written model folder with transformers, offline.")
    ap.add_argument("folder")
    ap.add_argument("--text", default="The quick brown fox jumps over")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--new-tokens", type=int, default=8, help="greedy tokens to generate; 0 = none")
    ap.add_argument("--verbose", action="store_true", help="transformers' info logging; tracebacks on error")
    args = ap.parse_args()
    try:
        check(args.folder, args.text, args.top, args.new_tokens, args.verbose)
    except Exception as e:  # noqa: BLE001 - any failure is a failed check
        if args.verbose:
            traceback.print_exc()
        print(f"ERROR: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
