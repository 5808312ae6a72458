"""The OpenAI Python SDK against `mimic serve`, as a user's script would call it: chat (whole and streamed, with
max_completion_tokens), completions with echo and logprobs, the model list, and the errors the SDK raises. Prints
what it got as JSON for the Swift test to check.

    python openai_sdk_check.py BASE_URL API_KEY MODEL
"""
import json
import sys

import openai


def main():
    base, key, model = sys.argv[1:4]
    client = openai.OpenAI(base_url=base, api_key=key, max_retries=0, timeout=60)
    user = [{"role": "user", "content": "hello there"}]
    out = {"version": openai.__version__}

    chat = client.chat.completions.create(model=model, messages=user, temperature=0, max_completion_tokens=5, seed=1)
    out["chat"] = {"content": chat.choices[0].message.content, "finish": chat.choices[0].finish_reason,
                   "role": chat.choices[0].message.role, "completion_tokens": chat.usage.completion_tokens,
                   "prompt_tokens": chat.usage.prompt_tokens, "model": chat.model}

    pieces, usage = [], None
    for chunk in client.chat.completions.create(model=model, messages=user, temperature=0, max_completion_tokens=5,
                                                stream=True, stream_options={"include_usage": True}):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage.completion_tokens
    out["stream"] = {"content": "".join(pieces), "completion_tokens": usage}

    scored = client.completions.create(model=model, prompt="The cat sat on the mat", max_tokens=0, echo=True, logprobs=1)
    lp = scored.choices[0].logprobs
    out["echo"] = {"text": scored.choices[0].text, "tokens": lp.tokens, "token_logprobs": lp.token_logprobs,
                   "top_logprobs": lp.top_logprobs}

    out["models"] = [m.id for m in client.models.list().data]

    errors = {}

    def expect(name, call):
        try:
            call()
            errors[name] = ["no error"]
        except openai.APIStatusError as e:
            errors[name] = [type(e).__name__, e.status_code, getattr(e, "param", None)]

    expect("unknown_model", lambda: client.chat.completions.create(model="gpt-4o", messages=user))
    expect("bad_role", lambda: client.chat.completions.create(model=model, messages=[{"role": "wizard", "content": "x"}]))
    expect("tools", lambda: client.chat.completions.create(
        model=model, messages=user, tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]))
    expect("too_many_tokens", lambda: client.chat.completions.create(model=model, messages=user, max_completion_tokens=10**9))
    wrong = openai.OpenAI(base_url=base, api_key="sk-wrong", max_retries=0, timeout=60)
    expect("wrong_key", lambda: wrong.models.list())
    out["errors"] = errors
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
