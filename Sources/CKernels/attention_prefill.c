// Causal attention for a prompt (many queries at once) on the kernels' pool: tasks of one head and a block of up to
// 32 queries, each computing its scores only for the keys its queries may see (the causal mask skips the rest), a
// row softmax, and the values' weighted sum, with register tiles written once with vector types for three widths
// (AVX-512, AVX2, plain C), after one pass that transposes every key head. It replaces per-head sgemm calls, whose
// BLAS threads spun against the pool's.
#include "ckernels.h"
#include "internal.h"
#include <stdlib.h>

#define QB 32  // queries a task
#define TR 4   // query rows a register tile

#define KB 64  // keys a transposing task; the transposed keys' row length is a multiple of it

typedef struct {
    const float *q; int64_t qs; const float *k, *v; int64_t ks; float *out;
    int64_t T, p0, dim, group, heads; float scale;
    float *kt; int64_t lp;  // every key head transposed: (kvHeads, dim, lp), zero past the last key
} prefill_job;


// One task's work at vector width VW (floats) with NV vectors of keys a score tile (NV * VW divides KB), with Kt the
// head's keys transposed (dim, lp):
//   S (rows, Lp) = q Kt, tiles of TR rows x NV*VW keys, each row group only up to the last key its last row sees;
//   softmax of each row over the keys it sees (scaled), zero after;
//   out rows = S V, tiles of TR rows x up to 4 vectors of the head's dimensions.
// Rows past the end of a group repeat the group's last row and are not stored.
#define DEFINE_PREFILL(NAME, ATTR, VW, NV)                                                                           \
    typedef float NAME##_v __attribute__((vector_size(VW * 4), aligned(4), may_alias));                                         \
    ATTR __attribute__((always_inline)) static inline void NAME##_pv(const float *S, int64_t Lp, const float *v,      \
                                      int64_t ks, float *o, int64_t qs, int rows, int64_t first, int nv) {           \
        NAME##_v acc[TR][4];                                                                                         \
        for (int r = 0; r < TR; r++)                                                                                 \
            for (int c = 0; c < 4; c++) acc[r][c] = (NAME##_v){0};                                                   \
        /* row r sees keys 0 .. first + r - 1: all rows take the first `first`, then row r its own r more (a key a */ \
        /* row cannot see is skipped, not weighted 0: 0 * inf would be NaN) */                                       \
        for (int64_t j = 0; j < first + rows - 1; j++) {                                                             \
            NAME##_v vv[4];                                                                                          \
            for (int c = 0; c < nv; c++) vv[c] = *(const NAME##_v *)(v + j * ks + c * VW);                           \
            for (int r = 0; r < TR; r++) {                                                                           \
                const float p = S[(r < rows ? r : rows - 1) * Lp + j];                                               \
                if (j < first + r)                                                                                   \
                    for (int c = 0; c < nv; c++) acc[r][c] += vv[c] * p;                                             \
            }                                                                                                        \
        }                                                                                                            \
        for (int r = 0; r < TR; r++)  /* constant bounds keep the sums in registers */                              \
            for (int c = 0; c < nv; c++)                                                                             \
                if (r < rows) *(NAME##_v *)(o + r * qs + c * VW) = acc[r][c];                                        \
    }                                                                                                                \
    ATTR static void NAME##_task(const prefill_job *jb, int64_t h, int64_t t0, int64_t t1) {                         \
        const int64_t dim = jb->dim, g = h / jb->group, rows = t1 - t0, Lend = jb->p0 + t1;                          \
        const int64_t Lp = (Lend + NV * VW - 1) / (NV * VW) * (NV * VW);                                             \
        const int64_t lp = jb->lp;                                                                                   \
        const float *Kt = jb->kt + g * dim * lp, *vh = jb->v + g * dim;                                              \
        float *S = ck_thread_buffer(CK_BUFFER_SCORES, rows * Lp);                                                                         \
        int64_t valid[QB];                                                                                           \
        for (int64_t r = 0; r < rows; r++) valid[r] = jb->p0 + t0 + r + 1;                                           \
        for (int64_t r0 = 0; r0 < rows; r0 += TR) {                                                                  \
            const int R = (int)(rows - r0 < TR ? rows - r0 : TR);                                                    \
            const float *qr[TR];                                                                                     \
            for (int r = 0; r < TR; r++) qr[r] = jb->q + (t0 + r0 + (r < R ? r : R - 1)) * jb->qs + h * dim;         \
            const int64_t seen = valid[r0 + R - 1];                                                                  \
            for (int64_t j0 = 0; j0 < seen; j0 += NV * VW) {                                                         \
                NAME##_v acc[TR][NV];                                                                                \
                for (int r = 0; r < TR; r++)                                                                         \
                    for (int c = 0; c < NV; c++) acc[r][c] = (NAME##_v){0};                                          \
                for (int64_t d = 0; d < dim; d++) {                                                                  \
                    NAME##_v kv[NV];                                                                                 \
                    for (int c = 0; c < NV; c++) kv[c] = *(const NAME##_v *)(Kt + d * lp + j0 + c * VW);             \
                    for (int r = 0; r < TR; r++) {                                                                   \
                        const float x = qr[r][d];                                                                    \
                        for (int c = 0; c < NV; c++) acc[r][c] += kv[c] * x;                                         \
                    }                                                                                                \
                }                                                                                                    \
                for (int r = 0; r < TR; r++)                                                                         \
                    for (int c = 0; c < NV; c++)                                                                     \
                        if (r < R) *(NAME##_v *)(S + (r0 + r) * Lp + j0 + c * VW) = acc[r][c];                       \
            }                                                                                                        \
        }                                                                                                            \
        ck_softmax_rows(S, rows, Lend, Lp, valid, jb->scale);                                                        \
        for (int64_t r0 = 0; r0 < rows; r0 += TR) {                                                                  \
            const int R = (int)(rows - r0 < TR ? rows - r0 : TR);                                                    \
            float *o = jb->out + (t0 + r0) * jb->qs + h * dim;                                                       \
            for (int64_t c0 = 0; c0 < dim; c0 += 4 * VW) {                                                           \
                switch ((dim - c0) / VW < 4 ? (dim - c0) / VW : 4) {                                                 \
                case 1: NAME##_pv(S + r0 * Lp, Lp, vh + c0, jb->ks, o + c0, jb->qs, R, valid[r0], 1); break;           \
                case 2: NAME##_pv(S + r0 * Lp, Lp, vh + c0, jb->ks, o + c0, jb->qs, R, valid[r0], 2); break;           \
                case 3: NAME##_pv(S + r0 * Lp, Lp, vh + c0, jb->ks, o + c0, jb->qs, R, valid[r0], 3); break;           \
                default: NAME##_pv(S + r0 * Lp, Lp, vh + c0, jb->ks, o + c0, jb->qs, R, valid[r0], 4); break;          \
                }                                                                                                    \
            }                                                                                                        \
        }                                                                                                            \
    }

DEFINE_PREFILL(avx512, __attribute__((target("avx512f,fma"))), 16, 4)
DEFINE_PREFILL(avx2, __attribute__((target("avx2,fma"))), 8, 2)
DEFINE_PREFILL(plain, , 1, 4)

static void transpose_task(void *p, int64_t i, int64_t n) {
    (void)n;
    const prefill_job *jb = p;
    const int64_t chunks = jb->lp / KB, g = i / chunks, j0 = i % chunks * KB, L = jb->p0 + jb->T;
    const float *kh = jb->k + g * jb->dim;
    float *kt = jb->kt + g * jb->dim * jb->lp;
    for (int64_t j = j0; j < j0 + KB; j++)
        for (int64_t d = 0; d < jb->dim; d++) kt[d * jb->lp + j] = j < L ? kh[j * jb->ks + d] : 0;
}

static void prefill_task(void *p, int64_t i, int64_t n) {
    (void)n;
    const prefill_job *jb = p;
    const int64_t blocks = (jb->T + QB - 1) / QB;
    const int64_t b = blocks - 1 - i / jb->heads, h = i % jb->heads;  // the longest blocks first
    const int64_t t0 = b * QB, t1 = t0 + QB < jb->T ? t0 + QB : jb->T;
    const int level = ck_simd_level();
    if (level == 2 && jb->dim % 16 == 0) avx512_task(jb, h, t0, t1);
    else if (level >= 1 && jb->dim % 8 == 0) avx2_task(jb, h, t0, t1);
    else plain_task(jb, h, t0, t1);
}

void ck_attention_prefill(const float *q, int64_t qs, const float *k, const float *v, int64_t ks, float *out,
                          int64_t T, int64_t p0, int64_t dim, int64_t group, int64_t heads, float scale) {
    const int64_t lp = (p0 + T + KB - 1) / KB * KB, kvHeads = heads / group;
    float *kt = ck_alloc((size_t)(kvHeads * dim * lp) * sizeof(float), "the prompt attention's transposed keys");
    prefill_job jb = {q, qs, k, v, ks, out, T, p0, dim, group, heads, scale, kt, lp};
    ck_parallel(kvHeads * (lp / KB), transpose_task, &jb);
    ck_parallel((T + QB - 1) / QB * heads, prefill_task, &jb);
    free(kt);
}
