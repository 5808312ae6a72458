// Row and element-wise kernels (norms, softmax, activations) with a vectorised exp for AVX-512 / AVX2.
#include "ckernels.h"
#include <immintrin.h>
#include <math.h>

// exp by range reduction to r in [-ln2/2, ln2/2] and a degree-6 polynomial (Cephes coefficients),
// then scaling by 2^n; relative error about 2e-7 for x in [-87, 88]; inputs are clamped to that range.
#define EXP_HI 88.3762626647949f
#define EXP_LO -87.3365478515625f
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f

static inline float exp_scalar(float x) {
    x = x > EXP_HI ? EXP_HI : (x < EXP_LO ? EXP_LO : x);
    const float n = nearbyintf(x * LOG2E);
    const float r = x - n * LN2_HI - n * LN2_LO;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f; p = p * r + 8.3334519073E-3f; p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f; p = p * r + 5.0000001201E-1f;
    return ldexpf(p * r * r + r + 1.0f, (int)n);
}

__attribute__((target("avx512f,fma")))
static inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(EXP_HI)), _mm512_set1_ps(EXP_LO));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    __m512 p = _mm512_set1_ps(1.9875691500E-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

__attribute__((target("avx2,fma")))
static inline __m256 exp256(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(EXP_HI)), _mm256_set1_ps(EXP_LO));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    __m256 p = _mm256_set1_ps(1.9875691500E-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
    p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^n: n is in [-126, 127] after clamping; build the exponent bits directly (two steps keep n=-127 safe).
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i half = _mm256_srai_epi32(ni, 1);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

// y[i] = exp(scale * x[i] - shift); returns the sum of y. The three variants are chosen by ck_simd_level().
__attribute__((target("avx512f,fma")))
static float exp_sum_512(const float *x, float *y, int64_t n, float scale, float shift) {
    __m512 sum = _mm512_setzero_ps();
    const __m512 sc = _mm512_set1_ps(scale), sh = _mm512_set1_ps(shift);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 e = exp512(_mm512_fmsub_ps(_mm512_loadu_ps(x + i), sc, sh));
        _mm512_storeu_ps(y + i, e); sum = _mm512_add_ps(sum, e);
    }
    float s = _mm512_reduce_add_ps(sum);
    for (; i < n; i++) { y[i] = exp_scalar(x[i] * scale - shift); s += y[i]; }
    return s;
}

__attribute__((target("avx2,fma")))
static float exp_sum_256(const float *x, float *y, int64_t n, float scale, float shift) {
    __m256 sum = _mm256_setzero_ps();
    const __m256 sc = _mm256_set1_ps(scale), sh = _mm256_set1_ps(shift);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 e = exp256(_mm256_fmsub_ps(_mm256_loadu_ps(x + i), sc, sh));
        _mm256_storeu_ps(y + i, e); sum = _mm256_add_ps(sum, e);
    }
    float buf[8]; _mm256_storeu_ps(buf, sum);
    float s = 0; for (int j = 0; j < 8; j++) s += buf[j];
    for (; i < n; i++) { y[i] = exp_scalar(x[i] * scale - shift); s += y[i]; }
    return s;
}

static float exp_sum_c(const float *x, float *y, int64_t n, float scale, float shift) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) { y[i] = exp_scalar(x[i] * scale - shift); s += y[i]; }
    return s;
}

static float exp_sum(const float *x, float *y, int64_t n, float scale, float shift) {
    switch (ck_simd_level()) {
    case 2: return exp_sum_512(x, y, n, scale, shift);
    case 1: return exp_sum_256(x, y, n, scale, shift);
    default: return exp_sum_c(x, y, n, scale, shift);
    }
}

void ck_expf(const float *x, float *y, int64_t n) { exp_sum(x, y, n, 1.0f, 0.0f); }

__attribute__((target_clones("avx512f", "avx2", "default")))
void ck_rmsnorm(const float *x, const float *w, float *out, int64_t rows, int64_t n, float eps) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n; float *o = out + r * n;
        float ss = 0;
        for (int64_t i = 0; i < n; i++) ss += xr[i] * xr[i];
        const float inv = 1.0f / sqrtf(ss / (float)n + eps);
        for (int64_t i = 0; i < n; i++) o[i] = xr[i] * inv * w[i];
    }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void ck_layernorm(const float *x, const float *w, const float *b, float *out, int64_t rows, int64_t n, float eps) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n; float *o = out + r * n;
        float mean = 0, var = 0;
        for (int64_t i = 0; i < n; i++) mean += xr[i];
        mean /= (float)n;
        for (int64_t i = 0; i < n; i++) { const float d = xr[i] - mean; var += d * d; }
        const float inv = 1.0f / sqrtf(var / (float)n + eps);
        for (int64_t i = 0; i < n; i++) o[i] = (xr[i] - mean) * inv * w[i] + b[i];
    }
}

void ck_softmax_rows(float *x, int64_t rows, int64_t n, int64_t stride, const int64_t *valid, float scale) {
    for (int64_t r = 0; r < rows; r++) {
        float *xr = x + r * stride;
        const int64_t len = valid ? valid[r] : n;
        float mx = -INFINITY;
        for (int64_t i = 0; i < len; i++) mx = xr[i] > mx ? xr[i] : mx;
        const float s = exp_sum(xr, xr, len, scale, mx * scale);
        const float inv = 1.0f / s;
        for (int64_t i = 0; i < len; i++) xr[i] *= inv;
        for (int64_t i = len; i < n; i++) xr[i] = 0;
    }
}

void ck_silu_mul(float *gate, const float *up, int64_t n) {
    float buf[256];
    for (int64_t i = 0; i < n; i += 256) {
        const int64_t len = n - i < 256 ? n - i : 256;
        exp_sum(gate + i, buf, len, -1.0f, 0.0f);  // exp(-g)
        for (int64_t j = 0; j < len; j++) gate[i + j] = gate[i + j] / (1.0f + buf[j]) * up[i + j];
    }
}

void ck_gelu_tanh(float *x, int64_t n) {
    const float c = 0.7978845608028654f;  // sqrt(2/pi)
    float u[256], e[256];
    for (int64_t i = 0; i < n; i += 256) {
        const int64_t len = n - i < 256 ? n - i : 256;
        for (int64_t j = 0; j < len; j++) { const float v = x[i + j]; u[j] = c * (v + 0.044715f * v * v * v); }
        exp_sum(u, e, len, 2.0f, 0.0f);  // exp(2u); tanh(u) = 1 - 2 / (exp(2u) + 1)
        for (int64_t j = 0; j < len; j++) x[i + j] = 0.5f * x[i + j] * (2.0f - 2.0f / (e[j] + 1.0f));
    }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void ck_add(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += x[i];
}

double ck_cross_entropy_row(float *x, int64_t n, int64_t target, float scale) {
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    const float xt = x[target];
    const float s = exp_sum(x, x, n, 1.0f, mx);   // x = exp(x - max)
    const float k = scale / s;
    for (int64_t i = 0; i < n; i++) x[i] *= k;
    x[target] -= scale;
    return (double)mx + log((double)s) - (double)xt;
}

void ck_swiglu(const float *g, const float *u, float *a, int64_t n) {
    float e[256];
    for (int64_t i = 0; i < n; i += 256) {
        const int64_t len = n - i < 256 ? n - i : 256;
        exp_sum(g + i, e, len, -1.0f, 0.0f);   // exp(-g)
        for (int64_t j = 0; j < len; j++) a[i + j] = g[i + j] / (1.0f + e[j]) * u[i + j];
    }
}

void ck_swiglu_backward(const float *g, const float *u, const float *da, float *dg, float *du, int64_t n) {
    float e[256];
    for (int64_t i = 0; i < n; i += 256) {
        const int64_t len = n - i < 256 ? n - i : 256;
        exp_sum(g + i, e, len, -1.0f, 0.0f);
        for (int64_t j = 0; j < len; j++) {
            const float gj = g[i + j], sig = 1.0f / (1.0f + e[j]);
            dg[i + j] = da[i + j] * u[i + j] * sig * (1.0f + gj * (1.0f - sig));
            du[i + j] = da[i + j] * gj * sig;
        }
    }
}
