# Makes the GGUF-side fixtures: dequantization goldens for every ggml type Mimic reads, GGUF
# conversions of the tiny Llama and GPT-2 models with golden logits, and tiny invalid files for the
# error tests.
#
# Command that produced the committed outputs (from the repository root, env of README.md):
#   /work/ext/venv/bin/python scripts/reference/gguf_fixtures.py
# Outputs, all written by this script (rerunning it rewrites the same bytes):
#   Tests/MimicTensorTests/Resources/dequant_golden.json
#   Tests/MimicModelsTests/Resources/tiny-llama-q8_0.gguf
#   Tests/MimicModelsTests/Resources/tiny-llama-f16.gguf
#   Tests/MimicModelsTests/Resources/tiny-gpt2-f32.gguf
#   Tests/MimicModelsTests/Resources/tiny-llama-gguf-golden.json
#   Tests/MimicModelsTests/Resources/bad/{README.md, wrong-magic.gguf, truncated.gguf,
#       offset-past-end.gguf, unknown-type.gguf, unknown-type-id.gguf, lying-header.safetensors,
#       bad-json.safetensors, unigram/tokenizer.json}
# Inputs: the HF fixtures tiny-llama/ and tiny-gpt2/ written by tiny_models.py.
#
# The GGUF files follow llama.cpp's convert_hf_to_gguf.py (the copy in llama-cpp-python 0.3.36, see
# README.md) for the `llama` and `gpt2` architectures: its tensor names (gguf-py's tensor map), its
# Q/K row permutation, GPT-2's Conv1D transposes, its choice of tensor types, and its metadata keys
# in its order. Only the tokenizer section is made up (the fixtures have no tokenizer): 512 tokens
# "<t0>".."<t511>", all of type 1 (normal), an empty merges list, and the config's BOS/EOS ids.
import base64
import hashlib
import importlib.metadata
import json
import os
import platform
import struct
import sys

import numpy as np
import torch
import transformers
from safetensors import safe_open
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

import gguf
from gguf import GGMLQuantizationType as QT
from gguf import GGUFValueType as VT

from precision import full_precision

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TENSOR_RES = os.path.join(ROOT, "Tests", "MimicTensorTests", "Resources")
MODEL_RES = os.path.join(ROOT, "Tests", "MimicModelsTests", "Resources")
BAD = os.path.join(MODEL_RES, "bad")
SCRIPT = "scripts/reference/gguf_fixtures.py"
COMMAND = "/work/ext/venv/bin/python scripts/reference/gguf_fixtures.py"
SEED = 20250202
GGUF_VERSION = importlib.metadata.version("gguf")
NEW_TOKENS = 16


def rel(path: str) -> str:
    return os.path.relpath(path, ROOT)


def write_bytes(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def write_json(path: str, obj, indent=None) -> None:
    text = json.dumps(obj, indent=indent, separators=None if indent else (",", ":"), ensure_ascii=False)
    write_bytes(path, (text + "\n").encode("utf-8"))


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---------------------------------------------------------------------------------------------------
# 1. Dequantization goldens
# ---------------------------------------------------------------------------------------------------

# name, block elements, blocks in the golden
DEQUANT_TYPES = [
    (QT.F16, 64), (QT.BF16, 64),
    (QT.Q4_0, 6), (QT.Q4_1, 6), (QT.Q8_0, 6),
    (QT.Q4_K, 4), (QT.Q5_K, 4), (QT.Q6_K, 4),
    (QT.Q5_0, 6), (QT.Q5_1, 6),  # last: the types before them keep their seeded samples
]


def float_samples(rng: np.random.Generator, qtype: QT, n: int) -> np.ndarray:
    """n float32 values for F16/BF16: special values first (signed zeros, ±1, the format's extremes
    and subnormals, values that round), then random ones over many magnitudes with both signs."""
    if qtype == QT.F16:
        special = [0.0, -0.0, 1.0, -1.0, 65504.0, -65504.0, 6.103515625e-05,  # f16 max, min normal
                   5.960464477539063e-08, -1.1920928955078125e-07, 3.0517578125e-05,  # f16 subnormals
                   0.1, -0.333333, 1.0009765625, 1.00048828125, 2049.0, 2051.0]  # ties to even
    else:
        special = [0.0, -0.0, 1.0, -1.0, 3.3895313892515355e38, -1e30,  # bf16 max, large
                   1.1754943508222875e-38, 9.183549615799121e-41, -1e-39,  # min normal, subnormals
                   0.1, -0.333333, 1.00390625, 1.01171875, 257.0, 259.0, 3.14159265]  # ties to even
    rest = rng.standard_normal(n - len(special)) * 10.0 ** rng.uniform(-4, 3, n - len(special))
    return np.concatenate([np.array(special, dtype=np.float64), rest]).astype(np.float32)


def block_samples(rng: np.random.Generator, block: int, n: int) -> np.ndarray:
    """n blocks of float32 data with mixed scales: centred normals at a small and a large scale, an
    all-positive block with an offset, an all-negative one, an all-zero block and one with an outlier."""
    rows = []
    for i in range(n):
        scale = 10.0 ** rng.uniform(-3, 1)
        x = rng.standard_normal(block) * scale
        kind = i % 6
        if kind == 1:
            x *= 100.0
        elif kind == 2:
            x = np.abs(x) + 2 * scale
        elif kind == 3:
            x = -np.abs(x) - 0.5 * scale
        elif kind == 4:
            x = np.zeros(block)
        elif kind == 5:
            x[rng.integers(block)] = 40 * scale
        rows.append(x)
    return np.stack(rows).astype(np.float32)


def f16_bytes(values: np.ndarray) -> np.ndarray:
    return values.astype(np.float16).view(np.uint8).reshape(-1, 2)


def kquant_blocks(rng: np.random.Generator, qtype: QT, n: int) -> np.ndarray:
    """n random K-quant blocks: every quant, scale and high bit uniformly random, but the fp16 super-
    block scales finite, |d| and |dmin| log-uniform in [1e-3, 1e-1]: block 0 with positive d and
    dmin (what ggml's quantizers write), later blocks with random signs."""
    block_bytes = gguf.GGML_QUANT_SIZES[qtype][1]
    raw = rng.integers(0, 256, size=(n, block_bytes), dtype=np.uint8)

    def scales(count: int) -> np.ndarray:
        mag = 10.0 ** rng.uniform(-3, -1, size=(n, count))
        sign = np.where(rng.random((n, count)) < 0.5, -1.0, 1.0)
        sign[0] = 1.0
        return f16_bytes((mag * sign).ravel()).reshape(n, 2 * count)

    if qtype in (QT.Q4_K, QT.Q5_K):
        raw[:, 0:4] = scales(2)  # d, dmin at the start of the block
    elif qtype == QT.Q6_K:
        raw[:, block_bytes - 2:] = scales(1)  # d at the end (after ql, qh, int8 scales)
    else:
        raise ValueError(qtype)
    return raw


def f32_b64(values: np.ndarray) -> str:
    return base64.b64encode(values.astype("<f4").tobytes()).decode("ascii")


def exact_floats(values: np.ndarray) -> list:
    """float32 values as JSON numbers that parse back to the same float32 (the shortest decimal of the
    float64 holding the float32 exactly)."""
    return [float(v) for v in values.astype(np.float32).ravel()]


def ggml_to_float_check(qtype: QT, raw: np.ndarray, values: np.ndarray) -> str:
    """Optional cross-check against ggml's own to_float (libggml-base.so of the llama.cpp build);
    printed only, the golden never depends on it."""
    import ctypes
    lib_dir = os.environ.get("LLAMA_CPP_BIN", "/work/ext/llama.cpp/build/bin")
    path = os.path.join(lib_dir, "libggml-base.so")
    if not os.path.exists(path):
        return "skipped (no libggml-base.so)"
    lib = ctypes.CDLL(path)

    class Traits(ctypes.Structure):  # struct ggml_type_traits (ggml.h)
        _fields_ = [("type_name", ctypes.c_char_p), ("blck_size", ctypes.c_int64),
                    ("blck_size_interleave", ctypes.c_int64), ("type_size", ctypes.c_size_t),
                    ("is_quantized", ctypes.c_bool), ("to_float", ctypes.c_void_p),
                    ("from_float_ref", ctypes.c_void_p)]
    lib.ggml_get_type_traits.restype = ctypes.POINTER(Traits)
    t = lib.ggml_get_type_traits(int(qtype)).contents
    if t.to_float is None:
        return "skipped (no to_float)"
    to_float = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int64)(t.to_float)
    src = np.ascontiguousarray(raw)
    out = np.empty(values.size, dtype=np.float32)
    to_float(src.ctypes.data, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), out.size)
    same = np.array_equal(out.view(np.uint32), values.astype(np.float32).view(np.uint32))
    return "bit-identical" if same else f"DIFFERS (max abs {np.max(np.abs(out - values)):.3g})"


def dequant_golden() -> None:
    rng = np.random.default_rng(SEED)
    types = []
    for qtype, n_blocks in DEQUANT_TYPES:
        block_elements, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
        if qtype in (QT.F16, QT.BF16):
            source = "gguf.quants.quantize of seeded float32 samples (special values first)"
            raw = gguf.quants.quantize(float_samples(rng, qtype, n_blocks), qtype).view(np.uint8)
        else:
            try:
                data = block_samples(rng, block_elements, n_blocks)
                raw = gguf.quants.quantize(data, qtype)
                source = "gguf.quants.quantize of seeded float32 blocks (mixed scales, signs, a zero block)"
            except NotImplementedError:
                raw = kquant_blocks(rng, qtype, n_blocks)
                source = ("random bytes (gguf-py cannot quantize this type), fp16 d/dmin set to finite "
                          "values of magnitude 1e-3..1e-1")
        raw = np.ascontiguousarray(raw.reshape(n_blocks, block_bytes).astype(np.uint8))
        values = gguf.quants.dequantize(raw, qtype).astype(np.float32).ravel()
        assert values.size == n_blocks * block_elements and np.all(np.isfinite(values)), qtype.name
        print(f"  {qtype.name:5s} {n_blocks} blocks, |x| max {np.max(np.abs(values)):.4g}; "
              f"ggml to_float: {ggml_to_float_check(qtype, raw, values)}")
        types.append({
            "name": qtype.name, "id": int(qtype),
            "block_elements": block_elements, "block_bytes": block_bytes,
            "blocks": n_blocks, "source": source,
            "raw_b64": base64.b64encode(raw.tobytes()).decode("ascii"),
            "values": exact_floats(values),
            "values_f32_b64": f32_b64(values),
        })
    golden = {
        "script": SCRIPT, "command": COMMAND, "gguf_version": GGUF_VERSION,
        "numpy_version": np.__version__, "seed": SEED,
        "notes": ("values = gguf.quants.dequantize(raw bytes, type) as float32, in element order; "
                  "'values' are exact (each parses back to the same float32), 'values_f32_b64' holds "
                  "the same float32s little-endian, bit for bit"),
        "types": types,
    }
    path = os.path.join(TENSOR_RES, "dequant_golden.json")
    write_json(path, golden)
    print(f"{rel(path)}: {os.path.getsize(path)} bytes")


# ---------------------------------------------------------------------------------------------------
# 2. GGUF conversions of the tiny models
# ---------------------------------------------------------------------------------------------------

class Writer(gguf.GGUFWriter):
    """gguf-py's writer, but able to write an empty array (gguf-py drops them in add_array and refuses
    them when packing; the format allows them, and llama.cpp needs tokenizer.ggml.merges present)."""

    def _pack_val(self, val, vtype, add_vtype, sub_type=None):
        if vtype == VT.ARRAY and len(val) == 0:
            out = self._pack("I", vtype) if add_vtype else b""
            return out + self._pack("I", sub_type if sub_type is not None else VT.STRING) + self._pack("Q", 0)
        return super()._pack_val(val, vtype, add_vtype, sub_type)


VOCAB = 512


def add_tokenizer(w: gguf.GGUFWriter, bos: int, eos: int) -> None:
    w.add_tokenizer_model("gpt2")
    w.add_token_list([f"<t{i}>" for i in range(VOCAB)])
    w.add_token_types([int(gguf.TokenType.NORMAL)] * VOCAB)
    w.add_key_value(gguf.Keys.Tokenizer.MERGES, [], VT.ARRAY, sub_type=VT.STRING)
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)


def read_hf(folder: str):
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    tensors = {}
    with safe_open(os.path.join(folder, "model.safetensors"), "np") as f:
        for k in f.keys():  # the file's (sorted) order, as the converter iterates
            tensors[k] = f.get_tensor(k)
    return config, tensors


def permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """convert_hf_to_gguf.py LlamaModel.permute (n_head = the head count of this projection: heads for
    Q, KV heads for K): within each head, output row 2i+j is input row j*(d/2)+i (j = 0, 1), so
    llama.cpp's RoPE on consecutive pairs equals HF's rotate_half RoPE on pairs (i, i+d/2)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w: np.ndarray, n_head: int) -> np.ndarray:
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def tensor_qtype(new_name: str, data: np.ndarray, file_qtype: QT) -> QT:
    """The converter's choice (prepare_tensors): 1-D tensors and norms F32; position embeddings and
    anything not ending in .weight F32; everything else the file's type."""
    if data.ndim <= 1 or new_name.endswith("_norm.weight"):
        return QT.F32
    if new_name.startswith("position_embd.") or not new_name.endswith(".weight"):
        return QT.F32
    return file_qtype


def add_converted(w: gguf.GGUFWriter, new_name: str, data: np.ndarray, file_qtype: QT) -> int:
    data = np.ascontiguousarray(data.astype(np.float32))
    qtype = tensor_qtype(new_name, data, file_qtype)
    w.add_tensor(new_name, gguf.quants.quantize(data, qtype), raw_dtype=qtype)
    return data.size


def file_type_of(qtype: QT) -> int:
    return {QT.F32: gguf.LlamaFileType.ALL_F32, QT.F16: gguf.LlamaFileType.MOSTLY_F16,
            QT.Q8_0: gguf.LlamaFileType.MOSTLY_Q8_0}[qtype]


def write_meta(w: gguf.GGUFWriter, name: str, n_params: int) -> None:
    # convert_hf_to_gguf.py's "Set meta model": general.type, general.name (from the folder name),
    # general.size_label (from the parameter count).
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    w.add_size_label(gguf.size_label(n_params, 0, 0, 0))


def finish(w: gguf.GGUFWriter) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def convert_llama(out: str, file_qtype: QT) -> None:
    config, tensors = read_hf(os.path.join(MODEL_RES, "tiny-llama"))
    arch = gguf.MODEL_ARCH.LLAMA
    n_layers = config["num_hidden_layers"]
    n_head, n_kv = config["num_attention_heads"], config["num_key_value_heads"]
    name_map = gguf.get_tensor_name_map(arch, n_layers)
    w = Writer(out, gguf.MODEL_ARCH_NAMES[arch])
    n_params = 0
    for name, data in tensors.items():
        if name.endswith("q_proj.weight"):
            data = permute(data, n_head)
        elif name.endswith("k_proj.weight"):
            data = permute(data, n_kv)
        new_name = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        n_params += add_converted(w, new_name, data, file_qtype)
    write_meta(w, "Tiny Llama", n_params)
    # TextModel.set_gguf_parameters, then LlamaModel's additions, in the converter's order
    w.add_block_count(n_layers)
    w.add_context_length(config["max_position_embeddings"])
    w.add_embedding_length(config["hidden_size"])
    w.add_feed_forward_length(config["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_rope_freq_base(config["rope_theta"])
    w.add_layer_norm_rms_eps(config["rms_norm_eps"])
    w.add_key_length(config["head_dim"])
    w.add_value_length(config["head_dim"])
    w.add_file_type(file_type_of(file_qtype))
    w.add_vocab_size(config["vocab_size"])
    w.add_rope_dimension_count(config["head_dim"])
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    add_tokenizer(w, config["bos_token_id"], config["eos_token_id"])
    finish(w)


def convert_gpt2(out: str) -> None:
    config, tensors = read_hf(os.path.join(MODEL_RES, "tiny-gpt2"))
    arch = gguf.MODEL_ARCH.GPT2
    name_map = gguf.get_tensor_name_map(arch, config["n_layer"])
    w = Writer(out, gguf.MODEL_ARCH_NAMES[arch])
    n_params = 0
    for name, data in tensors.items():
        if name.endswith((".attn.bias", ".attn.masked_bias")):
            continue
        if name.endswith((".c_attn.weight", ".c_proj.weight", ".c_fc.weight")):
            data = data.T  # Conv1D stores (in, out)
        new_name = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        n_params += add_converted(w, new_name, data, QT.F32)
    write_meta(w, "Tiny Gpt2", n_params)
    # GPT2Model.set_gguf_parameters. The converter reads hparams["n_ctx"], which GPT2Config no longer
    # saves; n_positions is the same number (the converter fails on this config.json without it).
    w.add_block_count(config["n_layer"])
    w.add_context_length(config["n_positions"])
    w.add_embedding_length(config["n_embd"])
    w.add_feed_forward_length(4 * config["n_embd"])
    w.add_head_count(config["n_head"])
    w.add_layer_norm_eps(config["layer_norm_epsilon"])
    w.add_file_type(file_type_of(QT.F32))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    add_tokenizer(w, config["bos_token_id"], config["eos_token_id"])
    finish(w)


def read_gguf(path: str):
    """(metadata dict, {name: float32 array in HF (rows, cols) order}) of a GGUF, dequantized by gguf-py."""
    r = gguf.GGUFReader(path)
    meta = {}
    for k, field in r.fields.items():
        if not k.startswith("GGUF."):
            meta[k] = field.contents()
    weights = {}
    for t in r.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        weights[t.name] = values.reshape(tuple(int(d) for d in reversed(t.shape)))
    return meta, weights


def llama_from_gguf(path: str) -> LlamaForCausalLM:
    meta, w = read_gguf(path)
    a = meta["general.architecture"]
    assert a == "llama"
    n_layers = meta[f"{a}.block_count"]
    n_head, n_kv = meta[f"{a}.attention.head_count"], meta[f"{a}.attention.head_count_kv"]
    config = LlamaConfig(
        vocab_size=len(meta["tokenizer.ggml.tokens"]), hidden_size=meta[f"{a}.embedding_length"],
        intermediate_size=meta[f"{a}.feed_forward_length"], num_hidden_layers=n_layers,
        num_attention_heads=n_head, num_key_value_heads=n_kv, head_dim=meta[f"{a}.attention.key_length"],
        hidden_act="silu", max_position_embeddings=meta[f"{a}.context_length"],
        rope_theta=meta[f"{a}.rope.freq_base"], rms_norm_eps=meta[f"{a}.attention.layer_norm_rms_epsilon"],
        tie_word_embeddings="output.weight" not in w, attention_bias=False, mlp_bias=False,
        bos_token_id=meta["tokenizer.ggml.bos_token_id"], eos_token_id=meta["tokenizer.ggml.eos_token_id"],
        attn_implementation="eager")
    sd = {"model.embed_tokens.weight": w["token_embd.weight"], "model.norm.weight": w["output_norm.weight"],
          "lm_head.weight": w.get("output.weight", w["token_embd.weight"])}
    for i in range(n_layers):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        sd[p + "self_attn.q_proj.weight"] = unpermute(w[b + "attn_q.weight"], n_head)
        sd[p + "self_attn.k_proj.weight"] = unpermute(w[b + "attn_k.weight"], n_kv)
        sd[p + "self_attn.v_proj.weight"] = w[b + "attn_v.weight"]
        sd[p + "self_attn.o_proj.weight"] = w[b + "attn_output.weight"]
        sd[p + "mlp.gate_proj.weight"] = w[b + "ffn_gate.weight"]
        sd[p + "mlp.up_proj.weight"] = w[b + "ffn_up.weight"]
        sd[p + "mlp.down_proj.weight"] = w[b + "ffn_down.weight"]
        sd[p + "input_layernorm.weight"] = w[b + "attn_norm.weight"]
        sd[p + "post_attention_layernorm.weight"] = w[b + "ffn_norm.weight"]
    assert len(sd) == len(w) + (0 if "output.weight" in w else 1)
    model = LlamaForCausalLM(config).eval()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in sd.items()}, strict=True)
    return model


def gpt2_from_gguf(path: str) -> GPT2LMHeadModel:
    meta, w = read_gguf(path)
    a = meta["general.architecture"]
    assert a == "gpt2"
    n_layers = meta[f"{a}.block_count"]
    config = GPT2Config(
        vocab_size=len(meta["tokenizer.ggml.tokens"]), n_positions=meta[f"{a}.context_length"],
        n_embd=meta[f"{a}.embedding_length"], n_layer=n_layers, n_head=meta[f"{a}.attention.head_count"],
        n_inner=meta[f"{a}.feed_forward_length"], activation_function="gelu_new",
        layer_norm_epsilon=meta[f"{a}.attention.layer_norm_epsilon"], attn_implementation="eager")
    sd = {"transformer.wte.weight": w["token_embd.weight"], "transformer.wpe.weight": w["position_embd.weight"],
          "transformer.ln_f.weight": w["output_norm.weight"], "transformer.ln_f.bias": w["output_norm.bias"],
          "lm_head.weight": w.get("output.weight", w["token_embd.weight"])}
    for i in range(n_layers):
        p, b = f"transformer.h.{i}.", f"blk.{i}."
        for hf, g, transpose in [("attn.c_attn", "attn_qkv", True), ("attn.c_proj", "attn_output", True),
                                 ("mlp.c_fc", "ffn_up", True), ("mlp.c_proj", "ffn_down", True),
                                 ("ln_1", "attn_norm", False), ("ln_2", "ffn_norm", False)]:
            sd[p + hf + ".weight"] = w[b + g + ".weight"].T if transpose else w[b + g + ".weight"]
            sd[p + hf + ".bias"] = w[b + g + ".bias"]
    model = GPT2LMHeadModel(config).eval()
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()},
                                                strict=False)
    assert not unexpected and all(k.endswith(".attn.bias") or k.endswith(".attn.masked_bias") for k in missing), \
        (missing, unexpected)
    return model


def logits_of(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0]


def greedy(model, ids, n):
    """Argmax continuation by full recomputation (no KV cache, no EOS stop), with each step's margin
    (top-1 minus top-2 logit)."""
    seq, margins = list(ids), []
    for _ in range(n):
        last = logits_of(model, seq)[-1]
        top = torch.topk(last, 2)
        seq.append(int(top.indices[0]))
        margins.append(float(f"{float(top.values[0] - top.values[1]):.4g}"))
    return seq[len(ids):], margins


def rounded(t: torch.Tensor) -> list:
    return [[float(f"{x:.7g}") for x in row] for row in t.tolist()]


def check_weights(path: str, qtype: QT) -> float:
    """The un-permuted dequantized GGUF weights are exactly the HF weights rounded through qtype."""
    _, hf = read_hf(os.path.join(MODEL_RES, "tiny-llama"))
    model = llama_from_gguf(path)
    sd = model.state_dict()
    worst = 0.0
    for name, data in hf.items():
        q = QT.F32 if data.ndim == 1 else qtype
        expect = gguf.quants.dequantize(gguf.quants.quantize(data, q), q).reshape(data.shape)
        got = sd[name].numpy()
        assert np.array_equal(got, expect), f"{path}: {name} does not round-trip"
        worst = max(worst, float(np.max(np.abs(got - data))))
    return worst


def llama_golden(files: list) -> None:
    with open(os.path.join(MODEL_RES, "tiny-llama", "golden.json")) as f:
        hf_golden = json.load(f)
    sequences = [s["input_ids"] for s in hf_golden["sequences"]]
    entries = []
    for fname, qtype in files:
        path = os.path.join(MODEL_RES, fname)
        weight_err = check_weights(path, qtype)
        model = llama_from_gguf(path).double()
        with full_precision():
            l64 = [logits_of(model, ids) for ids in sequences]
            out64, margins = greedy(model, sequences[0], NEW_TOKENS)
        model.float()
        l32 = [logits_of(model, ids) for ids in sequences]
        out32, _ = greedy(model, sequences[0], NEW_TOKENS)
        f32_diff = max(float((a.double() - b).abs().max()) for a, b in zip(l32, l64))
        vs_hf = max(float(np.max(np.abs(np.array(s["logits"]) - l.numpy())))
                    for s, l in zip(hf_golden["sequences"], l64))
        entries.append({
            "file": fname, "sha256": sha256(path), "weights": qtype.name,
            "max_abs_weight_error": weight_err,
            "float32_max_abs_diff": f32_diff,
            "max_abs_diff_vs_unquantized_golden": vs_hf,
            "sequences": [{"input_ids": ids, "logits": rounded(l)} for ids, l in zip(sequences, l64)],
            "greedy": {"input_ids": sequences[0], "new_tokens": NEW_TOKENS, "output_ids": out64,
                       "margins": margins, "float32_output_ids_agree": out32 == out64},
        })
        print(f"  {fname}: weight error {weight_err:.2e}, float32 diff {f32_diff:.2e}, "
              f"vs tiny-llama/golden.json {vs_hf:.3g}, greedy {out64} (min margin {min(margins):.3g})")
    golden = {
        "model": "tiny-llama converted to GGUF (llama architecture)",
        "script": SCRIPT, "command": COMMAND,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "gguf": GGUF_VERSION, "numpy": np.__version__, "python": platform.python_version()},
        "source": "Tests/MimicModelsTests/Resources/tiny-llama (golden.json's two sequences)",
        "logits_dtype": ("float64 forward (transformers LlamaForCausalLM, RMSNorm and RoPE in float64) of "
                         "the GGUF's weights dequantized by gguf-py, Q/K rows un-permuted; config from the "
                         "GGUF metadata (eps = float32 1e-5); 7 significant digits"),
        "files": entries,
    }
    path = os.path.join(MODEL_RES, "tiny-llama-gguf-golden.json")
    write_json(path, golden)
    print(f"{rel(path)}: {os.path.getsize(path)} bytes")


def gpt2_check(fname: str) -> None:
    """The F32 GPT-2 GGUF holds the safetensors weights bit for bit, so tiny-gpt2/golden.json is its golden."""
    with open(os.path.join(MODEL_RES, "tiny-gpt2", "golden.json")) as f:
        hf_golden = json.load(f)
    model = gpt2_from_gguf(os.path.join(MODEL_RES, fname))
    _, hf = read_hf(os.path.join(MODEL_RES, "tiny-gpt2"))
    sd = model.state_dict()
    for name, data in hf.items():
        assert np.array_equal(sd[name].numpy(), data), name
    model.double()
    worst = max(float(np.max(np.abs(np.array(s["logits"]) - logits_of(model, s["input_ids"]).numpy())))
                for s in hf_golden["sequences"])
    assert worst < 1e-5, worst
    print(f"  {fname}: weights bit-identical to tiny-gpt2/model.safetensors; float64 logits within "
          f"{worst:.2e} of tiny-gpt2/golden.json (its 7-digit rounding)")


# ---------------------------------------------------------------------------------------------------
# 3. Invalid files for the error tests
# ---------------------------------------------------------------------------------------------------

def small_gguf(tensors: list, path: str) -> bytes:
    """A small valid GGUF: a few metadata keys (strings, numbers, a 16-string array) and the given
    (name, raw uint8 bytes or float32 array, raw dtype) tensors."""
    w = Writer(path, "llama")
    w.add_name("mimic bad-file fixture")
    w.add_context_length(16)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_token_list([f"<t{i}>" for i in range(16)])
    for name, data, qtype in tensors:
        w.add_tensor(name, data, raw_dtype=qtype)
    finish(w)
    with open(path, "rb") as f:
        return f.read()


def tensor_info_offset(data: bytes, name: str) -> tuple:
    """(position of the tensor info's type field, of its offset field) for a
    tensor named `name` (the info is: u64 name length, name, u32 n_dims, u64 dims..., u32 type, u64 offset)."""
    key = struct.pack("<Q", len(name)) + name.encode()
    at = data.index(key) + len(key)
    n_dims = struct.unpack_from("<I", data, at)[0]
    type_at = at + 4 + 8 * n_dims
    return type_at, type_at + 4


def data_start(path: str) -> int:
    """Start of the tensor data section of a GGUF file (where the tensor at offset 0 begins)."""
    r = gguf.GGUFReader(path)
    return min(int(t.data_offset) for t in r.tensors)


def bad_files() -> list:
    os.makedirs(os.path.join(BAD, "unigram"), exist_ok=True)
    tmp = os.path.join(BAD, "tmp.gguf")
    rows = []

    # valid base: one F32 tensor of 8 values
    base = small_gguf([("a.weight", np.arange(8, dtype=np.float32), QT.F32)], tmp)
    write_bytes(os.path.join(BAD, "wrong-magic.gguf"), b"GGUG" + base[4:])
    rows.append(("wrong-magic.gguf", f"a valid {len(base)}-byte GGUF whose first 4 bytes are \"GGUG\"",
                 "`ModelError.badMagic` (found 'GGUG'): not a GGUF file"))

    # cut in the middle of the metadata: halfway through the tokenizer.ggml.tokens array
    key = b"tokenizer.ggml.tokens"
    tokens_at = base.index(key) + len(key)
    end_of_tokens = base.index(b"<t15>") + 5
    cut = (tokens_at + end_of_tokens) // 2
    write_bytes(os.path.join(BAD, "truncated.gguf"), base[:cut])
    rows.append(("truncated.gguf",
                 f"the same valid GGUF cut after {cut} of its {len(base)} bytes, in the middle of the "
                 f"16-string array `tokenizer.ggml.tokens` (metadata bytes {tokens_at}..<{end_of_tokens}); "
                 "no tensor info and no data follow",
                 f"`ModelError.truncated` (file ends at byte {cut} while reading the metadata)"))

    # second tensor's offset moved past the end of the file
    two = small_gguf([("a.weight", np.arange(8, dtype=np.float32), QT.F32),
                      ("b.weight", np.arange(8, dtype=np.float32), QT.F32)], tmp)
    _, off_at = tensor_info_offset(two, "b.weight")
    start = data_start(tmp)
    assert start + 64 == len(two), (start, len(two))
    new_off = 96  # aligned; data start + 96 is 32 bytes past the end of the file
    patched = bytearray(two)
    struct.pack_into("<Q", patched, off_at, new_off)
    write_bytes(os.path.join(BAD, "offset-past-end.gguf"), bytes(patched))
    rows.append(("offset-past-end.gguf",
                 f"a {len(two)}-byte GGUF with two F32 [8] tensors (data section at byte {start}); the "
                 f"offset of `b.weight` is changed from 32 to {new_off}, so its data would start at byte "
                 f"{start + new_off} and end at {start + new_off + 32}, past the end of the file",
                 f"`ModelError.tensorOutOfBounds` (tensor 'b.weight', end {start + new_off + 32}, file size "
                 f"{len(two)})"))

    # a tensor of a ggml type Mimic does not read: IQ2_XXS (16), one 256-element block of 66 bytes
    iq = small_gguf([("a.weight", np.zeros(gguf.GGML_QUANT_SIZES[QT.IQ2_XXS][1], dtype=np.uint8), QT.IQ2_XXS)],
                    tmp)
    write_bytes(os.path.join(BAD, "unknown-type.gguf"), iq)
    rows.append(("unknown-type.gguf",
                 "a valid GGUF with one tensor `a.weight` [256] of ggml type 16 (IQ2_XXS, one 66-byte block "
                 "of zeros); llama.cpp knows the type, Mimic does not read it",
                 "`ModelError.unknownTensorType` (tensor 'a.weight', type IQ2_XXS)"))

    # a type id no ggml version has: 99 (base's F32 tensor with its type field patched)
    type_at, _ = tensor_info_offset(base, "a.weight")
    patched = bytearray(base)
    assert struct.unpack_from("<I", patched, type_at)[0] == int(QT.F32)
    struct.pack_into("<I", patched, type_at, 99)
    write_bytes(os.path.join(BAD, "unknown-type-id.gguf"), bytes(patched))
    rows.append(("unknown-type-id.gguf",
                 "the base GGUF with `a.weight`'s type field changed from 0 (F32) to 99, which is no ggml type",
                 "`ModelError.unknownTensorType` (tensor 'a.weight', type 99)"))
    os.remove(tmp)

    # safetensors whose header promises more data than the file has
    def safetensors(header: bytes, payload: bytes) -> bytes:
        header += b" " * (-len(header) % 8)  # padded to 8 like the safetensors library does
        return struct.pack("<Q", len(header)) + header + payload

    header = json.dumps({"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}},
                        separators=(",", ":")).encode()
    lying = safetensors(header, np.arange(4, dtype="<f4").tobytes())
    write_bytes(os.path.join(BAD, "lying-header.safetensors"), lying)
    hlen = struct.unpack_from("<Q", lying)[0]
    rows.append(("lying-header.safetensors",
                 f"{hlen}-byte header for tensor `w` F32 [4, 4] with data_offsets [0, 64], but only 16 data "
                 f"bytes follow (file {len(lying)} bytes)",
                 f"`ModelError.tensorOutOfBounds` (tensor 'w', end {8 + hlen + 64}, file size {len(lying)})"))

    broken = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}'  # closing brace missing
    bad_json = safetensors(broken, np.arange(2, dtype="<f4").tobytes())
    write_bytes(os.path.join(BAD, "bad-json.safetensors"), bad_json)
    rows.append(("bad-json.safetensors",
                 f"header length {struct.unpack_from('<Q', bad_json)[0]} (consistent with the file) but the "
                 "header is not JSON (its closing brace is missing, spaces pad it to 8 bytes), then 8 data bytes",
                 "`ModelError.invalid` (field 'header': not a JSON object)"))

    # a tokenizer.json of a model type Mimic's tokenizers do not implement
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders
    pieces = [("<unk>", 0.0), ("<s>", 0.0), ("</s>", 0.0), ("\u2581", -2.0)] + \
        [(c, -3.0 - i / 10) for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")] + \
        [("\u2581the", -4.0), ("\u2581a", -4.5), ("ing", -5.0), ("er", -5.5)]
    tok = Tokenizer(models.Unigram(pieces, unk_id=0, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    uni = os.path.join(BAD, "unigram", "tokenizer.json")
    tok.save(uni + ".tmp")
    with open(uni + ".tmp") as f:
        tj = json.load(f)
    os.remove(uni + ".tmp")
    write_json(uni, tj, indent=2)
    rows.append(("unigram/tokenizer.json",
                 f"a {len(pieces)}-piece Hugging Face tokenizer.json made with tokenizers "
                 f"{importlib.metadata.version('tokenizers')}: `model.type` \"Unigram\", Metaspace "
                 "pre-tokenizer and decoder",
                 "an error saying the tokenizer model type \"Unigram\" is not supported (BPE is)"))

    lines = [
        "# Invalid files for the error tests",
        "",
        f"Written by `{COMMAND}` (`{SCRIPT}`); do not edit by hand. Each is smaller than 4 KB.",
        "The GGUF ones start from a small valid GGUF v3 written by gguf-py "
        f"{GGUF_VERSION} (`general.architecture` llama, `general.name`, `llama.context_length`, "
        "`llama.attention.layer_norm_rms_epsilon`, a 16-string `tokenizer.ggml.tokens`, one or two F32 "
        "tensors) and change it as listed. The expected errors are the cases of `ModelError` "
        "(Sources/MimicModels/ModelError.swift) that fit; every message should name the file.",
        "",
        "| file | what it is | Mimic should report |",
        "| --- | --- | --- |",
    ] + [f"| `{a}` | {b} | {c} |" for a, b, c in rows]
    write_bytes(os.path.join(BAD, "README.md"), ("\n".join(lines) + "\n").encode())
    for name, _, _ in rows:
        size = os.path.getsize(os.path.join(BAD, name))
        assert size < 4096, (name, size)
        print(f"  bad/{name}: {size} bytes")
    return rows


def main() -> None:
    torch.manual_seed(SEED)
    print("dequantization golden:")
    dequant_golden()

    print("GGUF conversions:")
    files = [("tiny-llama-q8_0.gguf", QT.Q8_0), ("tiny-llama-f16.gguf", QT.F16)]
    for fname, qtype in files:
        convert_llama(os.path.join(MODEL_RES, fname), qtype)
    convert_gpt2(os.path.join(MODEL_RES, "tiny-gpt2-f32.gguf"))
    for fname in [f for f, _ in files] + ["tiny-gpt2-f32.gguf"]:
        path = os.path.join(MODEL_RES, fname)
        print(f"  {fname}: {os.path.getsize(path)} bytes, sha256 {sha256(path)[:16]}…")
    llama_golden(files)
    gpt2_check("tiny-gpt2-f32.gguf")

    print("invalid files:")
    bad_files()


if __name__ == "__main__":
    sys.exit(main())
