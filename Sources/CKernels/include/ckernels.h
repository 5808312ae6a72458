// CKernels: Mimic's hot loops in C, with run-time CPU dispatch (AVX-512 / AVX2 / portable C).
// Every function here has a plain Swift twin in MimicTensor that tests hold it to.
#pragma once
#include <stddef.h>
#include <stdint.h>

// GGML block types (values as in ggml.h).
enum ck_type {
    CK_F32 = 0, CK_F16 = 1, CK_Q4_0 = 2, CK_Q4_1 = 3, CK_Q5_0 = 6, CK_Q5_1 = 7, CK_Q8_0 = 8,
    CK_Q4_K = 12, CK_Q5_K = 13, CK_Q6_K = 14, CK_BF16 = 30,
};

/// Elements per block of a type (1 for F32/F16/BF16), 0 if unsupported.
int ck_block_elements(int type);
/// Bytes per block of a type, 0 if unsupported.
int ck_block_bytes(int type);

/// Dequantizes n elements (a multiple of the block size) from src to dst.
void ck_dequantize(int type, const void *src, float *dst, int64_t n);

/// Rows of x up to which products are decode-sized: kernels that read each weight row once for these few rows; more
/// rows (a prompt) take register tiles or a BLAS.
#define CK_FUSED_ROWS 8

/// y[m, n] = sum_k x[m, k] * W[n, k] for rows n in [n0, n1): W is (N, K) in `type` blocks, row-major.
/// x is (M, K) float, y is (M, N) float with row stride ldy. With `rows` (decode-sized products: up to
/// CK_FUSED_ROWS rows, or a decode step of several sequences) the row kernels read each weight row once for all M
/// rows of x and sum each row the same way whatever M is; without it, on AVX-512, the register tiles (other
/// types dequantized a block of weight rows at a time).
void ck_matmul_rows(int type, const void *w, int64_t K, const float *x, int64_t M,
                    float *y, int64_t ldy, int64_t n0, int64_t n1, int rows);

/// The SIMD level in force on this thread: 2 = AVX-512, 1 = AVX2+FMA, 0 = portable C.
int ck_simd_level(void);
/// Caps the SIMD level on the calling thread (for tests and benchmarks; -1 removes the cap); pool jobs
/// started from this thread run under the same cap. Returns the level in force.
int ck_set_simd_level(int level);
/// The calling thread's cap, or -1.
int ck_simd_override(void);

// Element-wise and row kernels. Shapes in comments: (rows, cols).
/// out = x / sqrt(mean(x^2) + eps) * w, per row.  x, out: (rows, n); w: (n)
void ck_rmsnorm(const float *x, const float *w, float *out, int64_t rows, int64_t n, float eps);
/// out = (x - mean) / sqrt(var + eps) * w + b, per row.
void ck_layernorm(const float *x, const float *w, const float *b, float *out, int64_t rows, int64_t n, float eps);
/// In-place softmax over each row's first `valid[r]` entries (NULL: all n); the rest are set to 0.
void ck_softmax_rows(float *x, int64_t rows, int64_t n, int64_t stride, const int64_t *valid, float scale);
/// gate = silu(gate) * up, n elements.
void ck_silu_mul(float *gate, const float *up, int64_t n);
/// x = gelu_tanh(x) (GPT-2's "gelu_new"), n elements.
void ck_gelu_tanh(float *x, int64_t n);
/// y += x, n elements.
void ck_add(float *y, const float *x, int64_t n);
/// Vector exp of n values (for tests).
void ck_expf(const float *x, float *y, int64_t n);

/// Rotary embedding in place. x: (T, heads, dim) with row stride `stride` floats per token;
/// cos, sin: (T, rot/2) per token; only the first `rot` dims of each head rotate.
/// interleaved = 1 rotates pairs (2i, 2i+1) (GGUF / Meta layout); 0 rotates (i, i + rot/2) (HF / NeoX layout).
void ck_rope(float *x, int64_t T, int64_t heads, int64_t dim, int64_t stride, const float *cos_, const float *sin_,
             int64_t rot, int interleaved);

/// Causal attention for heads [h0, h1) of T queries at absolute positions p0 .. p0+T-1 over keys 0 .. p0+T-1.
/// q, out: (T, heads*dim) rows of stride qs; k, v: (L, kvHeads*dim) rows of stride ks; group = heads / kvHeads.
/// scores: scratch of at least (p0 + T) floats. scale multiplies q·k.
void ck_attention(const float *q, int64_t qs, const float *k, const float *v, int64_t ks, float *out,
                  int64_t T, int64_t p0, int64_t dim, int64_t group, int64_t h0, int64_t h1, float scale, float *scores);

// A small thread pool for the hot loops: workers spin briefly between jobs (a decode step runs hundreds of
// short parallel loops), then sleep. Jobs from several caller threads are run one at a time.
typedef void (*ck_task_fn)(void *ctx, int64_t task, int64_t ntasks);
/// Runs fn(ctx, i, ntasks) for i in [0, ntasks) on the pool and the calling thread; returns when all are done.
void ck_parallel(int64_t ntasks, ck_task_fn fn, void *ctx);
/// Sets the number of threads (the caller included) the pool uses; 1 runs everything on the caller.
void ck_set_threads(int n);
int ck_get_threads(void);

/// The best of `repetitions` reads of a `bytes`-long buffer by every pool thread with the widest loads the SIMD level
/// allows, in GB/s: the memory bandwidth the kernels can reach (0 when the buffer cannot be allocated).
double ck_read_bandwidth(int64_t bytes, int repetitions);

/// Lets the pool's workers sleep at once instead of spinning (call before handing the cores to OpenBLAS).
void ck_pool_park(void);
/// Dequantizes rows x cols elements (row-major, cols a multiple of the block size) across the pool.
void ck_dequantize_rows(int type, const void *src, float *dst, int64_t rows, int64_t cols);

/// ck_matmul_rows over all N rows, split across the pool; with round_activations the activations may be rounded,
/// as llama.cpp rounds them: to BF16 for BF16 weights (see ck_bf16_path), to 8 bits for block types (ck_q8_path).
void ck_matmul(int type, const void *w, int64_t K, const float *x, int64_t M, float *y, int64_t ldy, int64_t N,
               int round_activations, int rows);
/// ck_attention over all heads, split across the pool into at most `slots` tasks; scores: scratch of
/// slots * (p0 + T) floats.
void ck_attention_parallel(const float *q, int64_t qs, const float *k, const float *v, int64_t ks, float *out,
                           int64_t T, int64_t p0, int64_t dim, int64_t group, int64_t heads, float scale, float *scores,
                           int64_t slots);

/// A decode step's attention: row b of q, at position positions[b] of sequence b, over keys 0 .. positions[b] of
/// that sequence's own cache (k[b], v[b], rows of stride ks), every head, across the pool in tasks of (sequence, head)
/// pairs; each pair is computed as ck_attention computes it.
void ck_attention_decode(int64_t B, const float *q, int64_t qs, const float *const *k, const float *const *v,
                         int64_t ks, const int64_t *positions, float *out, int64_t dim, int64_t group, int64_t heads,
                         float scale);

/// Causal attention of T queries at positions p0 .. p0+T-1 (a prompt or a piece of one) over keys 0 .. p0+T-1, every
/// head, across the pool in tasks of one head and up to 32 queries (shapes as ck_attention's); keys a query cannot see
/// are never multiplied.
void ck_attention_prefill(const float *q, int64_t qs, const float *k, const float *v, int64_t ks, float *out,
                          int64_t T, int64_t p0, int64_t dim, int64_t group, int64_t heads, float scale);

/// An activation block quantized to 8 bits: x ≈ d * qs; sum = sum(qs), s = d * sum.
typedef struct { float d; float s; int32_t sum; int8_t qs[32]; } ck_xblock;
/// Quantizes n floats (a multiple of 32) to 8-bit blocks (round to nearest, scale max|x| / 127).
void ck_quantize_q8(const float *x, ck_xblock *out, int64_t n);
/// Whether ck_matmul uses 8-bit activations for this weight type and row length.
int ck_q8_path(int type, int64_t K);
// Whether the 8-bit path runs on AVX-512 VNNI (else AVX2), at this thread's SIMD level.
int ck_q8_uses_vnni(void);
// The name of the kernel a product against K-wide weights of `type` runs (round_activations and rows as ck_matmul's).
const char *ck_matmul_path_name(int type, int64_t K, int round_activations, int rows);
/// Whether ck_pack_rows takes weights of this type and shape: Q4_0, Q4_1 or Q8_0, N a multiple of 16, K of 32.
int ck_packs(int type, int64_t N, int64_t K);
/// Bytes of ck_pack_rows's copy of (N, K) weights of `type` (0 where it takes none).
int64_t ck_packed_bytes(int type, int64_t N, int64_t K);
/// Copies (N, K) weights into the layout of matmul_packed.c (16 rows side by side, for 8-bit products).
void ck_pack_rows(int type, const void *w, int64_t N, int64_t K, void *out);
/// Whether products with 8-bit activations against packed weights run on the packed kernel here: ck_packs and
/// AVX2 or AVX-512 in force (AVX-512 VNNI, else AVX2's vpmaddubsw; the same results on both).
int ck_packed_path(int type, int64_t N, int64_t K);
/// ck_matmul_rows_q8 on packed weights, rows [n0, n1) (multiples of 16); each row's result is the same for any M.
void ck_matmul_rows_packed(int type, const void *packed, int64_t K, const ck_xblock *xq, int64_t M, float *y,
                           int64_t ldy, int64_t n0, int64_t n1);
/// ck_matmul for weights with a packed copy (ck_packed_path): activations rounded to 8 bits, all N rows, across the
/// pool.
void ck_matmul_packed(int type, const void *packed, int64_t K, const float *x, int64_t M, float *y, int64_t ldy,
                      int64_t N);
/// Whether ck_matmul rounds the activations to BF16 for this weight type and row length: BF16 weights, K a
/// multiple of 32, AVX-512 in force and a CPU with AVX512_BF16. Any batch size takes this path.
int ck_bf16_path(int type, int64_t K);
/// Rounds n floats to BF16 as ggml does (nearest, ties to even; NaN kept quiet; denormals kept).
void ck_round_bf16(const float *x, uint16_t *out, int64_t n);
/// ck_matmul_rows for BF16 weights with activations already rounded to BF16 (xb: M rows of K), on AVX512_BF16.
void ck_matmul_rows_bf16(const void *w, int64_t K, const uint16_t *xb, int64_t M, float *y, int64_t ldy, int64_t n0,
                         int64_t n1);
/// Whether products against FP32 weights K wide that are not decode-sized run on the FP32 register tiles
/// (AVX-512 in force, K a multiple of 16); ck_matmul_rows picks them then. Other weight types get there dequantized.
int ck_f32_tiles(int64_t K);
/// ck_matmul_rows on the FP32 register tiles for weights of another type, dequantized a block of rows at a time.
void ck_matmul_rows_dequantized_tiles(int type, const void *w, int64_t K, const float *x, int64_t M, float *y,
                                      int64_t ldy, int64_t n0, int64_t n1);
/// ck_matmul_rows on the FP32 register tiles (any M).
void ck_matmul_rows_f32_tiles(const float *w, int64_t K, const float *x, int64_t M, float *y, int64_t ldy, int64_t n0,
                              int64_t n1);
/// ck_matmul_rows with activations already quantized: xq holds M rows of K/32 blocks.
void ck_matmul_rows_q8(int type, const void *w, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,
                       int64_t n0, int64_t n1);

// Training kernels (vectorised exp): see MimicTrain.TrainOps for the plain Swift definitions.
/// Cross-entropy of one row of logits against `target`: returns logsumexp(x) - x[target] and overwrites x
/// with (softmax(x) - onehot(target)) * scale.
double ck_cross_entropy_row(float *x, int64_t n, int64_t target, float scale);
/// a = silu(g) * u, n elements.
void ck_swiglu(const float *g, const float *u, float *a, int64_t n);
/// dg = da * u * silu'(g); du = da * silu(g), n elements.
void ck_swiglu_backward(const float *g, const float *u, const float *da, float *dg, float *du, int64_t n);
