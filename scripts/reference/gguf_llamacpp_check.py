# Cross-checks the tiny GGUF fixtures of gguf_fixtures.py against llama.cpp itself: loads each file with
# libllama (the build of README.md), runs the golden sequences (token ids fed directly, every position's
# logits requested, float32 KV cache, flash attention off) and prints how far llama.cpp's logits land from
# the goldens. Writes nothing; the numbers it printed are quoted in README.md.
#
# Command (from the repository root, env of README.md):
#   /work/ext/venv/bin/python scripts/reference/gguf_llamacpp_check.py
# Uses the ctypes bindings of the llama-cpp-python 0.3.36 sdist (they match its vendored llama.cpp),
# loaded from $LLAMA_CPP_PYTHON (default /work/ext/llama_cpp_python-0.3.36) without the package's
# __init__ (which needs jinja2), and libllama.so from $LLAMA_CPP_BIN (default /work/ext/llama.cpp/build/bin).
import ctypes
import importlib
import json
import os
import sys
import types

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RES = os.path.join(ROOT, "Tests", "MimicModelsTests", "Resources")
SDIST = os.environ.get("LLAMA_CPP_PYTHON", "/work/ext/llama_cpp_python-0.3.36")
os.environ.setdefault("LLAMA_CPP_LIB_PATH", os.environ.get("LLAMA_CPP_BIN", "/work/ext/llama.cpp/build/bin"))

pkg = types.ModuleType("llama_cpp")
pkg.__path__ = [os.path.join(SDIST, "llama_cpp")]
sys.modules["llama_cpp"] = pkg
L = importlib.import_module("llama_cpp.llama_cpp")

GGML_TYPE_F32 = 0
FLASH_ATTN_DISABLED = 0


@ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
def quiet(level, text, user_data):
    if level >= 4:  # GGML_LOG_LEVEL_ERROR
        sys.stderr.write(text.decode(errors="replace"))


def llama_logits(path: str, sequences: list) -> list:
    mparams = L.llama_model_default_params()
    model = L.llama_model_load_from_file(path.encode(), mparams)
    if not model:
        raise RuntimeError(f"llama.cpp could not load {path}")
    n_vocab = L.llama_vocab_n_tokens(L.llama_model_get_vocab(model))
    out = []
    for ids in sequences:
        cparams = L.llama_context_default_params()
        cparams.n_ctx = cparams.n_batch = cparams.n_ubatch = 64
        cparams.n_threads = cparams.n_threads_batch = 2
        cparams.type_k = cparams.type_v = GGML_TYPE_F32
        cparams.flash_attn_type = FLASH_ATTN_DISABLED
        ctx = L.llama_init_from_model(model, cparams)
        batch = L.llama_batch_init(len(ids), 0, 1)
        batch.n_tokens = len(ids)
        for i, t in enumerate(ids):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = t, i, 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = 1
        rc = L.llama_decode(ctx, batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        rows = [np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, i), shape=(n_vocab,)).astype(np.float64)
                for i in range(len(ids))]
        out.append(np.stack(rows))
        L.llama_batch_free(batch)
        L.llama_free(ctx)
    L.llama_model_free(model)
    return out


def report(name: str, golden_sequences: list, got: list) -> None:
    diffs, agree = [], 0
    total = 0
    for s, l in zip(golden_sequences, got):
        g = np.array(s["logits"])
        diffs.append(float(np.max(np.abs(g - l))))
        agree += int(np.sum(g.argmax(-1) == l.argmax(-1)))
        total += g.shape[0]
    print(f"{name}: max |llama.cpp - golden| = {max(diffs):.3g} (per sequence {', '.join(f'{d:.3g}' for d in diffs)}); "
          f"argmax agrees at {agree}/{total} positions")


def main() -> None:
    L.llama_log_set(quiet, None)
    L.llama_backend_init()
    with open(os.path.join(RES, "tiny-llama-gguf-golden.json")) as f:
        golden = json.load(f)
    for entry in golden["files"]:
        seqs = entry["sequences"]
        report(entry["file"], seqs, llama_logits(os.path.join(RES, entry["file"]), [s["input_ids"] for s in seqs]))
    with open(os.path.join(RES, "tiny-gpt2", "golden.json")) as f:
        seqs = json.load(f)["sequences"]
    report("tiny-gpt2-f32.gguf (vs tiny-gpt2/golden.json)", seqs,
           llama_logits(os.path.join(RES, "tiny-gpt2-f32.gguf"), [s["input_ids"] for s in seqs]))
    for bad in ["wrong-magic.gguf", "truncated.gguf", "offset-past-end.gguf", "unknown-type.gguf",
                "unknown-type-id.gguf"]:
        model = L.llama_model_load_from_file(os.path.join(RES, "bad", bad).encode(), L.llama_model_default_params())
        print(f"bad/{bad}: llama.cpp {'LOADED it' if model else 'refused it'}")
        if model:
            L.llama_model_free(model)


if __name__ == "__main__":
    sys.exit(main())
