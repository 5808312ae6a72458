# Trains three tiny byte-level BPE tokenizers with Hugging Face `tokenizers` and writes their golden ids.
#
# Command (from the repository root):
#   python3 -m venv /work/ext/venv-tok && /work/ext/venv-tok/bin/pip install tokenizers
#   /work/ext/venv-tok/bin/python scripts/reference/tokenizer_train_bpe.py
#
# Writes, under Tests/MimicTokenizersTests/Resources/:
#   bpe-gpt2/tokenizer.json    ByteLevel(use_regex) pre-tokenizer, GPT-2 style
#   bpe-llama3/tokenizer.json  Sequence[Split(Llama-3 regex, isolated), ByteLevel(use_regex=false)],
#                              ignore_merges, BOS added by a TemplateProcessing post-processor
#   bpe-smollm/tokenizer.json  Sequence[Digits(individual_digits), ByteLevel], SmolLM2 style,
#                              plus tokenizer_config.json with a ChatML chat template
#   bpe-*/golden.json          for every string of tokenizer_corpus.json: ids with special tokens parsed,
#                              ids with special tokens treated as text, (llama3) ids with BOS added;
#                              and decode cases (id lists cut through multi-byte characters).
# Every golden value comes from `tokenizers`; nothing is edited by hand.
import json
import os
import random
import sys

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RES = os.path.join(ROOT, "Tests", "MimicTokenizersTests", "Resources")
COMMAND = "/work/ext/venv-tok/bin/python scripts/reference/tokenizer_train_bpe.py"
VOCAB_SIZE = 800

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# Training text written for this project: plain sentences, a little code, numbers and other scripts.
TRAINING_TEXT = """
The student model learns to copy the style of the teacher, but not always its knowledge.
When we train a small model on the answers of a larger one, the answers look confident and fluent.
People who read those answers often rate them highly, even when the facts inside are wrong.
A careful evaluation asks questions whose answers can be checked: arithmetic, code, and trivia.
We collect prompts, send them to the teacher, keep the replies, and filter out the broken ones.
Then we fine-tune the student for a few epochs and measure what changed, and what did not.
It's easy to think they're the same; they'll differ once you look closely. I'm sure we'd agree.
Numbers appear everywhere: 1, 2, 3, 10, 42, 100, 256, 1024, 2024, 3.14, 0.5, 12,000 and 99%.
def train(model, data, epochs=3):
    for epoch in range(epochs):
        for batch in data:
            loss = model.step(batch)
        print(f"epoch {epoch}: loss {loss:.3f}")
func encode(_ text: String) -> [Int] {
    return tokenizer.encode(text, addBOS: false)
}
	Tabs and    spaces, newlines

and blank lines matter for code.
Deutsch: Die Straße ist schön, und die Größe passt. Français : le café est très bon.
Русский текст для проверки. 中文文本用于测试。日本語のテキストです。
"""


def training_lines():
    lines = [line for line in TRAINING_TEXT.split("\n")]
    return lines * 20


def base_tokenizer(pre_tokenizer, ignore_merges=False):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    return tok


def train(tok, specials):
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(training_lines(), trainer=trainer)
    return tok


def build_gpt2():
    tok = base_tokenizer(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True))
    train(tok, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok.add_tokens([AddedToken("[[name]]", special=False, normalized=False)])
    return tok


def build_llama3():
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok = base_tokenizer(pre, ignore_merges=True)
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    train(tok, specials)
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
        special_tokens=[("<|begin_of_text|>", bos)],
    )
    return tok


def build_smollm():
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok = base_tokenizer(pre)
    train(tok, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    return tok


# A ChatML template in the shape SmolLM2 uses (default system message when the first turn is not system).
SMOLLM_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a small test assistant<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def cut_cases(tok, corpus, rng):
    """Decode cases: random slices of encodings, so some cut through multi-byte characters."""
    cases = []
    for text in corpus:
        ids = tok.encode(text, add_special_tokens=False).ids
        if len(ids) < 2:
            continue
        for _ in range(2):
            a = rng.randrange(0, len(ids))
            b = rng.randrange(a + 1, len(ids) + 1)
            piece = ids[a:b]
            cases.append({"ids": piece, "text": tok.decode(piece, skip_special_tokens=False),
                          "text_skip_special": tok.decode(piece, skip_special_tokens=True)})
    return cases


def goldens(tok, corpus, with_bos):
    cases = []
    for text in corpus:
        tok.encode_special_tokens = False
        ids = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = True
        plain = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = False
        case = {"text": text, "ids": ids, "ids_no_special": plain}
        if with_bos:
            case["ids_with_bos"] = tok.encode(text, add_special_tokens=True).ids
        decoded = tok.decode(ids, skip_special_tokens=False)
        if decoded != text:
            sys.exit(f"round trip failed for {text!r}: {decoded!r}")
        cases.append(case)
    return cases


def main():
    with open(os.path.join(RES, "tokenizer_corpus.json"), encoding="utf-8") as f:
        corpus = json.load(f)
    rng = random.Random(1234)
    for name, build, with_bos in [("gpt2", build_gpt2, False), ("llama3", build_llama3, True),
                                  ("smollm", build_smollm, False)]:
        tok = build()
        folder = os.path.join(RES, f"bpe-{name}")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "tokenizer.json")
        tok.save(path)
        tok = Tokenizer.from_file(path)  # goldens come from the file exactly as the Swift side reads it
        golden = {
            "command": COMMAND,
            "tokenizers_version": tokenizers.__version__,
            "vocab_size": tok.get_vocab_size(with_added_tokens=True),
            "cases": goldens(tok, corpus, with_bos),
            "decode_cases": cut_cases(tok, corpus, rng),
        }
        with open(os.path.join(folder, "golden.json"), "w", encoding="utf-8") as f:
            json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        if name == "smollm":
            config = {
                "bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "add_bos_token": False,
                "chat_template": SMOLLM_CHAT_TEMPLATE,
            }
            with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                json.dump(config, f, ensure_ascii=False, indent=2)
                f.write("\n")
        print(f"bpe-{name}: vocab {golden['vocab_size']}, {len(golden['cases'])} cases")


if __name__ == "__main__":
    main()
