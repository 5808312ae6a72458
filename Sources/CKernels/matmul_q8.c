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
//   NAME_row1: one weight row against one activation row (generation's case): four blocks in flight, each
//              with its own accumulator, so the FMA latency chain does not bound the loop;
//   NAME_rows: rows [n0, n1) of W against M activation rows, each weight block loaded once for up to 4 rows.
// `type` is a compile-time constant wherever these are inlined (NAME dispatches on it once).
#define Q8_KERNELS(NAME, TARGET, DPBUSD)                                                                        \
    __attribute__((target(TARGET), always_inline)) static inline __m256i NAME##_load(                          \
        int type, const void *w, int64_t n, int64_t nb, int64_t b, float *dw, float *mw) {                     \
        if (type == CK_Q8_0) {                                                                                  \
            const block_q8_0 *blk = (const block_q8_0 *)w + n * nb + b;                                        \
            *dw = _cvtsh_ss(blk->d); *mw = 0;                                                                   \
            return _mm256_loadu_si256((const __m256i *)blk->qs);                                               \
        }                                                                                                       \
        const uint8_t *qs;                                                                                      \
        if (type == CK_Q4_1) {                                                                                  \
            const block_q4_1 *blk = (const block_q4_1 *)w + n * nb + b;                                        \
            qs = blk->qs; *dw = _cvtsh_ss(blk->d); *mw = _cvtsh_ss(blk->m);                                    \
        } else {                                                                                                \
            const block_q4_0 *blk = (const block_q4_0 *)w + n * nb + b;                                        \
            qs = blk->qs; *dw = _cvtsh_ss(blk->d); *mw = -8.0f * *dw;                                          \
        }                                                                                                       \
        const __m128i v = _mm_loadu_si128((const __m128i *)qs), lowMask = _mm_set1_epi8(0x0F);                \
        return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), lowMask), _mm_and_si128(v, lowMask));     \
    }                                                                                                           \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_dot(                              \
        int type, __m256i qw, float dw, float mw, const ck_xblock *xb, __m256 *acc, float *summ) {             \
        __m256i qx = _mm256_loadu_si256((const __m256i *)xb->qs), ax = qw;                                     \
        if (type == CK_Q8_0) { ax = _mm256_sign_epi8(qw, qw); qx = _mm256_sign_epi8(qx, qw); }               \
        *acc = _mm256_fmadd_ps(_mm256_set1_ps(dw * xb->d), _mm256_cvtepi32_ps(DPBUSD(ax, qx)), *acc);          \
        *summ += mw * xb->s;                                                                                    \
    }                                                                                                           \
    __attribute__((target(TARGET), always_inline)) static inline float NAME##_row1(                           \
        int type, const void *w, int64_t n, int64_t nb, const ck_xblock *xq) {                                 \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                            \
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, dw, mw;                                                           \
        int64_t b = 0;                                                                                          \
        for (; b + 4 <= nb; b += 4) {                                                                           \
            __m256i qw = NAME##_load(type, w, n, nb, b, &dw, &mw);                                              \
            NAME##_dot(type, qw, dw, mw, xq + b, &a0, &s0);                                                     \
            qw = NAME##_load(type, w, n, nb, b + 1, &dw, &mw);                                                  \
            NAME##_dot(type, qw, dw, mw, xq + b + 1, &a1, &s1);                                                 \
            qw = NAME##_load(type, w, n, nb, b + 2, &dw, &mw);                                                  \
            NAME##_dot(type, qw, dw, mw, xq + b + 2, &a2, &s2);                                                 \
            qw = NAME##_load(type, w, n, nb, b + 3, &dw, &mw);                                                  \
            NAME##_dot(type, qw, dw, mw, xq + b + 3, &a3, &s3);                                                 \
        }                                                                                                       \
        for (; b < nb; b++) {                                                                                   \
            const __m256i qw = NAME##_load(type, w, n, nb, b, &dw, &mw);                                        \
            NAME##_dot(type, qw, dw, mw, xq + b, &a0, &s0);                                                     \
        }                                                                                                       \
        return ck_hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))) + ((s0 + s1) + (s2 + s3)); \
    }                                                                                                           \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_rows(                            \
        int type, const void *w, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,             \
        int64_t n0, int64_t n1) {                                                                               \
        const int64_t nb = K / QK;                                                                              \
        float dw, mw;                                                                                           \
        for (int64_t n = n0; n < n1; n++) {                                                                     \
            if (M == 1) { y[n] = NAME##_row1(type, w, n, nb, xq); continue; }                                   \
            for (int64_t m0 = 0; m0 < M; m0 += 4) {                                                             \
                const int mb = (int)(M - m0 < 4 ? M - m0 : 4);                                                  \
                const ck_xblock *xr = xq + m0 * nb;                                                             \
                __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()}; \
                float summ[4] = {0, 0, 0, 0};                                                                   \
                for (int64_t b = 0; b < nb; b++) {                                                              \
                    const __m256i qw = NAME##_load(type, w, n, nb, b, &dw, &mw);                                \
                    for (int r = 0; r < mb; r++) NAME##_dot(type, qw, dw, mw, xr + r * nb + b, &acc[r], &summ[r]); \
                }                                                                                               \
                for (int r = 0; r < mb; r++) y[(m0 + r) * ldy + n] = ck_hsum256(acc[r]) + summ[r];                \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
    __attribute__((target(TARGET))) static void NAME(int type, const void *w, int64_t K, const ck_xblock *xq,  \
                                                     int64_t M, float *y, int64_t ldy, int64_t n0, int64_t n1) { \
        switch (type) {                                                                                         \
        case CK_Q4_1: NAME##_rows(CK_Q4_1, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        case CK_Q4_0: NAME##_rows(CK_Q4_0, w, K, xq, M, y, ldy, n0, n1); break;                                 \
        default: NAME##_rows(CK_Q8_0, w, K, xq, M, y, ldy, n0, n1); break;                                      \
        }                                                                                                       \
    }

Q8_KERNELS(rows_q8_avx2, "avx2,fma,f16c", dot_maddubs)
Q8_KERNELS(rows_q8_vnni, "avx512vnni,avx512vl,avx512f,avx2,fma,f16c", dot_vnni)

int ck_q8_uses_vnni(void) {
    static int vnni = -1;
    if (vnni < 0) vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
    return ck_simd_level() >= 2 && vnni;
}

void ck_matmul_rows_q8(int type, const void *w, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,
                       int64_t n0, int64_t n1) {
    if (ck_q8_uses_vnni()) rows_q8_vnni(type, w, K, xq, M, y, ldy, n0, n1);
    else rows_q8_avx2(type, w, K, xq, M, y, ldy, n0, n1);
}
