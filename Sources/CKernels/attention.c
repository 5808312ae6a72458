// Rotary position embedding and small-batch causal attention (grouped-query heads).
#include "ckernels.h"
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

__attribute__((target_clones("avx512f", "avx2", "default")))
static float dot(const float *a, const float *b, int64_t n) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
static void axpy(float *y, const float *x, float a, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

void ck_attention(const float *q, int64_t qs, const float *k, const float *v, int64_t ks, float *out,
                  int64_t T, int64_t p0, int64_t dim, int64_t group, int64_t h0, int64_t h1, float scale, float *scores) {
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
