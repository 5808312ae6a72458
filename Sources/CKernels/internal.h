// Block layouts shared by the kernels (byte-exact with ggml's).
#pragma once
#include <stddef.h>
#include <stdint.h>

#define QK 32
#define QK_K 256

typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_q4_0;
typedef struct { uint16_t d, m; uint8_t qs[QK / 2]; } block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_0;
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[QK]; } block_q8_0;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; } block_q4_k;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; } block_q5_k;
typedef struct { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; } block_q6_k;

_Static_assert(sizeof(block_q4_0) == 18, "q4_0");
_Static_assert(sizeof(block_q4_1) == 20, "q4_1");
_Static_assert(sizeof(block_q5_0) == 22, "q5_0");
_Static_assert(sizeof(block_q5_1) == 24, "q5_1");
_Static_assert(sizeof(block_q8_0) == 34, "q8_0");
_Static_assert(sizeof(block_q4_k) == 144, "q4_k");
_Static_assert(sizeof(block_q5_k) == 176, "q5_k");
_Static_assert(sizeof(block_q6_k) == 210, "q6_k");

float ck_fp16_to_fp32(uint16_t h);

/// Whether the CPU has AVX-512 VNNI (with VL), detected once with the SIMD level (matmul.c).
int ck_has_vnni(void);
/// malloc that ends the process with a message naming `what` when the memory cannot be had (as Swift's allocations
/// do): a kernel never goes on with an output it could not compute.
void *ck_alloc(size_t bytes, const char *what);
/// The calling thread's buffers, one per use, kept between calls and freed when the thread ends.
enum { CK_BUFFER_SCORES, CK_BUFFER_WEIGHTS, CK_BUFFERS };
/// The calling thread's buffer `slot`, of at least n floats (its contents are not kept when it grows).
float *ck_thread_buffer(int slot, int64_t n);
/// Whether the CPU has AVX512_BF16 (with AVX-512F/BW), detected with the SIMD level.
int ck_has_avx512bf16(void);

/// The 6-bit scale and minimum of 32-element block j (0..7) of a Q4_K or Q5_K super-block (ggml's packing).
static inline void ck_scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) { *d = q[j] & 63; *m = q[j + 4] & 63; }
    else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

#include <immintrin.h>

/// Sum of the 8 lanes of an AVX register.
__attribute__((target("avx2"))) static inline float ck_hsum256(__m256 v) {
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    t = _mm_add_ps(t, _mm_movehl_ps(t, t));
    t = _mm_add_ss(t, _mm_movehdup_ps(t));
    return _mm_cvtss_f32(t);
}
