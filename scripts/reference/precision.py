# Shared helper for the reference scripts in this folder (imported, never run on its own).
import contextlib

import torch
from transformers.models.llama import modeling_llama


@contextlib.contextmanager
def full_precision():
    """transformers' Llama forces RMSNorm statistics and RoPE angles to float32 whatever the model's
    dtype; for the float64 reference pass, compute them in the input's dtype instead."""
    def rms_forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.variance_epsilon))

    @torch.no_grad()
    def rope_forward(self, x, position_ids):
        inv = self.inv_freq.to(x.dtype)[None, :, None].expand(position_ids.shape[0], -1, 1)
        freqs = (inv @ position_ids[:, None, :].to(x.dtype)).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos() * self.attention_scaling, emb.sin() * self.attention_scaling

    saved = modeling_llama.LlamaRMSNorm.forward, modeling_llama.LlamaRotaryEmbedding.forward
    modeling_llama.LlamaRMSNorm.forward = rms_forward
    modeling_llama.LlamaRotaryEmbedding.forward = rope_forward
    try:
        yield
    finally:
        modeling_llama.LlamaRMSNorm.forward, modeling_llama.LlamaRotaryEmbedding.forward = saved
