# Golden GPT-2 token ids for tokenizer_corpus.json from the `tiktoken` package and the real gpt2.tiktoken ranks.
#
# Command (from the repository root):
#   python3 -m venv /work/ext/venv-tok && /work/ext/venv-tok/bin/pip install tiktoken
#   /work/ext/venv-tok/bin/python scripts/reference/tokenizer_tiktoken_gpt2.py [PATH/gpt2.tiktoken]
#
# The rank file is looked up as the Swift test does: the argument, else $MIMIC_CACHE/tokenizers/gpt2.tiktoken,
# else ./.cache/tokenizers/gpt2.tiktoken (scripts/fetch-assets.sh puts it there; it comes from the PyPI source
# archive openai-whisper==20250625, whisper/assets/gpt2.tiktoken).
# Writes Tests/MimicTokenizersTests/Resources/tiktoken_gpt2_golden.json: for every corpus string, ids with
# "<|endoftext|>" parsed as the special token 50256 (`allowed_special="all"`) and ids with it read as text
# (`encode_ordinary`). Every golden value comes from tiktoken; nothing is edited by hand.
import hashlib
import json
import os
import sys

import tiktoken
from tiktoken.load import load_tiktoken_bpe

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RES = os.path.join(ROOT, "Tests", "MimicTokenizersTests", "Resources")
COMMAND = "/work/ext/venv-tok/bin/python scripts/reference/tokenizer_tiktoken_gpt2.py"
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def rank_file():
    if len(sys.argv) > 1:
        return sys.argv[1]
    cache = os.environ.get("MIMIC_CACHE")
    if cache:
        return os.path.join(cache, "tokenizers", "gpt2.tiktoken")
    return os.path.join(".cache", "tokenizers", "gpt2.tiktoken")


def main():
    path = rank_file()
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    enc = tiktoken.Encoding(
        name="gpt2-mimic", pat_str=GPT2_PATTERN,
        mergeable_ranks=load_tiktoken_bpe(path), special_tokens={"<|endoftext|>": 50256},
    )
    with open(os.path.join(RES, "tokenizer_corpus.json"), encoding="utf-8") as f:
        corpus = json.load(f)
    cases = []
    for text in corpus:
        ids = enc.encode(text, allowed_special="all")
        plain = enc.encode_ordinary(text)
        if enc.decode(ids) != text:
            sys.exit(f"round trip failed for {text!r}")
        cases.append({"text": text, "ids": ids, "ids_no_special": plain})
    golden = {"command": COMMAND, "tiktoken_version": tiktoken.__version__, "rank_file_sha256": digest,
              "pattern": GPT2_PATTERN, "cases": cases}
    with open(os.path.join(RES, "tiktoken_gpt2_golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} cases from {path} (sha256 {digest[:12]})")


if __name__ == "__main__":
    main()
