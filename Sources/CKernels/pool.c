// The kernels' thread pool: persistent workers that spin on a job counter for a short while, then sleep on a
// condition variable; the calling thread takes tasks too. Plus the parallel forms of the hot kernels.
#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_THREADS 64
#define SPIN_ROUNDS 20000

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;   // one job at a time
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int nthreads = 0;          // threads in use, the caller included
static int started = 0;           // workers created

// One job: lives on the caller's stack; the caller returns only when every task is done and no worker is
// still inside it (`active` counts workers that may read it).
typedef struct {
    ck_task_fn fn;
    void *ctx;
    int64_t n;
    int simd;                     // the caller's SIMD override, applied on the workers too
    _Atomic int64_t next, done;
} job_t;

static _Atomic(job_t *) current = NULL;
static _Atomic uint64_t generation = 0;
static _Atomic int active = 0;       // workers that may be reading `current`
static _Atomic int sleepers = 0;
static _Atomic int job_workers = 0;  // workers allowed to join the current job
static _Atomic int parked = 0;       // 1: workers stop spinning and sleep (another thread pool needs the cores)

static void run_tasks(job_t *job) {
    for (;;) {
        const int64_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->n) break;
        job->fn(job->ctx, i, job->n);
        atomic_fetch_add(&job->done, 1);
    }
}

static void *worker(void *arg) {
    const int id = (int)(intptr_t)arg;
    uint64_t seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load(&generation) == seen) {
            if (++spins < SPIN_ROUNDS && !atomic_load_explicit(&parked, memory_order_relaxed)) { _mm_pause(); continue; }
            pthread_mutex_lock(&sleep_lock);
            atomic_fetch_add(&sleepers, 1);
            while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &sleep_lock);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&sleep_lock);
        }
        seen = atomic_load(&generation);
        if (id >= atomic_load(&job_workers)) continue;
        atomic_fetch_add(&active, 1);           // announce before looking at the job ...
        job_t *job = atomic_load(&current);     // ... so a caller that cleared it waits for us
        if (job) {
            const int saved = ck_simd_override();
            ck_set_simd_level(job->simd);
            run_tasks(job);
            ck_set_simd_level(saved);
        }
        atomic_fetch_sub(&active, 1);
    }
    return NULL;
}

static void init_threads(void) {
    if (nthreads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : (int)n);
    }
}

void ck_set_threads(int n) {
    pthread_once(&once, init_threads);
    pthread_mutex_lock(&job_lock);
    nthreads = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
    pthread_mutex_unlock(&job_lock);
}

int ck_get_threads(void) { pthread_once(&once, init_threads); return nthreads; }

void ck_parallel(int64_t ntasks, ck_task_fn fn, void *ctx) {
    pthread_once(&once, init_threads);
    if (ntasks <= 0) return;
    pthread_mutex_lock(&job_lock);
    if (nthreads <= 1 || ntasks == 1) {
        for (int64_t i = 0; i < ntasks; i++) fn(ctx, i, ntasks);
        pthread_mutex_unlock(&job_lock);
        return;
    }
    while (started < nthreads - 1) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, (void *)(intptr_t)started) != 0) break;
        pthread_detach(t);
        started++;
    }
    job_t job = {fn, ctx, ntasks, ck_simd_override(), 0, 0};
    atomic_store(&parked, 0);
    atomic_store(&job_workers, nthreads - 1);
    atomic_store(&current, &job);
    atomic_fetch_add(&generation, 1);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    run_tasks(&job);
    while (atomic_load(&job.done) < ntasks) _mm_pause();
    atomic_store(&current, NULL);               // no worker picks the job up from here on ...
    while (atomic_load(&active) > 0) _mm_pause();  // ... and those that did have left it
    pthread_mutex_unlock(&job_lock);
}

void ck_pool_park(void) { atomic_store(&parked, 1); }

void *ck_alloc(size_t bytes, const char *what) {
    void *p = malloc(bytes);
    if (!p && bytes > 0) {
        fprintf(stderr, "mimic: out of memory: %zu bytes for %s\n", bytes, what);
        abort();
    }
    return p;
}

typedef struct { float *p[CK_BUFFERS]; int64_t cap[CK_BUFFERS]; } thread_buffers;
static pthread_key_t buffers_key;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;
static void free_buffers(void *p) {
    thread_buffers *b = p;
    for (int i = 0; i < CK_BUFFERS; i++) free(b->p[i]);
    free(b);
}
static void make_buffers_key(void) { pthread_key_create(&buffers_key, free_buffers); }

float *ck_thread_buffer(int slot, int64_t n) {
    pthread_once(&buffers_once, make_buffers_key);
    thread_buffers *b = pthread_getspecific(buffers_key);
    if (!b) {
        b = ck_alloc(sizeof(thread_buffers), "a thread's kernel buffers");
        for (int i = 0; i < CK_BUFFERS; i++) { b->p[i] = NULL; b->cap[i] = 0; }
        pthread_setspecific(buffers_key, b);
    }
    if (n > b->cap[slot]) {
        free(b->p[slot]);
        b->p[slot] = ck_alloc((size_t)n * sizeof(float), "a thread's kernel buffer");
        b->cap[slot] = n;
    }
    return b->p[slot];
}

// ---- parallel kernels ----

typedef struct { int type; const void *src; float *dst; int64_t rows, cols, rowBytes; } dequant_job;

static void dequant_task(void *p, int64_t i, int64_t n) {
    const dequant_job *j = p;
    const int64_t r0 = j->rows * i / n, r1 = j->rows * (i + 1) / n;
    if (r0 < r1) ck_dequantize(j->type, (const uint8_t *)j->src + r0 * j->rowBytes, j->dst + r0 * j->cols, (r1 - r0) * j->cols);
}

void ck_dequantize_rows(int type, const void *src, float *dst, int64_t rows, int64_t cols) {
    const int be = ck_block_elements(type);
    if (be == 0) return;
    dequant_job j = {type, src, dst, rows, cols, cols / be * ck_block_bytes(type)};
    int64_t tasks = ck_get_threads();
    if (tasks > rows) tasks = rows;
    ck_parallel(tasks, dequant_task, &j);
}

typedef struct {
    int type; const void *w; int64_t K; const float *x; const ck_xblock *xq; const uint16_t *xb; int64_t M; float *y;
    int64_t ldy, N; int rows;
} matmul_job;

static void matmul_task(void *p, int64_t i, int64_t n) {
    const matmul_job *j = p;
    // Split points on multiples of 6, the register tiles' weight rows (no tile repeats rows inside a task's range).
    const int64_t n0 = j->N * i / n / 6 * 6, n1 = i == n - 1 ? j->N : j->N * (i + 1) / n / 6 * 6;
    if (n0 >= n1) return;
    if (j->xb) ck_matmul_rows_bf16(j->w, j->K, j->xb, j->M, j->y, j->ldy, n0, n1);
    else if (j->xq) ck_matmul_rows_q8(j->type, j->w, j->K, j->xq, j->M, j->y, j->ldy, n0, n1);
    else ck_matmul_rows(j->type, j->w, j->K, j->x, j->M, j->y, j->ldy, n0, n1, j->rows);
}

// The n activations x rounded to 8-bit blocks, in `stack` (room for 256 blocks) when they fit, else in memory the
// caller frees when the result is not `stack`.
static ck_xblock *rounded_to_8_bits(const float *x, int64_t n, ck_xblock *stack) {
    ck_xblock *xq = n / 32 <= 256 ? stack : ck_alloc((size_t)(n / 32) * sizeof(ck_xblock), "activations rounded to 8 bits");
    ck_quantize_q8(x, xq, n);
    return xq;
}

void ck_matmul(int type, const void *w, int64_t K, const float *x, int64_t M, float *y, int64_t ldy, int64_t N,
               int round_activations, int rows) {
    ck_xblock stack[256], *xq = NULL;
    uint16_t bstack[8192], *xb = NULL;
    if (round_activations && ck_bf16_path(type, K)) {
        xb = M * K <= 8192 ? bstack : ck_alloc((size_t)(M * K) * sizeof(uint16_t), "activations rounded to BF16");
        ck_round_bf16(x, xb, M * K);
    } else if (round_activations && ck_q8_path(type, K)) {
        xq = rounded_to_8_bits(x, M * K, stack);
    }
    matmul_job j = {type, w, K, x, xq, xb, M, y, ldy, N, rows};
    int64_t tasks = (int64_t)ck_get_threads() * 4;
    if (tasks > N) tasks = N;
    ck_parallel(tasks, matmul_task, &j);
    if (xq && xq != stack) free(xq);
    if (xb && xb != bstack) free(xb);
}

typedef struct { int type; const void *packed; int64_t K; const ck_xblock *xq; int64_t M; float *y; int64_t ldy, N; } packed_job;

static void packed_task(void *p, int64_t i, int64_t n) {
    const packed_job *j = p;
    const int64_t groups = j->N / 16, g0 = groups * i / n, g1 = groups * (i + 1) / n;
    if (g0 < g1) ck_matmul_rows_packed(j->type, j->packed, j->K, j->xq, j->M, j->y, j->ldy, 16 * g0, 16 * g1);
}

void ck_matmul_packed(int type, const void *packed, int64_t K, const float *x, int64_t M, float *y, int64_t ldy,
                      int64_t N) {
    ck_xblock stack[256], *xq = rounded_to_8_bits(x, M * K, stack);
    packed_job j = {type, packed, K, xq, M, y, ldy, N};
    int64_t tasks = (int64_t)ck_get_threads() * 4;
    if (tasks > N / 16) tasks = N / 16;
    ck_parallel(tasks, packed_task, &j);
    if (xq != stack) free(xq);
}

typedef struct {
    const float *q; int64_t qs; const float *k, *v; int64_t ks; float *out;
    int64_t T, p0, dim, group, heads; float scale; float *scores;
} attention_job;

static void attention_task(void *p, int64_t i, int64_t n) {
    const attention_job *j = p;
    const int64_t h0 = j->heads * i / n, h1 = j->heads * (i + 1) / n;
    if (h0 < h1)
        ck_attention(j->q, j->qs, j->k, j->v, j->ks, j->out, j->T, j->p0, j->dim, j->group, h0, h1, j->scale,
                     j->scores + i * (j->p0 + j->T));
}

void ck_attention_parallel(const float *q, int64_t qs, const float *k, const float *v, int64_t ks, float *out,
                           int64_t T, int64_t p0, int64_t dim, int64_t group, int64_t heads, float scale, float *scores,
                           int64_t slots) {
    attention_job j = {q, qs, k, v, ks, out, T, p0, dim, group, heads, scale, scores};
    int64_t tasks = ck_get_threads();
    if (tasks > heads) tasks = heads;
    if (tasks > slots) tasks = slots;
    if (tasks < 1) return;
    ck_parallel(tasks, attention_task, &j);
}

typedef struct {
    int64_t B; const float *q; int64_t qs; const float *const *k, *const *v; int64_t ks; const int64_t *pos;
    float *out; int64_t dim, group, heads; float scale; int64_t longest;
} decode_attention_job;

static void decode_attention_task(void *p, int64_t i, int64_t n) {
    const decode_attention_job *j = p;
    const int64_t items = j->B * j->heads, e0 = items * i / n, e1 = items * (i + 1) / n;
    float *scores = ck_thread_buffer(CK_BUFFER_SCORES, j->longest);
    for (int64_t e = e0; e < e1; e++) {
        const int64_t b = e / j->heads, h = e % j->heads;
        ck_attention(j->q + b * j->qs, j->qs, j->k[b], j->v[b], j->ks, j->out + b * j->qs, 1, j->pos[b], j->dim,
                     j->group, h, h + 1, j->scale, scores);
    }
}

void ck_attention_decode(int64_t B, const float *q, int64_t qs, const float *const *k, const float *const *v,
                         int64_t ks, const int64_t *positions, float *out, int64_t dim, int64_t group, int64_t heads,
                         float scale) {
    int64_t longest = 0;
    for (int64_t b = 0; b < B; b++) longest = positions[b] + 1 > longest ? positions[b] + 1 : longest;
    int64_t tasks = (int64_t)ck_get_threads() * 4;
    if (tasks > B * heads) tasks = B * heads;
    if (tasks < 1) return;
    decode_attention_job j = {B, q, qs, k, v, ks, positions, out, dim, group, heads, scale, longest};
    ck_parallel(tasks, decode_attention_task, &j);
}
