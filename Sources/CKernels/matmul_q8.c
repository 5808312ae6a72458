// Mat-vec for 4- and 8-bit weights against activations quantized to 8 bits per 32-element block (as
// llama.cpp's q8_1 does): integer dot products with AVX2 (maddubs) or AVX-512 VNNI (dpbusd). About twice the
// speed of the FP32-activation kernels at generation, at the cost of rounding the activations to 8 bits.
#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>

int ck_q8_path(int type, int64_t K) {
    return ck_simd_level() >= 1 && K % QK == 0 && (type == CK_Q4_0 || type == CK_Q4_1 || type == CK_Q8_0);
}

void ck_quantize_q8(const float *x, ck_xblock *out, int64_t n) {
    for (int64_t b = 0; b < n / QK; b++) {
        const float *v = x + b * QK;
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(v[j]));
        const float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            const int q = (int)nearbyintf(v[j] * id);
            out[b].qs[j] = (int8_t)q;
            sum += q;
        }
        out[b].d = d;
        out[b].s = d * (float)sum;
    }
}

// Weight block -> 32 unsigned bytes (4-bit types) or signed bytes (Q8_0), the scale, and the offset term
// (so that w = d * q + m for 4-bit; Q4_0's q - 8 is q with m = -8 d).
#define DOT_BODY(DPBUSD)                                                                                        \
    const int64_t nb = K / QK;                                                                                  \
    const __m128i lowMask = _mm_set1_epi8(0x0F);                                                               \
    for (int64_t n = n0; n < n1; n++) {                                                                         \
        for (int64_t m0 = 0; m0 < M; m0 += 4) {                                                                 \
            const int mb = (int)(M - m0 < 4 ? M - m0 : 4);                                                      \
            __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()}; \
            float summ[4] = {0, 0, 0, 0};                                                                       \
            for (int64_t b = 0; b < nb; b++) {                                                                  \
                __m256i qw;                                                                                     \
                float dw, mw = 0;                                                                               \
                int sign = 0;                                                                                   \
                if (type == CK_Q8_0) {                                                                          \
                    const block_q8_0 *blk = (const block_q8_0 *)w + n * nb + b;                                \
                    dw = _cvtsh_ss(blk->d);                                                                     \
                    qw = _mm256_loadu_si256((const __m256i *)blk->qs);                                         \
                    sign = 1;                                                                                   \
                } else {                                                                                        \
                    const uint8_t *qs;                                                                          \
                    if (type == CK_Q4_1) {                                                                      \
                        const block_q4_1 *blk = (const block_q4_1 *)w + n * nb + b;                            \
                        qs = blk->qs; dw = _cvtsh_ss(blk->d); mw = _cvtsh_ss(blk->m);                          \
                    } else {                                                                                    \
                        const block_q4_0 *blk = (const block_q4_0 *)w + n * nb + b;                            \
                        qs = blk->qs; dw = _cvtsh_ss(blk->d); mw = -8.0f * dw;                                 \
                    }                                                                                           \
                    const __m128i v = _mm_loadu_si128((const __m128i *)qs);                                    \
                    qw = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), lowMask), _mm_and_si128(v, lowMask)); \
                }                                                                                               \
                const __m256i ax = sign ? _mm256_sign_epi8(qw, qw) : qw;                                        \
                for (int r = 0; r < mb; r++) {                                                                  \
                    const ck_xblock *xb = xq + (m0 + r) * nb + b;                                               \
                    __m256i qx = _mm256_loadu_si256((const __m256i *)xb->qs);                                  \
                    if (sign) qx = _mm256_sign_epi8(qx, qw);                                                    \
                    const __m256 dot = _mm256_cvtepi32_ps(DPBUSD(ax, qx));                                      \
                    acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xb->d), dot, acc[r]);                         \
                    summ[r] += mw * xb->s;                                                                      \
                }                                                                                               \
            }                                                                                                   \
            for (int r = 0; r < mb; r++) {                                                                      \
                __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc[r]), _mm256_extractf128_ps(acc[r], 1));       \
                s = _mm_add_ps(s, _mm_movehl_ps(s, s));                                                         \
                s = _mm_add_ss(s, _mm_movehdup_ps(s));                                                          \
                y[(m0 + r) * ldy + n] = _mm_cvtss_f32(s) + summ[r];                                             \
            }                                                                                                   \
        }                                                                                                       \
    }

__attribute__((target("avx2,fma,f16c")))
static inline __m256i dot_maddubs(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

__attribute__((target("avx512vnni,avx512vl,avx512f,avx2,fma,f16c")))
static inline __m256i dot_vnni(__m256i u, __m256i s) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}

__attribute__((target("avx2,fma,f16c")))
static void rows_q8_avx2(int type, const void *w, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,
                         int64_t n0, int64_t n1) {
    DOT_BODY(dot_maddubs)
}

__attribute__((target("avx512vnni,avx512vl,avx512f,avx2,fma,f16c")))
static void rows_q8_vnni(int type, const void *w, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,
                         int64_t n0, int64_t n1) {
    DOT_BODY(dot_vnni)
}

// One weight row against one activation row (generation's case): four blocks in flight, each with its own
// accumulator, so the FMA latency chain does not bound the loop. `type` is a constant where this is inlined.
#define ROW1_Q8(NAME, TARGET, DPBUSD)                                                                          \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_step(                            \
        int type, const void *w, int64_t n, int64_t nb, int64_t b, const ck_xblock *xb, __m256 *acc, float *summ) { \
        __m256i qw; float dw, mw = 0;                                                                           \
        if (type == CK_Q8_0) {                                                                                  \
            const block_q8_0 *blk = (const block_q8_0 *)w + n * nb + b;                                        \
            dw = _cvtsh_ss(blk->d);                                                                             \
            qw = _mm256_loadu_si256((const __m256i *)blk->qs);                                                 \
        } else {                                                                                                \
            const uint8_t *qs;                                                                                  \
            if (type == CK_Q4_1) {                                                                              \
                const block_q4_1 *blk = (const block_q4_1 *)w + n * nb + b;                                    \
                qs = blk->qs; dw = _cvtsh_ss(blk->d); mw = _cvtsh_ss(blk->m);                                  \
            } else {                                                                                            \
                const block_q4_0 *blk = (const block_q4_0 *)w + n * nb + b;                                    \
                qs = blk->qs; dw = _cvtsh_ss(blk->d); mw = -8.0f * dw;                                         \
            }                                                                                                   \
            const __m128i v = _mm_loadu_si128((const __m128i *)qs), lowMask = _mm_set1_epi8(0x0F);            \
            qw = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), lowMask), _mm_and_si128(v, lowMask));  \
        }                                                                                                       \
        __m256i qx = _mm256_loadu_si256((const __m256i *)xb->qs), ax = qw;                                     \
        if (type == CK_Q8_0) { ax = _mm256_sign_epi8(qw, qw); qx = _mm256_sign_epi8(qx, qw); }               \
        *acc = _mm256_fmadd_ps(_mm256_set1_ps(dw * xb->d), _mm256_cvtepi32_ps(DPBUSD(ax, qx)), *acc);          \
        *summ += mw * xb->s;                                                                                    \
    }                                                                                                           \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_rows(                            \
        int type, const void *w, int64_t K, const ck_xblock *xq, float *y, int64_t n0, int64_t n1) {           \
        const int64_t nb = K / QK;                                                                              \
        for (int64_t n = n0; n < n1; n++) {                                                                     \
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                        \
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                               \
            int64_t b = 0;                                                                                      \
            for (; b + 4 <= nb; b += 4) {                                                                       \
                NAME##_step(type, w, n, nb, b, xq + b, &a0, &s0);                                               \
                NAME##_step(type, w, n, nb, b + 1, xq + b + 1, &a1, &s1);                                       \
                NAME##_step(type, w, n, nb, b + 2, xq + b + 2, &a2, &s2);                                       \
                NAME##_step(type, w, n, nb, b + 3, xq + b + 3, &a3, &s3);                                       \
            }                                                                                                   \
            for (; b < nb; b++) NAME##_step(type, w, n, nb, b, xq + b, &a0, &s0);                               \
            const __m256 a = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));                      \
            __m128 t = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));                     \
            t = _mm_add_ps(t, _mm_movehl_ps(t, t));                                                             \
            t = _mm_add_ss(t, _mm_movehdup_ps(t));                                                              \
            y[n] = _mm_cvtss_f32(t) + ((s0 + s1) + (s2 + s3));                                                  \
        }                                                                                                       \
    }                                                                                                           \
    __attribute__((target(TARGET))) static void NAME(int type, const void *w, int64_t K, const ck_xblock *xq,  \
                                                     float *y, int64_t n0, int64_t n1) {                        \
        switch (type) {                                                                                         \
        case CK_Q4_1: NAME##_rows(CK_Q4_1, w, K, xq, y, n0, n1); break;                                         \
        case CK_Q4_0: NAME##_rows(CK_Q4_0, w, K, xq, y, n0, n1); break;                                         \
        default: NAME##_rows(CK_Q8_0, w, K, xq, y, n0, n1); break;                                              \
        }                                                                                                       \
    }

ROW1_Q8(row1_avx2, "avx2,fma,f16c", dot_maddubs)
ROW1_Q8(row1_vnni, "avx512vnni,avx512vl,avx512f,avx2,fma,f16c", dot_vnni)

void ck_matmul_rows_q8(int type, const void *w, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,
                       int64_t n0, int64_t n1) {
    static int vnni = -1;
    if (vnni < 0) vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
    const int use_vnni = ck_simd_level() >= 2 && vnni;
    if (M == 1) {
        if (use_vnni) row1_vnni(type, w, K, xq, y, n0, n1);
        else row1_avx2(type, w, K, xq, y, n0, n1);
    } else if (use_vnni) rows_q8_vnni(type, w, K, xq, M, y, ldy, n0, n1);
    else rows_q8_avx2(type, w, K, xq, M, y, ldy, n0, n1);
}
