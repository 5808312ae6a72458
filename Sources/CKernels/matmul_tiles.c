// Register tiles for products of many rows (a prompt) on AVX-512, reading weight rows where they lie (no packed copy):
// tiles of up to 4 rows of x against 6 weight rows, each of the 24 sums one vector running over the whole row, then
// reduced the same way, so a row's result never depends on the rows beside it. Two element types:
// - FP32: x and W in FP32 with FMAs over 16 columns a step (any other weight type is dequantized to FP32 first, a
//   block of weight rows at a time). Exact FP32 products; faster here than Debian's OpenBLAS sgemm, and no BLAS threads to spin against
//   the pool's.
// - BF16: W in BF16 and x rounded to BF16, on CPUs with AVX512_BF16: `vdpbf16ps` multiplies 32 pairs and adds them to
//   16 FP32 sums, twice the products of an FMA, as llama.cpp does for BF16 models (its activations are rounded to
//   BF16 too). It takes every batch size, one row or a prompt.
#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <string.h>

#define TM 4   // rows of x a tile
#define TN 6   // weight rows a tile: 24 sums, 6 weight vectors and one x vector in the 32 registers

// Weight rows of K elements of `size` bytes that make about 192 KB (whole tiles, at least one): a block of them stays in
// L2 while every tile of x passes over it.
static int64_t l2_block_rows(int64_t K, int64_t size) {
    const int64_t block = 192 * 1024 / (K * size) / TN * TN;
    return block < TN ? TN : block;
}

int ck_bf16_path(int type, int64_t K) {
    return type == CK_BF16 && K > 0 && K % 32 == 0 && ck_simd_level() >= 2 && ck_has_avx512bf16();
}

int ck_f32_tiles(int64_t K) { return K > 0 && K % 16 == 0 && ck_simd_level() >= 2; }

// ggml's GGML_FP32_TO_BF16: round to nearest, ties to even; a NaN stays a quiet NaN with its sign; denormals are kept
// (the instruction vcvtne2ps2bf16 would flush them, so the SIMD path below does the same integer steps instead).
static uint16_t to_bf16_plain(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 64);
    return (uint16_t)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

__attribute__((target("avx512f,avx512bw")))
static void to_bf16_avx512(const float *x, uint16_t *out, int64_t n) {
    const __m512i absMask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000),
                  one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff), quiet = _mm512_set1_epi32(64);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i u = _mm512_loadu_si512(x + i), high = _mm512_srli_epi32(u, 16);
        const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, absMask), inf);
        const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(bias, _mm512_and_si512(high, one))), 16);
        const __m512i r = _mm512_mask_mov_epi32(rounded, nan, _mm512_or_si512(high, quiet));
        _mm256_storeu_si256((__m256i *)(out + i), _mm512_cvtepi32_epi16(r));
    }
    for (; i < n; i++) out[i] = to_bf16_plain(x[i]);
}

void ck_round_bf16(const float *x, uint16_t *out, int64_t n) {
    if (ck_simd_level() >= 2) to_bf16_avx512(x, out, n);
    else for (int64_t i = 0; i < n; i++) out[i] = to_bf16_plain(x[i]);
}

// NAME_tile: R rows of x (element type E, row stride K) against the TN weight rows wr (the last ones may repeat a
// row; only the first rn are stored): y[r * ldy + j] = sum_k x[r, k] w_j[k], STEP columns a step, VECTOR(p) loading
// STEP elements as a vector of type V, MAC(acc, x, w) adding their products to 16 FP32 sums.
// NAME_rows: rows [n0, n1) of W for all M rows of x, weight rows in blocks of about 192 KB (they stay in L2 while
// every tile of x passes over them).
#define DEFINE_TILES(NAME, TARGET, E, STEP, V, VECTOR, MAC)                                                           \
    __attribute__((target(TARGET), always_inline))                                                                  \
    static inline void NAME##_tile(const E *x, int64_t K, int R, const E *const *wr, int rn, float *y, int64_t ldy) { \
        __m512 acc[TM][TN];                                                                                          \
        for (int r = 0; r < R; r++)                                                                                  \
            for (int j = 0; j < TN; j++) acc[r][j] = _mm512_setzero_ps();                                            \
        for (int64_t k = 0; k < K; k += STEP) {                                                                      \
            V wv[TN];                                                                                                \
            for (int j = 0; j < TN; j++) wv[j] = VECTOR(wr[j] + k);                                                  \
            for (int r = 0; r < R; r++) {                                                                            \
                const V xv = VECTOR(x + r * K + k);                                                                  \
                for (int j = 0; j < TN; j++) acc[r][j] = MAC(acc[r][j], xv, wv[j]);                                  \
            }                                                                                                        \
        }                                                                                                            \
        for (int r = 0; r < R; r++)                                                                                  \
            for (int j = 0; j < TN; j++) { /* constant bounds keep the sums in registers */                          \
                const float s = _mm512_reduce_add_ps(acc[r][j]);                                                     \
                if (j < rn) y[r * ldy + j] = s;                                                                      \
            }                                                                                                        \
    }                                                                                                                \
    __attribute__((target(TARGET)))                                                                                 \
    static void NAME##_rows(const E *w, int64_t K, const E *x, int64_t M, float *y, int64_t ldy, int64_t n0,         \
                            int64_t n1) {                                                                            \
        const int64_t block = l2_block_rows(K, (int64_t)sizeof(E));                                                  \
        for (int64_t b0 = n0; b0 < n1; b0 += block) {                                                                \
            const int64_t b1 = b0 + block < n1 ? b0 + block : n1;                                                    \
            for (int64_t m0 = 0; m0 < M; m0 += TM) {                                                                 \
                const E *xr = x + m0 * K;                                                                            \
                float *yr = y + m0 * ldy;                                                                            \
                for (int64_t n = b0; n < b1; n += TN) {                                                              \
                    const int rn = (int)(b1 - n < TN ? b1 - n : TN);                                                 \
                    const E *wr[TN];                                                                                 \
                    for (int j = 0; j < TN; j++) wr[j] = w + (n + (j < rn ? j : rn - 1)) * K;                        \
                    switch (M - m0 < TM ? M - m0 : TM) {                                                             \
                    case 1: NAME##_tile(xr, K, 1, wr, rn, yr + n, ldy); break;                                       \
                    case 2: NAME##_tile(xr, K, 2, wr, rn, yr + n, ldy); break;                                       \
                    case 3: NAME##_tile(xr, K, 3, wr, rn, yr + n, ldy); break;                                       \
                    default: NAME##_tile(xr, K, 4, wr, rn, yr + n, ldy); break;                                      \
                    }                                                                                                \
                }                                                                                                    \
            }                                                                                                        \
        }                                                                                                            \
    }

#define F32_VECTOR(p) _mm512_loadu_ps(p)
#define F32_MAC(acc, a, b) _mm512_fmadd_ps(a, b, acc)
#define BF16_VECTOR(p) ((__m512bh)_mm512_loadu_si512(p))
#define BF16_MAC(acc, a, b) _mm512_dpbf16_ps(acc, a, b)

DEFINE_TILES(f32, "avx512f,avx512bw,fma", float, 16, __m512, F32_VECTOR, F32_MAC)
DEFINE_TILES(bf16, "avx512f,avx512bw,avx512bf16", uint16_t, 32, __m512bh, BF16_VECTOR, BF16_MAC)

void ck_matmul_rows_bf16(const void *w, int64_t K, const uint16_t *xb, int64_t M, float *y, int64_t ldy, int64_t n0,
                         int64_t n1) {
    bf16_rows(w, K, xb, M, y, ldy, n0, n1);
}

void ck_matmul_rows_f32_tiles(const float *w, int64_t K, const float *x, int64_t M, float *y, int64_t ldy, int64_t n0,
                              int64_t n1) {
    f32_rows(w, K, x, M, y, ldy, n0, n1);
}

// Weights of another type on the FP32 tiles: each block of weight rows that f32_rows would keep in L2 is dequantized
// into the thread's buffer first, so no FP32 copy of the whole matrix is written and read back. The products are
// those of dequantizing the whole matrix first (the same values, the same sums).
void ck_matmul_rows_dequantized_tiles(int type, const void *w, int64_t K, const float *x, int64_t M, float *y,
                                      int64_t ldy, int64_t n0, int64_t n1) {
    const int64_t block = l2_block_rows(K, (int64_t)sizeof(float));
    const int64_t rowBytes = K / ck_block_elements(type) * ck_block_bytes(type);
    float *buf = ck_thread_buffer(CK_BUFFER_WEIGHTS, block * K);
    for (int64_t b0 = n0; b0 < n1; b0 += block) {
        const int64_t b1 = b0 + block < n1 ? b0 + block : n1;
        ck_dequantize(type, (const uint8_t *)w + b0 * rowBytes, buf, (b1 - b0) * K);
        f32_rows(buf, K, x, M, y + b0, ldy, 0, b1 - b0);
    }
}
