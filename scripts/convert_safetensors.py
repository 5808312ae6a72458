#!/usr/bin/env python3
"""Copies a Hugging Face model folder with its 2-D F32 weights stored as BF16 or F16, for measuring Mimic's kernels
on those weight types (`mimic bench FOLDER`) without torch or transformers: numpy reads and writes safetensors'
plain layout (an 8-byte header length, a JSON header, the raw tensors).

    python3 scripts/convert_safetensors.py SRC_FOLDER DST_FOLDER --dtype bf16|f16

BF16 is rounded to nearest even, as torch's `.to(torch.bfloat16)` does. 1-D tensors (norms) stay F32."""
import argparse, json, os, shutil, struct
import numpy as np

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--dtype", choices=["bf16", "f16"], required=True)
    a = ap.parse_args()
    os.makedirs(a.dst, exist_ok=True)
    for name in os.listdir(a.src):
        if not name.endswith(".safetensors"):
            shutil.copy(os.path.join(a.src, name), os.path.join(a.dst, name))
            continue
        with open(os.path.join(a.src, name), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        out_header, chunks, offset = {}, [], 0
        # The tensors that stay 4-byte come first, so each tensor starts aligned to its element size (safetensors
        # allows no gaps between tensors to pad with).
        order = sorted(header.items(), key=lambda kv: kv[0] != "__metadata__" and len(kv[1]["shape"]) == 2
                       and kv[1]["dtype"] == "F32")
        for key, info in order:
            if key == "__metadata__":
                out_header[key] = info
                continue
            start, end = info["data_offsets"]
            t = np.frombuffer(data[start:end], dtype="<f4") if info["dtype"] == "F32" else None
            if t is not None and len(info["shape"]) == 2:
                if a.dtype == "f16":
                    if np.any(np.abs(t[np.isfinite(t)]) > 65504):
                        raise SystemExit(f"{key}: values beyond F16's range (65504); use --dtype bf16")
                    raw, dtype = t.astype("<f2").tobytes(), "F16"
                else:
                    bits = t.view("<u4").astype(np.uint64)
                    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
                    rounded = np.where(np.isnan(t), np.uint16(0x7FC0), rounded).astype("<u2")  # NaN stays NaN
                    raw, dtype = rounded.tobytes(), "BF16"
            else:
                raw, dtype = data[start:end], info["dtype"]
            out_header[key] = {"dtype": dtype, "shape": info["shape"], "data_offsets": [offset, offset + len(raw)]}
            chunks.append(raw)
            offset += len(raw)
        blob = json.dumps(out_header).encode()
        blob += b" " * ((8 - len(blob) % 8) % 8)
        with open(os.path.join(a.dst, name), "wb") as f:
            f.write(struct.pack("<Q", len(blob)))
            f.write(blob)
            for c in chunks:
                f.write(c)

if __name__ == "__main__":
    main()
