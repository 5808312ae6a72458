// Rotary position embedding and small-batch causal attention (grouped-query heads), at the SIMD level in force.
#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <math.h>

void ck_rope(float *x, int64_t T, int64_t heads, int64_t dim, int64_t stride, const float *cos_, const float *sin_,
             int64_t rot, int interleaved) {
    const int64_t half = rot / 2;
    for (int64_t t = 0; t < T; t++) {
        const float *c = cos_ + t * half, *s = sin_ + t * half;
        for (int64_t h = 0; h < heads; h++) {
            float *v = x + t * stride + h * dim;
            if (interleaved) {
                for (int64_t i = 0; i < half; i++) {
                    const float a = v[2 * i], b = v[2 * i + 1];
                    v[2 * i] = a * c[i] - b * s[i];
                    v[2 * i + 1] = a * s[i] + b * c[i];
                }
            } else {
                for (int64_t i = 0; i < half; i++) {
                    const float a = v[i], b = v[i + half];
                    v[i] = a * c[i] - b * s[i];
                    v[i + half] = a * s[i] + b * c[i];
                }
            }
        }
    }
}

// Dot products of a query head with one key: plain C (in order), and AVX-512 / AVX2 with four independent sums
// (16 or 8 lanes each) so the FMAs do not wait on each other; the last lanes go into the first sum.
static float dot_plain(const float *a, const float *b, int64_t n) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

__attribute__((target("avx512f")))
static float dot_avx512(const float *a, const float *b, int64_t n) {  // n % 16 == 0
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i < n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

__attribute__((target("avx2,fma")))
static float dot_avx2(const float *a, const float *b, int64_t n) {  // n % 8 == 0
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i < n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    return ck_hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

__attribute__((target_clones("avx512f", "avx2", "default")))
static void axpy(float *y, const float *x, float a, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

void ck_attention(const float *q, int64_t qs, const float *k, const float *v, int64_t ks, float *out,
                  int64_t T, int64_t p0, int64_t dim, int64_t group, int64_t h0, int64_t h1, float scale, float *scores) {
    const int level = ck_simd_level();
    float (*dot)(const float *, const float *, int64_t) =
        level == 2 && dim % 16 == 0 ? dot_avx512 : level >= 1 && dim % 8 == 0 ? dot_avx2 : dot_plain;
    for (int64_t t = 0; t < T; t++) {
        const int64_t L = p0 + t + 1;
        for (int64_t h = h0; h < h1; h++) {
            const float *qh = q + t * qs + h * dim;
            const int64_t g = h / group;
            for (int64_t j = 0; j < L; j++) scores[j] = dot(qh, k + j * ks + g * dim, dim);
            ck_softmax_rows(scores, 1, L, L, NULL, scale);
            float *o = out + t * qs + h * dim;
            for (int64_t i = 0; i < dim; i++) o[i] = 0;
            for (int64_t j = 0; j < L; j++) axpy(o, v + j * ks + g * dim, scores[j], dim);
        }
    }
}
