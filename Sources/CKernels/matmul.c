// Matrix products with weights kept in their GGUF block format: y = x W^T, one weight row read once for a few
// rows of x, each row of x summed the same way whatever rows come with it. Fused AVX-512 / AVX2 paths for Q4_1,
// Q4_0, Q8_0, F32, BF16 and F16 with FP32 activations; the other types (K-quants, Q5_0, Q5_1) dequantize 256
// values at a time and dot them in plain C (with 8-bit activations they run in matmul_q8.c). Chosen at run time.
#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MB 4  // rows of x per pass over a weight row

static int best_level = 0, best_vnni = 0, best_bf16 = 0;
static pthread_once_t best_once = PTHREAD_ONCE_INIT;
static _Thread_local int override_level = -1;  // per thread; pool jobs carry the caller's to the workers

static void detect_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) best_level = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) best_level = 1;
    else best_level = 0;
    // MIMIC_SIMD_LEVEL caps the level for the whole process (to measure the AVX2 or portable paths on a wider CPU).
    const char *cap = getenv("MIMIC_SIMD_LEVEL");
    if (cap && cap[0] >= '0' && cap[0] <= '2' && cap[1] == 0 && cap[0] - '0' < best_level) best_level = cap[0] - '0';
    best_vnni = best_level == 2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
    best_bf16 = best_level == 2 && __builtin_cpu_supports("avx512bf16");
}

int ck_simd_level(void) {
    pthread_once(&best_once, detect_level);
    return override_level >= 0 && override_level < best_level ? override_level : best_level;
}

int ck_simd_override(void) { return override_level; }

int ck_has_vnni(void) {
    pthread_once(&best_once, detect_level);
    return best_vnni;
}

int ck_has_avx512bf16(void) {
    pthread_once(&best_once, detect_level);
    return best_bf16;
}

int ck_set_simd_level(int level) {
    override_level = level < 0 ? -1 : level;
    return ck_simd_level();
}

// ---- portable path: dequantize a block, dot it with each row of x ----

static void rows_generic(int type, const void *w, int64_t K, const float *x, int64_t M,
                         float *y, int64_t ldy, int64_t n0, int64_t n1) {
    const int be = ck_block_elements(type), bb = ck_block_bytes(type);
    const int64_t rowBytes = K / be * bb;
    const int chunk = be >= 256 ? be : 256;  // floats dequantized at a time
    float buf[256];
    for (int64_t n = n0; n < n1; n++) {
        const uint8_t *row = (const uint8_t *)w + n * rowBytes;
        for (int64_t m0 = 0; m0 < M; m0 += MB) {
            const int mb = (int)(M - m0 < MB ? M - m0 : MB);
            double acc[MB] = {0};
            for (int64_t k = 0; k < K; k += chunk) {
                const int len = (int)(K - k < chunk ? K - k : chunk);
                ck_dequantize(type, row + k / be * bb, buf, len);
                for (int r = 0; r < mb; r++) {
                    const float *xr = x + (m0 + r) * K + k;
                    float s = 0;
                    for (int j = 0; j < len; j++) s += buf[j] * xr[j];
                    acc[r] += s;
                }
            }
            for (int r = 0; r < mb; r++) y[(m0 + r) * ldy + n] = (float)acc[r];
        }
    }
}

// ---- AVX-512 ----

#define H2F(h) _cvtsh_ss(h)

__attribute__((target("avx512f,avx512bw,f16c,fma")))
static inline float hsum512(__m512 v) { return _mm512_reduce_add_ps(v); }

// The 32 weights of block b of row n as two vectors of 16 floats.
__attribute__((target("avx512f,avx512bw,f16c,fma"), always_inline))
static inline void block512(int type, const void *w, int64_t n, int64_t nb, int64_t b, __m512 *w0, __m512 *w1) {
    const __m128i lowMask = _mm_set1_epi8(0x0F);
    if (type == CK_Q4_1) {
        const block_q4_1 *blk = (const block_q4_1 *)w + n * nb + b;
        const __m128i qs = _mm_loadu_si128((const __m128i *)blk->qs);
        const __m512 d = _mm512_set1_ps(H2F(blk->d)), mn = _mm512_set1_ps(H2F(blk->m));
        *w0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(qs, lowMask))), d, mn);
        *w1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(qs, 4), lowMask))), d, mn);
    } else if (type == CK_Q4_0) {
        const block_q4_0 *blk = (const block_q4_0 *)w + n * nb + b;
        const __m128i qs = _mm_loadu_si128((const __m128i *)blk->qs);
        const __m512 d = _mm512_set1_ps(H2F(blk->d)), off = _mm512_set1_ps(-8.0f);
        *w0 = _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(qs, lowMask))), off), d);
        *w1 = _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(qs, 4), lowMask))), off), d);
    } else { // CK_Q8_0
        const block_q8_0 *blk = (const block_q8_0 *)w + n * nb + b;
        const __m512 d = _mm512_set1_ps(H2F(blk->d));
        *w0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)blk->qs))), d);
        *w1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk->qs + 16)))), d);
    }
}

// R rows of x (1 to 4, a constant wherever this is inlined) against weight row n, each row with four sums: blocks
// b and b + 1 of a step into sums 0-1 and 2-3, a last odd block into 0-1. Each block is expanded once for the R
// rows. A row's sums do not depend on R or on the other rows, so a row's result is the same in any batch (batched
// decoding needs no padding row).
__attribute__((target("avx512f,avx512bw,f16c,fma"), always_inline))
static inline void group_avx512(int type, const void *w, int64_t K, const float *x, int R, float *y, int64_t ldy,
                                int64_t n) {
    const int64_t nb = K / QK;
    __m512 a[4][4], w0, w1, w2, w3;
    for (int r = 0; r < R; r++) a[r][0] = a[r][1] = a[r][2] = a[r][3] = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        block512(type, w, n, nb, b, &w0, &w1);
        block512(type, w, n, nb, b + 1, &w2, &w3);
        for (int r = 0; r < R; r++) {
            const float *xb = x + r * K + b * QK;
            a[r][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xb), a[r][0]);
            a[r][1] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xb + 16), a[r][1]);
            a[r][2] = _mm512_fmadd_ps(w2, _mm512_loadu_ps(xb + 32), a[r][2]);
            a[r][3] = _mm512_fmadd_ps(w3, _mm512_loadu_ps(xb + 48), a[r][3]);
        }
    }
    if (b < nb) {
        block512(type, w, n, nb, b, &w0, &w1);
        for (int r = 0; r < R; r++) {
            a[r][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + r * K + b * QK), a[r][0]);
            a[r][1] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + r * K + b * QK + 16), a[r][1]);
        }
    }
    for (int r = 0; r < R; r++)
        y[r * ldy] = hsum512(_mm512_add_ps(_mm512_add_ps(a[r][0], a[r][1]), _mm512_add_ps(a[r][2], a[r][3])));
}

// Dispatches a row-group kernel G (GROUP rows at most) over rows [n0, n1) of W and all M rows of x, with the group
// size a constant in each call so the sums stay in registers.
#define FOR_ROW_GROUPS(GROUP, G, ...)                                                                     \
    for (int64_t n = n0; n < n1; n++)                                                                     \
        for (int64_t m0 = 0; m0 < M; m0 += GROUP) {                                                       \
            const float *xr = x + m0 * K;                                                                 \
            float *yr = y + m0 * ldy + n;                                                                 \
            switch (M - m0 < GROUP ? M - m0 : GROUP) {                                                    \
            case 1: G(__VA_ARGS__, K, xr, 1, yr, ldy, n); break;                                          \
            case 2: G(__VA_ARGS__, K, xr, 2, yr, ldy, n); break;                                          \
            case 3: G(__VA_ARGS__, K, xr, 3, yr, ldy, n); break;                                          \
            default: G(__VA_ARGS__, K, xr, 4, yr, ldy, n); break;                                         \
            }                                                                                             \
        }

// NAME: rows [n0, n1) of W against all M rows of x through FOR_ROW_GROUPS(GROUP, G), with the weight type (one of
// T0, T1, else T2) a constant in each branch, so every group kernel is compiled for one type.
#define ROWS_BY_TYPE(NAME, TARGET, GROUP, G, T0, T1, T2)                                                         \
    __attribute__((target(TARGET))) static void NAME(int type, const void *w, int64_t K, const float *x, int64_t M, \
                                                     float *y, int64_t ldy, int64_t n0, int64_t n1) {           \
        switch (type) {                                                                                         \
        case T0: FOR_ROW_GROUPS(GROUP, G, T0, w) break;                                                         \
        case T1: FOR_ROW_GROUPS(GROUP, G, T1, w) break;                                                         \
        default: FOR_ROW_GROUPS(GROUP, G, T2, w) break;                                                         \
        }                                                                                                       \
    }

ROWS_BY_TYPE(rows_avx512, "avx512f,avx512bw,f16c,fma", 4, group_avx512, CK_Q4_1, CK_Q4_0, CK_Q8_0)

// 16 weights of a row of one element per weight (F32, BF16: the top half of an FP32, F16), as floats.
__attribute__((target("avx512f,avx512bw,f16c,fma"), always_inline))
static inline __m512 wide16_avx512(int type, const void *row, int64_t k) {
    if (type == CK_F32) return _mm512_loadu_ps((const float *)row + k);
    const __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)row + k));
    return type == CK_BF16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)) : _mm512_cvtph_ps(h);
}

// R rows of x against row n of a wide-type W, each with four independent sums so the FMAs do not wait on each
// other: 64 columns a step into sums 0-3, the last columns 16 at a time into sum 0. Each weight vector is converted
// once for the R rows, and a row's sums do not depend on R (see group_avx512).
__attribute__((target("avx512f,avx512bw,f16c,fma"), always_inline))
static inline void wide_group_avx512(int type, const void *w, int64_t K, const float *x, int R, float *y, int64_t ldy,
                                     int64_t n) {
    const void *row = (const uint8_t *)w + n * K * (type == CK_F32 ? 4 : 2);
    __m512 a[4][4];
    for (int r = 0; r < R; r++) a[r][0] = a[r][1] = a[r][2] = a[r][3] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 64 <= K; k += 64) {
        const __m512 w0 = wide16_avx512(type, row, k), w1 = wide16_avx512(type, row, k + 16),
                     w2 = wide16_avx512(type, row, k + 32), w3 = wide16_avx512(type, row, k + 48);
        for (int r = 0; r < R; r++) {
            const float *xk = x + r * K + k;
            a[r][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xk), a[r][0]);
            a[r][1] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xk + 16), a[r][1]);
            a[r][2] = _mm512_fmadd_ps(w2, _mm512_loadu_ps(xk + 32), a[r][2]);
            a[r][3] = _mm512_fmadd_ps(w3, _mm512_loadu_ps(xk + 48), a[r][3]);
        }
    }
    for (; k < K; k += 16) {
        const __m512 w0 = wide16_avx512(type, row, k);
        for (int r = 0; r < R; r++) a[r][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + r * K + k), a[r][0]);
    }
    for (int r = 0; r < R; r++)
        y[r * ldy] = hsum512(_mm512_add_ps(_mm512_add_ps(a[r][0], a[r][1]), _mm512_add_ps(a[r][2], a[r][3])));
}

ROWS_BY_TYPE(wide_rows_avx512, "avx512f,avx512bw,f16c,fma", 4, wide_group_avx512, CK_F32, CK_BF16, CK_F16)

// ---- AVX2 ----


// 8 weights of a wide-type row, as floats (see wide16_avx512).
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline __m256 wide8_avx2(int type, const void *row, int64_t k) {
    if (type == CK_F32) return _mm256_loadu_ps((const float *)row + k);
    const __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)row + k));
    return type == CK_BF16 ? _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)) : _mm256_cvtph_ps(h);
}

// wide_group_avx512 on AVX2: four sums of 8 a row, 32 columns a step, the last 8 at a time into sum 0; at most
// two rows a group (the sixteen AVX2 registers).
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void wide_group_avx2(int type, const void *w, int64_t K, const float *x, int R, float *y, int64_t ldy,
                                   int64_t n) {
    const void *row = (const uint8_t *)w + n * K * (type == CK_F32 ? 4 : 2);
    __m256 a[4][4];
    for (int r = 0; r < R; r++) a[r][0] = a[r][1] = a[r][2] = a[r][3] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
        const __m256 w0 = wide8_avx2(type, row, k), w1 = wide8_avx2(type, row, k + 8),
                     w2 = wide8_avx2(type, row, k + 16), w3 = wide8_avx2(type, row, k + 24);
        for (int r = 0; r < R; r++) {
            const float *xk = x + r * K + k;
            a[r][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xk), a[r][0]);
            a[r][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xk + 8), a[r][1]);
            a[r][2] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(xk + 16), a[r][2]);
            a[r][3] = _mm256_fmadd_ps(w3, _mm256_loadu_ps(xk + 24), a[r][3]);
        }
    }
    for (; k < K; k += 8) {
        const __m256 w0 = wide8_avx2(type, row, k);
        for (int r = 0; r < R; r++) a[r][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + r * K + k), a[r][0]);
    }
    for (int r = 0; r < R; r++)
        y[r * ldy] = ck_hsum256(_mm256_add_ps(_mm256_add_ps(a[r][0], a[r][1]), _mm256_add_ps(a[r][2], a[r][3])));
}

ROWS_BY_TYPE(wide_rows_avx2, "avx2,fma,f16c", 2, wide_group_avx2, CK_F32, CK_BF16, CK_F16)

// The 32 weights of block b of row n as four vectors of 8 floats (block512 on AVX2).
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void block256(int type, const void *w, int64_t n, int64_t nb, int64_t b, __m256 wv[4]) {
    if (type == CK_Q8_0) {
        const block_q8_0 *blk = (const block_q8_0 *)w + n * nb + b;
        const __m256 d = _mm256_set1_ps(H2F(blk->d));
        for (int j = 0; j < 4; j++)
            wv[j] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk->qs + 8 * j)))), d);
        return;
    }
    const uint8_t *qs;
    float d, off;
    if (type == CK_Q4_1) {
        const block_q4_1 *blk = (const block_q4_1 *)w + n * nb + b;
        qs = blk->qs; d = H2F(blk->d); off = H2F(blk->m);
    } else {
        const block_q4_0 *blk = (const block_q4_0 *)w + n * nb + b;
        qs = blk->qs; d = H2F(blk->d); off = -8.0f * d;
    }
    const __m128i v = _mm_loadu_si128((const __m128i *)qs), mask = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(v, mask), hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);  // elements 0-15, 16-31
    const __m256 dv = _mm256_set1_ps(d), ov = _mm256_set1_ps(off);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int j = 0; j < 4; j++) wv[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(parts[j])), dv, ov);
}

// group_avx512 on AVX2: R rows of x (1 or 2, a constant wherever this is inlined) against weight row n, each row with
// four sums (the block's four vectors of 8 into sums 0-3), each block expanded once for the R rows; a row's sums do
// not depend on R, so its result is the same in any batch.
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void group_avx2(int type, const void *w, int64_t K, const float *x, int R, float *y, int64_t ldy,
                              int64_t n) {
    const int64_t nb = K / QK;
    __m256 a[4][4], wv[4];  // R <= 2; sized for FOR_ROW_GROUPS's other cases, never run
    for (int r = 0; r < R; r++) a[r][0] = a[r][1] = a[r][2] = a[r][3] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        block256(type, w, n, nb, b, wv);
        for (int r = 0; r < R; r++) {
            const float *xb = x + r * K + b * QK;
            for (int j = 0; j < 4; j++) a[r][j] = _mm256_fmadd_ps(wv[j], _mm256_loadu_ps(xb + 8 * j), a[r][j]);
        }
    }
    for (int r = 0; r < R; r++)
        y[r * ldy] = ck_hsum256(_mm256_add_ps(_mm256_add_ps(a[r][0], a[r][1]), _mm256_add_ps(a[r][2], a[r][3])));
}

ROWS_BY_TYPE(rows_avx2, "avx2,fma,f16c", 2, group_avx2, CK_Q4_1, CK_Q4_0, CK_Q8_0)

// The kernel a product of M rows against K-wide weights of `type` runs, at this thread's SIMD level: the dispatch
// below and `ck_matmul_path_name` both read it, so what is reported is what runs. With `rows` (decode-sized), every
// path sums a row of x the same way whatever M is (rows_generic and rows_avx2 too), so a row's result does not
// depend on its batch; without it FP32 weights (prompts) take the register tiles of matmul_tiles.c.
enum { PATH_GENERIC, PATH_ROWS_AVX512, PATH_WIDE_AVX512, PATH_WIDE_AVX2, PATH_ROWS_AVX2, PATH_TILES_AVX512,
       PATH_DEQUANTIZED_TILES };

static int pick_path(int type, int64_t K, int rows) {
    const int level = ck_simd_level();
    if (!rows && ck_f32_tiles(K)) return type == CK_F32 ? PATH_TILES_AVX512 : PATH_DEQUANTIZED_TILES;
    const int wide = type == CK_F32 || type == CK_BF16 || type == CK_F16;  // one weight per element, no blocks
    const int blocks = type == CK_Q4_1 || type == CK_Q4_0 || type == CK_Q8_0;
    if (wide && level == 2 && K % 16 == 0) return PATH_WIDE_AVX512;
    if (blocks && level == 2 && K % QK == 0) return PATH_ROWS_AVX512;
    if (wide && level >= 1 && K % 8 == 0) return PATH_WIDE_AVX2;  // also at level 2 when K % 16 != 0
    if (blocks && level >= 1 && K % QK == 0) return PATH_ROWS_AVX2;
    return PATH_GENERIC;
}

void ck_matmul_rows(int type, const void *w, int64_t K, const float *x, int64_t M,
                    float *y, int64_t ldy, int64_t n0, int64_t n1, int rows) {
    switch (pick_path(type, K, rows)) {
    case PATH_ROWS_AVX512: rows_avx512(type, w, K, x, M, y, ldy, n0, n1); break;
    case PATH_WIDE_AVX512: wide_rows_avx512(type, w, K, x, M, y, ldy, n0, n1); break;
    case PATH_WIDE_AVX2: wide_rows_avx2(type, w, K, x, M, y, ldy, n0, n1); break;
    case PATH_ROWS_AVX2: rows_avx2(type, w, K, x, M, y, ldy, n0, n1); break;
    case PATH_TILES_AVX512: ck_matmul_rows_f32_tiles(w, K, x, M, y, ldy, n0, n1); break;
    case PATH_DEQUANTIZED_TILES: ck_matmul_rows_dequantized_tiles(type, w, K, x, M, y, ldy, n0, n1); break;
    default: rows_generic(type, w, K, x, M, y, ldy, n0, n1); break;
    }
}

const char *ck_matmul_path_name(int type, int64_t K, int round_activations, int rows) {
    if (round_activations && ck_bf16_path(type, K)) return "BF16 activations, AVX512_BF16, tiles of 4 x 6";
    if (round_activations && ck_q8_path(type, K))
        return ck_q8_uses_vnni() ? "8-bit activations, AVX-512 VNNI" : "8-bit activations, AVX2";
    switch (pick_path(type, K, rows)) {
    case PATH_ROWS_AVX512: case PATH_WIDE_AVX512: return "AVX-512, four sums a row, up to 4 rows a pass";
    case PATH_WIDE_AVX2: return "AVX2, four sums a row, up to 2 rows a pass";
    case PATH_ROWS_AVX2: return "AVX2, four sums a row, up to 2 rows a pass";
    case PATH_TILES_AVX512: return "AVX-512 FP32 tiles of 4 x 6";
    case PATH_DEQUANTIZED_TILES: return "dequantize, then AVX-512 FP32 tiles of 4 x 6";
    default: return "portable C (dequantize, then dot)";
    }
}
