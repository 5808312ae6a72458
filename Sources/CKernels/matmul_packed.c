// Q4_0, Q4_1 and Q8_0 weights repacked for 8-bit products: sixteen weight rows side by side, one row a 32-bit lane,
// so one vpdpbusd (AVX-512 VNNI) multiplies 4 elements of each of the 16 rows by the same 4 activation bytes
// (broadcast) and the block's scales apply to a whole vector of 16 outputs at once. The row-at-a-time kernels of
// matmul_q8.c spend four vector instructions on every 32 products of one row; here a block of 32 elements costs 8
// vpdpbusd and 3 to 5 other instructions for 16 rows. AVX2 machines run the same layout as two halves of 8 lanes
// with vpmaddubsw, and get the same bits.
//
// Packed layout, per group of 16 rows and per 32-element block (groups one after another, blocks in order within
// a group): 16 FP16 scales d (row c in position c); for Q4_1 16 FP16 minimums m; then the quants:
//   Q4_0, Q4_1: 4 vectors of 64 bytes; in vector v, lane c holds bytes i = 0..3 with element 4v + i of row c in the
//               low nibble and element 16 + 4v + i in the high nibble (so the low nibbles pair with activation
//               bytes 4v.., the high nibbles with 16 + 4v..);
//   Q8_0:       8 vectors of 64 bytes; in vector v, lane c holds elements 4v .. 4v + 3 of row c plus 128, unsigned.
// Each output is the sum over blocks, in block order, of d dx (q . qx - z sum(qx)) + m s (z = 8 for Q4_0, 128 for
// Q8_0, 0 for Q4_1; m s only for Q4_1), the integer part exact, so a row's result does not depend on the rows that
// come with it, nor on how its integer sums are split.
#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <string.h>

enum { GROUP = 16 };

static int64_t group_block_bytes(int type) {
    return type == CK_Q8_0 ? 32 + 8 * 64 : type == CK_Q4_1 ? 64 + 4 * 64 : 32 + 4 * 64;
}

int ck_packs(int type, int64_t N, int64_t K) {
    return (type == CK_Q4_0 || type == CK_Q4_1 || type == CK_Q8_0) && N > 0 && N % GROUP == 0 && K > 0 && K % QK == 0;
}

int64_t ck_packed_bytes(int type, int64_t N, int64_t K) {
    return ck_packs(type, N, K) ? N / GROUP * (K / QK) * group_block_bytes(type) : 0;
}

int ck_packed_path(int type, int64_t N, int64_t K) { return ck_packs(type, N, K) && ck_simd_level() >= 1; }

void ck_pack_rows(int type, const void *w, int64_t N, int64_t K, void *out) {
    if (!ck_packs(type, N, K)) return;
    const int64_t nb = K / QK, gb = group_block_bytes(type);
    for (int64_t g = 0; g < N / GROUP; g++)
        for (int64_t b = 0; b < nb; b++) {
            uint8_t *o = (uint8_t *)out + (g * nb + b) * gb;
            uint16_t *d = (uint16_t *)o, *m = (uint16_t *)(o + 32);
            uint8_t *q = o + (type == CK_Q4_1 ? 64 : 32);
            for (int c = 0; c < GROUP; c++) {
                const int64_t n = g * GROUP + c;
                if (type == CK_Q8_0) {
                    const block_q8_0 *blk = (const block_q8_0 *)w + n * nb + b;
                    d[c] = blk->d;
                    for (int k = 0; k < QK; k++) q[(k / 4) * 64 + c * 4 + k % 4] = (uint8_t)(blk->qs[k] + 128);
                    continue;
                }
                const uint8_t *qs;
                if (type == CK_Q4_1) {
                    const block_q4_1 *blk = (const block_q4_1 *)w + n * nb + b;
                    d[c] = blk->d; m[c] = blk->m; qs = blk->qs;
                } else {
                    const block_q4_0 *blk = (const block_q4_0 *)w + n * nb + b;
                    d[c] = blk->d; qs = blk->qs;
                }
                // ggml's byte j holds element j (low nibble) and element 16 + j (high nibble): the same pairing.
                for (int j = 0; j < QK / 2; j++) q[(j / 4) * 64 + c * 4 + j % 4] = qs[j];
            }
        }
}

// R activation rows (a constant where inlined) against one group of 16 weight rows: acc[r] lane c is output
// (r, c). The quants of a block are unpacked once for the R rows; each row's integer dot is split over two
// accumulators (exact, so the split does not matter) to halve the vpdpbusd dependency chain.
__attribute__((target("avx512vnni,avx512bw,avx512f,avx512vl,f16c,fma"), always_inline))
static inline void group_rows(int type, const uint8_t *pg, int64_t nb, const ck_xblock *xq, int R, float *y,
                              int64_t ldy) {
    const int64_t gb = group_block_bytes(type);
    const int nv = type == CK_Q8_0 ? 8 : 4;
    __m512 acc[4];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *o = pg + b * gb;
        const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)o));
        const __m512 m = type == CK_Q4_1 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(o + 32))) : d;
        const uint8_t *q = o + (type == CK_Q4_1 ? 64 : 32);
        __m512i u[8];  // u[j]: the quants that pair with activation bytes 4j .. 4j + 3
        if (type == CK_Q8_0) {
            for (int j = 0; j < 8; j++) u[j] = _mm512_loadu_si512(q + 64 * j);
        } else {
            const __m512i low4 = _mm512_set1_epi8(0x0F);
            for (int v = 0; v < nv; v++) {
                const __m512i p = _mm512_loadu_si512(q + 64 * v);
                u[v] = _mm512_and_si512(p, low4);
                u[v + 4] = _mm512_and_si512(_mm512_srli_epi16(p, 4), low4);
            }
        }
        for (int r = 0; r < R; r++) {
            const ck_xblock *xb = xq + r * nb + b;
            int32_t x4[8];
            memcpy(x4, xb->qs, 32);
            __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
            for (int j = 0; j < 8; j += 2) {
                s0 = _mm512_dpbusd_epi32(s0, u[j], _mm512_set1_epi32(x4[j]));
                s1 = _mm512_dpbusd_epi32(s1, u[j + 1], _mm512_set1_epi32(x4[j + 1]));
            }
            __m512i dot = _mm512_add_epi32(s0, s1);
            if (type != CK_Q4_1) dot = _mm512_sub_epi32(dot, _mm512_set1_epi32((type == CK_Q8_0 ? 128 : 8) * xb->sum));
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(d, _mm512_set1_ps(xb->d)), acc[r]);
            if (type == CK_Q4_1) acc[r] = _mm512_fmadd_ps(m, _mm512_set1_ps(xb->s), acc[r]);
        }
    }
    for (int r = 0; r < R; r++) _mm512_storeu_ps(y + r * ldy, acc[r]);
}

// group_rows on AVX2 (no VNNI): each 64-byte quant vector as two halves of 8 lanes (rows 0-7, then 8-15), the 4-byte
// dot products from vpmaddubsw (u8 x s8 into pairs of 16 bits) and vpmaddwd. Q4's 16-bit pairs (at most 2 x 15 x 128)
// add up over a whole block without overflow before one vpmaddwd; Q8_0's bytes go back to signed (xor 0x80) and
// use the sign trick (|w| times x with w's sign), whose pairs cannot overflow, so its dot is q . qx itself. The
// integers are those of the VNNI kernel, and every float step is the same, so both give the same bits.
__attribute__((target("avx2,f16c,fma"), always_inline))
static inline void group_rows_avx2(int type, const uint8_t *pg, int64_t nb, const ck_xblock *xq, int R, float *y,
                                   int64_t ldy) {
    const int64_t gb = group_block_bytes(type);
    const __m256i ones = _mm256_set1_epi16(1), low4 = _mm256_set1_epi8(0x0F), flip = _mm256_set1_epi8((char)0x80);
    for (int half = 0; half < 2; half++) {
        __m256 acc[4];
        for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *o = pg + b * gb;
            const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(o + 16 * half)));
            const __m256 m = type == CK_Q4_1 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(o + 32 + 16 * half))) : d;
            const uint8_t *q = o + (type == CK_Q4_1 ? 64 : 32) + 32 * half;
            __m256i u[8];  // as in group_rows; Q8_0: the signed quants
            if (type == CK_Q8_0) {
                for (int j = 0; j < 8; j++) u[j] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(q + 64 * j)), flip);
            } else {
                for (int v = 0; v < 4; v++) {
                    const __m256i p = _mm256_loadu_si256((const __m256i *)(q + 64 * v));
                    u[v] = _mm256_and_si256(p, low4);
                    u[v + 4] = _mm256_and_si256(_mm256_srli_epi16(p, 4), low4);
                }
            }
            __m256i au[8];
            if (type == CK_Q8_0) for (int j = 0; j < 8; j++) au[j] = _mm256_sign_epi8(u[j], u[j]);
            for (int r = 0; r < R; r++) {
                const ck_xblock *xb = xq + r * nb + b;
                int32_t x4[8];
                memcpy(x4, xb->qs, 32);
                __m256i dot;
                if (type == CK_Q8_0) {
                    dot = _mm256_setzero_si256();
                    for (int j = 0; j < 8; j++) {
                        const __m256i sx = _mm256_sign_epi8(_mm256_set1_epi32(x4[j]), u[j]);
                        dot = _mm256_add_epi32(dot, _mm256_madd_epi16(_mm256_maddubs_epi16(au[j], sx), ones));
                    }
                } else {
                    __m256i pairs = _mm256_maddubs_epi16(u[0], _mm256_set1_epi32(x4[0]));
                    for (int j = 1; j < 8; j++) pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(u[j], _mm256_set1_epi32(x4[j])));
                    dot = _mm256_madd_epi16(pairs, ones);
                    dot = _mm256_sub_epi32(dot, _mm256_set1_epi32(type == CK_Q4_0 ? 8 * xb->sum : 0));
                }
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(d, _mm256_set1_ps(xb->d)), acc[r]);
                if (type == CK_Q4_1) acc[r] = _mm256_fmadd_ps(m, _mm256_set1_ps(xb->s), acc[r]);
            }
        }
        for (int r = 0; r < R; r++) _mm256_storeu_ps(y + r * ldy + 8 * half, acc[r]);
    }
}

// NAME_rows: rows [n0, n1) (whole groups) of packed W against M rows of x, up to 4 rows of x a pass over a group;
// NAME: NAME_rows with the weight type a constant.
#define PACKED_ROWS(NAME, TARGET, GROUP_ROWS)                                                                    \
    __attribute__((target(TARGET), always_inline)) static inline void NAME##_rows(                            \
        int type, const void *packed, int64_t K, const ck_xblock *xq, int64_t M, float *y, int64_t ldy,        \
        int64_t n0, int64_t n1) {                                                                              \
        const int64_t nb = K / QK, gb = group_block_bytes(type);                                               \
        for (int64_t g = n0 / GROUP; g < n1 / GROUP; g++) {                                                    \
            const uint8_t *pg = (const uint8_t *)packed + g * nb * gb;                                         \
            for (int64_t m0 = 0; m0 < M; m0 += 4) {                                                            \
                const ck_xblock *xr = xq + m0 * nb;                                                            \
                float *yr = y + m0 * ldy + g * GROUP;                                                          \
                switch (M - m0 < 4 ? M - m0 : 4) {                                                             \
                case 1: GROUP_ROWS(type, pg, nb, xr, 1, yr, ldy); break;                                       \
                case 2: GROUP_ROWS(type, pg, nb, xr, 2, yr, ldy); break;                                       \
                case 3: GROUP_ROWS(type, pg, nb, xr, 3, yr, ldy); break;                                       \
                default: GROUP_ROWS(type, pg, nb, xr, 4, yr, ldy); break;                                      \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
    }                                                                                                          \
    __attribute__((target(TARGET))) static void NAME(int type, const void *packed, int64_t K, const ck_xblock *xq, \
                                                     int64_t M, float *y, int64_t ldy, int64_t n0, int64_t n1) { \
        switch (type) {                                                                                        \
        case CK_Q4_0: NAME##_rows(CK_Q4_0, packed, K, xq, M, y, ldy, n0, n1); break;                           \
        case CK_Q4_1: NAME##_rows(CK_Q4_1, packed, K, xq, M, y, ldy, n0, n1); break;                           \
        default: NAME##_rows(CK_Q8_0, packed, K, xq, M, y, ldy, n0, n1); break;                                \
        }                                                                                                      \
    }

PACKED_ROWS(matmul_packed_vnni, "avx512vnni,avx512bw,avx512f,avx512vl,f16c,fma", group_rows)
PACKED_ROWS(matmul_packed_avx2, "avx2,f16c,fma", group_rows_avx2)

void ck_matmul_rows_packed(int type, const void *packed, int64_t K, const ck_xblock *xq, int64_t M, float *y,
                           int64_t ldy, int64_t n0, int64_t n1) {
    if (ck_q8_uses_vnni()) matmul_packed_vnni(type, packed, K, xq, M, y, ldy, n0, n1);
    else matmul_packed_avx2(type, packed, K, xq, M, y, ldy, n0, n1);
}
