# Checks a Hugging Face checkpoint folder that Mimic wrote (HFCheckpoint, `mimic prune`) with the Python
# ecosystem: the tokenizer.json through `tokenizers` and `transformers`, the model through transformers'
# AutoModelForCausalLM with a short greedy generation. Prints one JSON object; writes nothing.
#
# Usage (env of README.md):
#   /work/ext/venv/bin/python scripts/reference/hf_checkpoint_check.py FOLDER [--text T ...] [--chat MSG]
#       [--new-tokens N] [--expect-ids FILE]
# --expect-ids: a JSON object {text: [ids]} (for example Mimic's `mimic tokenize --ids` output for each text);
# the script then reports, per text, whether `tokenizers` gives the same ids. Exit status 1 on any mismatch.
import argparse
import json
import sys

import torch
import transformers
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer

DEFAULT_TEXTS = [
    "Hello, world!",
    "The year 2024 had 366 days; 12345 + 678 = 13023.",
    "<|im_start|>user\nWhat's the capital of France?<|im_end|>\n",
    "  leading spaces,\ttabs\n\nand   runs   of spaces  ",
    "Straße, naïve café, 我们今天去公园散步。 😀👍",
    "I'm sure they'LL say it's fine, but we'd've known.",
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--text", action="append")
    ap.add_argument("--chat", default="What is the capital of France?")
    ap.add_argument("--new-tokens", type=int, default=12)
    ap.add_argument("--expect-ids")
    args = ap.parse_args()
    texts = args.text or DEFAULT_TEXTS

    raw = Tokenizer.from_file(f"{args.folder}/tokenizer.json")
    fast = AutoTokenizer.from_pretrained(args.folder)
    report = {"transformers": transformers.__version__, "torch": torch.__version__, "tokenizer_class": type(fast).__name__,
              "texts": []}
    expected = json.load(open(args.expect_ids)) if args.expect_ids else {}
    ok = True
    for text in texts:
        ids = raw.encode(text, add_special_tokens=False).ids
        via_transformers = fast(text, add_special_tokens=False)["input_ids"]
        entry = {"text": text, "ids": ids, "transformers_same": via_transformers == ids,
                 "decode_roundtrip": raw.decode(ids, skip_special_tokens=False) == text}
        if text in expected:
            entry["mimic_same"] = expected[text] == ids
            ok = ok and entry["mimic_same"]
        ok = ok and entry["transformers_same"]
        report["texts"].append(entry)

    model = AutoModelForCausalLM.from_pretrained(args.folder, torch_dtype=torch.float32)
    model.eval()
    report["model"] = {"class": type(model).__name__, "layers": model.config.num_hidden_layers
                       if hasattr(model.config, "num_hidden_layers") else model.config.n_layer,
                       "parameters": sum(p.numel() for p in model.parameters())}
    messages = [{"role": "user", "content": args.chat}]
    report["chat_template_loaded"] = fast.chat_template is not None
    try:
        prompt = fast.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        report["prompt_rendered_by"] = "apply_chat_template"
    except (ImportError, NameError):  # transformers without jinja2 cannot render templates: ChatML by hand
        prompt = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"
        report["prompt_rendered_by"] = "ChatML by hand (jinja2 is not installed)"
    inputs = fast(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=args.new_tokens, do_sample=False)
    new = out[0, inputs["input_ids"].shape[1]:].tolist()
    report["generation"] = {"prompt": prompt, "prompt_ids": inputs["input_ids"][0].tolist(), "new_ids": new,
                            "text": fast.decode(new, skip_special_tokens=False)}
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
