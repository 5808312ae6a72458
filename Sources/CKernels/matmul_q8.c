// Mat-vec for 4- to 8-bit weights (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the K-quants Q4_K, Q5_K, Q6_K) against activations
// quantized to 8 bits per 32-element block (as llama.cpp's q8_1 does): integer dot products with AVX2 (maddubs)
// or AVX-512 VNNI (dpbusd). About twice the speed of the FP32-activation kernels at generation, at the cost of
// rounding the activations to 8 bits. A K-quant super-block of 256 is read as eight 32-element blocks, each with
// its own scale (Q6_K: one per 16 elements) and offset, so every type shares the one loop below.
#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ck_q8_path(int type, int64_t K) {
    const int kquant = type == CK_Q4_K || type == CK_Q5_K || type == CK_Q6_K;
    return ck_simd_level() >= 1 && K % (kquant ? QK_K : QK) == 0 &&
           (type == CK_Q4_0 || type == CK_Q4_1 || type == CK_Q5_0 || type == CK_Q5_1 || type == CK_Q8_0 || kquant);
}

// Each block: d = max|v| / 127, q = round-half-even(v / d) (as nearbyintf in the default rounding mode), s = d sum q.
// The AVX2 path gives the same bytes: max is exact, the products are the same, and cvtps rounds as nearbyintf.
static void quantize_block_plain(const float *v, ck_xblock *out) {
    float amax = 0;
    for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(v[j]));
    const float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int j = 0; j < QK; j++) {
        const int q = (int)nearbyintf(v[j] * id);
        out->qs[j] = (int8_t)q;
        sum += q;
    }
    out->d = d;
    out->sum = sum;
    out->s = d * (float)sum;
}

__attribute__((target("avx2,fma")))
static void quantize_block_avx2(const float *v, ck_xblock *out) {
    const __m256 signBit = _mm256_set1_ps(-0.0f);
    __m256 x[4], m = _mm256_setzero_ps();
    for (int j = 0; j < 4; j++) {
        x[j] = _mm256_loadu_ps(v + 8 * j);
        m = _mm256_max_ps(m, _mm256_andnot_ps(signBit, x[j]));
    }
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    const float amax = _mm_cvtss_f32(h), d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
    const __m256 idv = _mm256_set1_ps(id);
    __m256i q[4], total = _mm256_setzero_si256();
    for (int j = 0; j < 4; j++) {
        q[j] = _mm256_cvtps_epi32(_mm256_mul_ps(x[j], idv));
        total = _mm256_add_epi32(total, q[j]);
    }
    // int32 -> int8 in element order: packs interleave the two 128-bit lanes, the permute puts them back.
    const __m256i a = _mm256_packs_epi32(q[0], q[1]), b = _mm256_packs_epi32(q[2], q[3]);
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(a, b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out->qs, bytes);
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    out->d = d;
    out->sum = _mm_cvtsi128_si32(t);
    out->s = d * (float)out->sum;
}

void ck_quantize_q8(const float *x, ck_xblock *out, int64_t n) {
    const int simd = ck_simd_level() >= 1;
    for (int64_t b = 0; b < n / QK; b++) {
        if (simd) quantize_block_avx2(x + b * QK, out + b);
        else quantize_block_plain(x + b * QK, out + b);
    }
}

__attribute__((target("avx2,fma,f16c")))
static inline __m256i dot_maddubs(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

__attribute__((target("avx512vnni,avx512vl,avx512f,avx2,fma,f16c")))
static inline __m256i dot_vnni(__m256i u, __m256i s) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}

// For one ISA (TARGET, and DPBUSD its u8 x s8 -> i32 dot), defines:
//   NAME_load: block b of weight row n as 32 bytes qw, its scale dw and offset mw (w = dw * q + mw; Q4_0's
//              q - 8 is q with mw = -8 dw; Q8_0's bytes are signed, handled in NAME_dot by the sign trick);
//   NAME_dot:  acc += dw * dx * (qw . qx) over the block, summ += mw * sum(x);
//   NAME_group: one weight row against R activation rows (R <= 4, a constant where inlined), each row with four
//              sums (block b + q into sum q, a last partial step into sum 0) so the FMA latency chain does not
//              bound the loop; each block is loaded once for the R rows. A row's sums do not depend on R, so its
//              result is the same in any batch and a lone sequence needs no padding row;
//   NAME_rows: rows [n0, n1) of W against M activation rows, GROUP rows at a time (what the registers hold).
// `type` is a compile-time constant wherever these are inlined (NAME dispatches on it once).
#define Q8_KERNELS(NAME, TARGET, DPBUSD, GROUP)                                                                 \
    __attribute__((target(TARGET), always_inline)) static inline __m256i NAME##_load(                          \
        int type, const void *w, int64_t n, int64_t nb, int64_t b, __m256 *dw, float *mw) {                    \
        const __m256i low4 = _mm256_set1_epi8(0x0F);                                                            \
        if (type == CK_Q8_0) {                                                                                  \
            const block_q8_0 *blk = (const block_q8_0 *)w + n * nb + b;                                        \
            *dw = _mm256_set1_ps(_cvtsh_ss(blk->d)); *mw = 0;                                                   \
            return _mm256_loadu_si256((const __m256i *)blk->qs);                                               \
        }                                                                                                       \
        if (type == CK_Q4_K || type == CK_Q5_K) {                                                               \
            /* Block j of the super-block: the low (even j) or high (odd j) nibbles of 32 bytes, Q5_K's fifth   \
               bit from bit j of qh; w = d sc q - dmin m. */                                                    \
            const int64_t s = n * (nb / 8) + b / 8; const int j = (int)(b % 8);                                \
            const uint8_t *scales, *qs; float d, dmin;                                                          \
            if (type == CK_Q4_K) {                                                                              \
                const block_q4_k *blk = (const block_q4_k *)w + s;                                             \
                scales = blk->scales; qs = blk->qs; d = _cvtsh_ss(blk->d); dmin = _cvtsh_ss(blk->dmin);        \
            } else {                                                                                            \
                const block_q5_k *blk = (const block_q5_k *)w + s;                                             \
                scales = blk->scales; qs = blk->qs; d = _cvtsh_ss(blk->d); dmin = _cvtsh_ss(blk->dmin);        \
            }                                                                                                   \
            uint8_t sc, m;                                                                                      \
            ck_scale_min_k4(j, scales, &sc, &m);                                                                   \
            *dw = _mm256_set1_ps(d * sc); *mw = -(dmin * m);                                                    \
            const __m256i v = _mm256_loadu_si256((const __m256i *)(qs + 32 * (j / 2)));                       \
            __m256i q = _mm256_and_si256(j & 1 ? _mm256_srli_epi16(v, 4) : v, low4);                           \
            if (type == CK_Q5_K) {                                                                              \
                const __m256i bit = _mm256_set1_epi8((char)(1 << j));                                           \
                const __m256i hb = _mm256_loadu_si256((const __m256i *)((const block_q5_k *)w + s)->qh);       \
                q = _mm256_or_si256(q, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hb, bit), bit),    \
                                                        _mm256_set1_epi8(16)));                                 \
            }                                                                                                   \
            return q;                                                                                           \
        }                                                                                                       \
        if (type == CK_Q6_K) {                                                                                  \
            /* Block j = 4h + r: 4 bits from ql[64h + 32(r & 1)] (high nibble for r >= 2), 2 from qh[32h] at   \
               bit 2r; signed q - 32 (NAME_dot multiplies it by sign); one scale per 16 elements. */           \
            const block_q6_k *blk = (const block_q6_k *)w + n * (nb / 8) + b / 8;                              \
            const int j = (int)(b % 8), h = j / 4, r = j % 4;                                                   \
            const float d = _cvtsh_ss(blk->d);                                                                  \
            const int8_t *sc = blk->scales + 8 * h + 2 * r;                                                     \
            *dw = _mm256_set_m128(_mm_set1_ps(d * sc[1]), _mm_set1_ps(d * sc[0])); *mw = 0;                    \
            const __m256i lo = _mm256_loadu_si256((const __m256i *)(blk->ql + 64 * h + 32 * (r & 1)));         \
            const __m256i hi = _mm256_loadu_si256((const __m256i *)(blk->qh + 32 * h));                        \
            const __m256i q4 = _mm256_and_si256(r >= 2 ? _mm256_srli_epi16(lo, 4) : lo, low4);                 \
            const __m256i q2 = _mm256_and_si256(_mm256_srl_epi16(hi, _mm_cvtsi32_si128(2 * r)),                \
                                                _mm256_set1_epi8(3));                                           \
            return _mm256_sub_epi8(_mm256_or_si256(q4, _mm256_slli_epi16(q2, 4)), _mm256_set1_epi8(32));      \
        }                                                                                                       \
        const uint8_t *qs;                                                                                      \
        float d;                                                                                                \
        if (type == CK_Q5_0 || type == CK_Q5_1) {                                                               \
            /* Q4_0's or Q4_1's nibbles, each byte k's fifth bit from bit k of qh: qh's byte k / 8 copied to    \
               byte k, tested against 1 << (k % 8). */                                                          \
            const uint8_t *qh;                                                                                  \
            if (type == CK_Q5_1) {                                                                              \
                const block_q5_1 *blk = (const block_q5_1 *)w + n * nb + b;                                    \
                qs = blk->qs; qh = blk->qh; d = _cvtsh_ss(blk->d); *mw = _cvtsh_ss(blk->m);                    \
            } else {                                                                                            \
                const block_q5_0 *blk = (const block_q5_0 *)w + n * nb + b;                                    \
                qs = blk->qs; qh = blk->qh; d = _cvtsh_ss(blk->d); *mw = -16.0f * d;                           \
            }                                                                                                   \
            *dw = _mm256_set1_ps(d);                                                                            \
            int32_t bits; memcpy(&bits, qh, 4);                                                                 \
            const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(bits), _mm256_setr_epi8(             \
                0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));    \
            const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);                                       \
            const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit),      \
                                                  _mm256_set1_epi8(16));                                        \
            const __m128i v = _mm_loadu_si128((const __m128i *)qs);                                            \
            const __m256i low = _mm256_set_m128i(_mm_srli_epi16(v, 4), v);                                     \
            return _mm256_or_si256(_mm256_and_si256(low, low4), high);                                          \
        }                                                                                                       \
        if (type == CK_Q4_1) {                                                                                  \
            const block_q4_1 *blk = (const block_q4_1 *)w + n * nb + b;                                        \
            qs = blk->qs; d = _cvtsh_ss(blk->d); *mw = _cvtsh_ss(blk->m);                                      \
        } else {                                                                                                \
            const block_q4_0 *blk = (const block_q4_0 *)w + n * nb + b;                                        \
            qs = blk->qs; d = _cvtsh_ss(blk->d); *mw = -8.0f * d;                                              \
        }                                                                                                       \
        *dw = _mm256_set1_ps(d);                                                                                \
        const __m128i v = _mm_loadu_si128((const __m128i *)qs), lowMask = _mm_set1_epi8(0x0F);                \
        return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), lowMask), _mm_and_si128(v, lowMask));     \
    }                                                                                                           \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_dot(                              \
        int type, __m256i qw, __m256 dw, float mw, const ck_xblock *xb, __m256 *acc, float *summ) {            \
        __m256i qx = _mm256_loadu_si256((const __m256i *)xb->qs), ax = qw;                                     \
        if (type == CK_Q8_0 || type == CK_Q6_K) { ax = _mm256_sign_epi8(qw, qw); qx = _mm256_sign_epi8(qx, qw); } \
        /* dw's lanes 0-3 scale elements 0-15, lanes 4-7 elements 16-31 (DPBUSD sums 4 bytes a lane). */      \
        *acc = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(xb->d)), _mm256_cvtepi32_ps(DPBUSD(ax, qx)), *acc); \
        *summ += mw * xb->s;                                                                                    \
    }                                                                                                           \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_group(                           \
        int type, const void *w, int64_t n, int64_t nb, const ck_xblock *xq, int R, float *y, int64_t ldy) {   \
        __m256 a[4][4], dw;                                                                                     \
        float s[4][4], mw;                                                                                      \
        for (int r = 0; r < R; r++)                                                                             \
            for (int q = 0; q < 4; q++) { a[r][q] = _mm256_setzero_ps(); s[r][q] = 0; }                         \
        int64_t b = 0;                                                                                          \
        for (; b + 4 <= nb; b += 4)                                                                             \
            for (int q = 0; q < 4; q++) {                                                                       \
                const __m256i qw = NAME##_load(type, w, n, nb, b + q, &dw, &mw);                                \
                for (int r = 0; r < R; r++) NAME##_dot(type, qw, dw, mw, xq + r * nb + b + q, &a[r][q], &s[r][q]); \
            }                                                                                                   \
        for (; b < nb; b++) {                                                                                   \
            const __m256i qw = NAME##_load(type, w, n, nb, b, &dw, &mw);                                        \
            for (int r = 0; r < R; r++) NAME##_dot(type, qw, dw, mw, xq + r * nb + b, &a[r][0], &s[r][0]);      \
        }                                                                                                       \
        for (int r = 0; r < R; r++)                                                                             \
            y[r * ldy] = ck_hsum256(_mm256_add_ps(_mm256_add_ps(a[r][0], a[r][1]), _mm256_add_ps(a[r][2], a[r][3]))) \
                         + ((s[r][0] + s[r][1]) + (s[r][2] + s[r][3]));                                         \
    }                                                                                                           \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_rows(                            \
        int type, const void *w, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,             \
        int64_t n0, int64_t n1) {                                                                               \
        const int64_t nb = K / QK;                                                                              \
        for (int64_t n = n0; n < n1; n++)                                                                       \
            for (int64_t m0 = 0; m0 < M; m0 += GROUP) {                                                         \
                const ck_xblock *xr = xq + m0 * nb;                                                             \
                float *yr = y + m0 * ldy + n;                                                                   \
                switch (M - m0 < GROUP ? M - m0 : GROUP) {                                                      \
                case 1: NAME##_group(type, w, n, nb, xr, 1, yr, ldy); break;                                    \
                case 2: NAME##_group(type, w, n, nb, xr, 2, yr, ldy); break;                                    \
                case 3: NAME##_group(type, w, n, nb, xr, 3, yr, ldy); break;                                    \
                default: NAME##_group(type, w, n, nb, xr, 4, yr, ldy); break;                                   \
                }                                                                                               \
            }                                                                                                   \
    }                                                                                                           \
    __attribute__((target(TARGET))) static void NAME(int type, const void *w, int64_t K, const ck_xblock *xq,  \
                                                     int64_t M, float *y, int64_t ldy, int64_t n0, int64_t n1) { \
        switch (type) {                                                                                         \
        case CK_Q4_1: NAME##_rows(CK_Q4_1, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        case CK_Q4_0: NAME##_rows(CK_Q4_0, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        case CK_Q5_0: NAME##_rows(CK_Q5_0, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        case CK_Q5_1: NAME##_rows(CK_Q5_1, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        case CK_Q4_K: NAME##_rows(CK_Q4_K, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        case CK_Q5_K: NAME##_rows(CK_Q5_K, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        case CK_Q6_K: NAME##_rows(CK_Q6_K, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        default: NAME##_rows(CK_Q8_0, w, K, xq, M, y, ldy, n0, n1); break;                                      \
        }                                                                                                       \
    }

Q8_KERNELS(rows_q8_avx2, "avx2,fma,f16c", dot_maddubs, 2)
Q8_KERNELS(rows_q8_vnni, "avx512vnni,avx512vl,avx512f,avx2,fma,f16c", dot_vnni, 4)

int ck_q8_uses_vnni(void) { return ck_simd_level() >= 2 && ck_has_vnni(); }

void ck_matmul_rows_q8(int type, const void *w, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,
                       int64_t n0, int64_t n1) {
    if (ck_q8_uses_vnni()) rows_q8_vnni(type, w, K, xq, M, y, ldy, n0, n1);
    else rows_q8_avx2(type, w, K, xq, M, y, ldy, n0, n1);
}
