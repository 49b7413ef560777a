/* onednn.c: the oneDNN matrix-product backend (Debian libdnnl-dev, 2.6):
 * fp32 products through dnnl_sgemm (AVX-512 kernels), native bf16 products
 * with fp32 accumulation and the blocks of fp32 symmetric products through
 * matmul primitives (created once per shape and cached: in one shared
 * cache, or in a batch worker's own), symmetric products on (mostly) the
 * upper block triangle only.
 * oneDNN has no fp64 products: dgemm/dsyrk go to CBLAS (OpenBLAS).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include "linalg_impl.h"
#include "muon/linalg.h"
#include "muon/status.h"

/* Symmetric products (docs/PERFLOG.md, v6), fp32 and bf16 alike: up to
 * SYRK_FULL rows one full product (the wasted lower half costs less than a
 * second call); below SYRK_HALVE rows SYRK_PANELS row panels, panel i a
 * product of its rows against rows i.. (4 panels do 62.5% of the full
 * product's flops in 4 calls of shapes oneDNN threads well); from
 * SYRK_HALVE rows up, recursive halving (a large off-diagonal product, two
 * diagonal blocks).  Blocks on the diagonal are computed whole, so the
 * strictly lower triangle gets written too (linalg.h allows it). */
#define SYRK_FULL 192
#define SYRK_PANELS 4
#define SYRK_HALVE 2048

/* One rectangular block of a symmetric product: rows i.. (M of them)
 * against rows j.. (N of them), into C[i][j]. */
typedef int (*sym_block_fn)(void *ctx, size_t i, size_t j, size_t M,
                            size_t N);

static size_t team_threads(void);
static int sym_panels_team(size_t N, size_t off, sym_block_fn f, void *ctx,
                           size_t team);

/* Calls f for each block of the upper triangle of an N x N symmetric
 * product whose first row is off; stops at the first non-zero return.
 * Panels run on the OpenMP team when there is one (sym_panels_team). */
static int
sym_plan(size_t N, size_t off, sym_block_fn f, void *ctx)
{
    if (N == 0)
        return 0;
    if (N <= SYRK_FULL)
        return f(ctx, off, off, N, N);
    int rc;
    if (N >= SYRK_HALVE) {
        /* Split at a multiple of 16 (aligned panels for the kernels). */
        size_t h = (N / 2 + 15) & ~(size_t)15;
        if ((rc = sym_plan(h, off, f, ctx)) ||
            (rc = f(ctx, off, off + h, h, N - h)))
            return rc;
        return sym_plan(N - h, off + h, f, ctx);
    }
    size_t team = team_threads();
    if (team >= 2)
        return sym_panels_team(N, off, f, ctx, team);
    size_t p = ((N + SYRK_PANELS - 1) / SYRK_PANELS + 15) & ~(size_t)15;
    for (size_t i = 0; i < N; i += p)
        if ((rc = f(ctx, off + i, off + i, N - i < p ? N - i : p, N - i)))
            return rc;
    return 0;
}

/* ---- fp32 ------------------------------------------------------------- */

static void
od_sgemm(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
         const float *A, size_t lda, const float *B, size_t ldb, float beta,
         float *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N',
                                  (dnnl_dim_t)M, (dnnl_dim_t)N, (dnnl_dim_t)K,
                                  alpha, A, (dnnl_dim_t)lda, B,
                                  (dnnl_dim_t)ldb, beta, C, (dnnl_dim_t)ldc);
    if (st != dnnl_success)
        /* oneDNN refused (it should not for valid shapes): the product is
         * still computed, by OpenBLAS. */
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                    tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
                    alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* fp64: oneDNN has none; the CBLAS wrappers of openblas.c serve. */

/* ---- matmul primitives cached per shape -------------------------------- *
 * For the bf16 products, and for the fp32 blocks of symmetric products,
 * where the matmul primitive's brgemm kernels run A B^T 1.1-1.6x faster
 * than dnnl_sgemm at these shapes (docs/PERFLOG.md, v6 and v7). */

typedef struct {
    int used;
    dnnl_data_type_t dt, cdt; /* of A and B; of C */
    int ta, tb;
    size_t M, N, K, lda, ldb, ldc;
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, dst; /* handles re-pointed at every call */
} mm_entry;

/* A set of entries and the stream they run on, used by one thread at a
 * time: the shared cache under its lock, or a batch worker's own. */
typedef struct {
    dnnl_stream_t stream;
    size_t n, next; /* entries; round-robin victim when all are used */
    mm_entry *e;
} mm_cache;

#define MM_CACHE 256
/* A worker's cache serves one workspace's shapes: a handful (two
 * symmetric products of up to a few blocks each, one bf16 product). */
#define MM_LOCAL 32

static mm_entry mm_shared[MM_CACHE];

static struct {
    pthread_mutex_t lock;
    pthread_once_t once;
    dnnl_status_t init_status;
    dnnl_engine_t engine; /* one engine serves every cache */
    mm_cache c;
} mm = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_ONCE_INIT, dnnl_success, NULL,
        {NULL, MM_CACHE, 0, mm_shared}};

/* A batch worker's cache (linalg.h: local_new).  Its primitives are made
 * in a thread limited to one OpenMP thread (batch_begin/worker_init), as
 * the worker that runs them is: a primitive divides its work for the
 * thread count it was made with.  (Run in a worker, one made for the whole
 * machine still starts no OpenMP team there: strace counts one clone per
 * two-thread batch either way.) */
struct muon_linalg_local {
    mm_cache c;
    mm_entry e[MM_LOCAL];
};

/* The caches of a symmetric product's panel team (sym_panels_team), one
 * per team thread, each under its own lock: two callers' teams may run at
 * once.  While a team thread holds its slot, team_cache points at it. */
#define TEAM_MAX 16

static struct {
    pthread_mutex_t lock;
    mm_cache c;
    mm_entry e[MM_CACHE];
} team_slot[TEAM_MAX];

static __thread mm_cache *team_cache;

/* The engine, and the streams of the shared cache and the team slots. */
static void
mm_init(void)
{
    mm.init_status = dnnl_engine_create(&mm.engine, dnnl_cpu, 0);
    if (mm.init_status == dnnl_success)
        mm.init_status = dnnl_stream_create(&mm.c.stream, mm.engine,
                                            dnnl_stream_default_flags);
    for (size_t t = 0; t < TEAM_MAX; t++) {
        pthread_mutex_init(&team_slot[t].lock, NULL);
        team_slot[t].c = (mm_cache){NULL, MM_CACHE, 0, team_slot[t].e};
        if (mm.init_status == dnnl_success)
            mm.init_status = dnnl_stream_create(&team_slot[t].c.stream,
                                                mm.engine,
                                                dnnl_stream_default_flags);
    }
}

static void
mm_entry_clear(mm_entry *e)
{
    if (e->prim)
        dnnl_primitive_destroy(e->prim);
    if (e->src)
        dnnl_memory_destroy(e->src);
    if (e->wei)
        dnnl_memory_destroy(e->wei);
    if (e->dst)
        dnnl_memory_destroy(e->dst);
    memset(e, 0, sizeof *e);
}

/* Creates the primitive and memory objects for one shape.  Row-major
 * operands with leading dimensions are described by strides; a transposed
 * operand is the same storage with the strides swapped. */
static dnnl_status_t
mm_entry_make(mm_entry *e, dnnl_data_type_t dt, dnnl_data_type_t cdt, int ta,
              int tb, size_t M, size_t N, size_t K, size_t lda, size_t ldb,
              size_t ldc)
{
    dnnl_memory_desc_t a_md, b_md, c_md;
    dnnl_dims_t a_dims = {(dnnl_dim_t)M, (dnnl_dim_t)K};
    dnnl_dims_t b_dims = {(dnnl_dim_t)K, (dnnl_dim_t)N};
    dnnl_dims_t c_dims = {(dnnl_dim_t)M, (dnnl_dim_t)N};
    dnnl_dims_t a_str = {ta ? 1 : (dnnl_dim_t)lda, ta ? (dnnl_dim_t)lda : 1};
    dnnl_dims_t b_str = {tb ? 1 : (dnnl_dim_t)ldb, tb ? (dnnl_dim_t)ldb : 1};
    dnnl_dims_t c_str = {(dnnl_dim_t)ldc, 1};
    dnnl_matmul_desc_t md;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st;
    memset(e, 0, sizeof *e);
    if ((st = dnnl_memory_desc_init_by_strides(&a_md, 2, a_dims, dt,
                                               a_str)) ||
        (st = dnnl_memory_desc_init_by_strides(&b_md, 2, b_dims, dt,
                                               b_str)) ||
        (st = dnnl_memory_desc_init_by_strides(&c_md, 2, c_dims, cdt,
                                               c_str)) ||
        (st = dnnl_matmul_desc_init(&md, &a_md, &b_md, NULL, &c_md)) ||
        (st = dnnl_primitive_desc_create(&pd, &md, NULL, mm.engine, NULL)) ||
        (st = dnnl_primitive_create(&e->prim, pd)) ||
        (st = dnnl_memory_create(&e->src, &a_md, mm.engine,
                                 DNNL_MEMORY_NONE)) ||
        (st = dnnl_memory_create(&e->wei, &b_md, mm.engine,
                                 DNNL_MEMORY_NONE)) ||
        (st = dnnl_memory_create(&e->dst, &c_md, mm.engine,
                                 DNNL_MEMORY_NONE))) {
        if (pd)
            dnnl_primitive_desc_destroy(pd);
        mm_entry_clear(e);
        return st;
    }
    dnnl_primitive_desc_destroy(pd); /* the primitive keeps its own copy */
    e->used = 1;
    e->dt = dt;
    e->cdt = cdt;
    e->ta = ta;
    e->tb = tb;
    e->M = M;
    e->N = N;
    e->K = K;
    e->lda = lda;
    e->ldb = ldb;
    e->ldc = ldc;
    return dnnl_success;
}

/* The entry of c for this shape, created on first use (evicting
 * round-robin when c is full); NULL with *st set when creation fails. */
static mm_entry *
mm_lookup(mm_cache *c, dnnl_data_type_t dt, dnnl_data_type_t cdt, int ta,
          int tb, size_t M, size_t N, size_t K, size_t lda, size_t ldb,
          size_t ldc, dnnl_status_t *st)
{
    for (size_t i = 0; i < c->n; i++) {
        mm_entry *x = &c->e[i];
        if (x->used && x->dt == dt && x->cdt == cdt && x->ta == ta &&
            x->tb == tb && x->M == M && x->N == N && x->K == K &&
            x->lda == lda && x->ldb == ldb && x->ldc == ldc)
            return x;
    }
    size_t slot = c->n;
    for (size_t i = 0; i < c->n && slot == c->n; i++)
        if (!c->e[i].used)
            slot = i;
    if (slot == c->n) {
        slot = c->next;
        c->next = (c->next + 1) % c->n;
        mm_entry_clear(&c->e[slot]);
    }
    *st = mm_entry_make(&c->e[slot], dt, cdt, ta, tb, M, N, K, lda, ldb, ldc);
    return *st == dnnl_success ? &c->e[slot] : NULL;
}

/* C = op(A) op(B) through c's entry for this shape.  The entry's memory
 * objects are re-pointed at A, B and C, so c must not be used by another
 * thread until this returns. */
static dnnl_status_t
mm_run_in(mm_cache *c, dnnl_data_type_t dt, dnnl_data_type_t cdt, int ta,
          int tb, size_t M, size_t N, size_t K, const void *A, size_t lda,
          const void *B, size_t ldb, void *C, size_t ldc)
{
    dnnl_status_t st;
    mm_entry *e = mm_lookup(c, dt, cdt, ta, tb, M, N, K, lda, ldb, ldc, &st);
    if (!e)
        return st;
    dnnl_memory_set_data_handle(e->src, (void *)A);
    dnnl_memory_set_data_handle(e->wei, (void *)B);
    dnnl_memory_set_data_handle(e->dst, C);
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, e->src},
                               {DNNL_ARG_WEIGHTS, e->wei},
                               {DNNL_ARG_DST, e->dst}};
    st = dnnl_primitive_execute(e->prim, c->stream, 3, args);
    if (st == dnnl_success)
        st = dnnl_stream_wait(c->stream);
    return st;
}

/* C = op(A) op(B) through the cached primitive for this shape (created on
 * first use): A and B of type dt, C of type cdt (a bf16 C is the fp32
 * accumulation rounded once, to nearest even).  M, N, K > 0.  In a batch
 * worker with a cache of its own, that cache serves, without a lock;
 * elsewhere the shared cache, under its lock.  Returns the dnnl status. */
static dnnl_status_t
mm_run(dnnl_data_type_t dt, dnnl_data_type_t cdt, int ta, int tb, size_t M,
       size_t N, size_t K, const void *A, size_t lda, const void *B, size_t ldb,
       void *C, size_t ldc)
{
    pthread_once(&mm.once, mm_init);
    if (mm.init_status != dnnl_success)
        return mm.init_status;
    muon_linalg_local *l = muon_linalg_worker_local();
    if (l)
        return mm_run_in(&l->c, dt, cdt, ta, tb, M, N, K, A, lda, B, ldb, C,
                         ldc);
    if (team_cache) /* its slot's lock is held by this thread */
        return mm_run_in(team_cache, dt, cdt, ta, tb, M, N, K, A, lda, B, ldb,
                         C, ldc);
    /* The shared memory objects: keep the lock through the execution. */
    pthread_mutex_lock(&mm.lock);
    dnnl_status_t st =
        mm_run_in(&mm.c, dt, cdt, ta, tb, M, N, K, A, lda, B, ldb, C, ldc);
    pthread_mutex_unlock(&mm.lock);
    return st;
}

static void
od_local_free(muon_linalg_local *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < MM_LOCAL; i++)
        mm_entry_clear(&l->e[i]);
    if (l->c.stream)
        dnnl_stream_destroy(l->c.stream);
    free(l);
}

static int
od_local_new(muon_linalg_local **out)
{
    pthread_once(&mm.once, mm_init);
    if (mm.init_status != dnnl_success)
        return MUON_ERROR(MUON_EINTERNAL, "onednn: no CPU engine (dnnl "
                          "status %d)", (int)mm.init_status);
    muon_linalg_local *l = calloc(1, sizeof *l);
    if (!l)
        return MUON_ERROR(MUON_ENOMEM, "onednn: out of memory for a "
                          "worker's primitive cache");
    l->c = (mm_cache){NULL, MM_LOCAL, 0, l->e};
    dnnl_status_t st =
        dnnl_stream_create(&l->c.stream, mm.engine, dnnl_stream_default_flags);
    if (st != dnnl_success) {
        od_local_free(l);
        return MUON_ERROR(st == dnnl_out_of_memory ? MUON_ENOMEM
                                                   : MUON_EINTERNAL,
                          "onednn: a worker's stream (dnnl status %d)",
                          (int)st);
    }
    *out = l;
    return MUON_SUCCESS;
}

static int
od_sbgemm(int ta, int tb, size_t M, size_t N, size_t K, const uint16_t *A,
          size_t lda, const uint16_t *B, size_t ldb, uint16_t *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return MUON_SUCCESS;
    if (K == 0) {
        for (size_t i = 0; i < M; i++)
            memset(C + i * ldc, 0, N * sizeof *C);
        return MUON_SUCCESS;
    }
    dnnl_status_t st = mm_run(dnnl_bf16, dnnl_bf16, ta, tb, M, N, K, A, lda,
                              B, ldb, C, ldc);
    if (st != dnnl_success)
        return MUON_ERROR(st == dnnl_out_of_memory ? MUON_ENOMEM
                                                   : MUON_EINTERNAL,
                          "onednn: bf16 matmul %zu x %zu x %zu (ta %d, tb %d, "
                          "ld %zu/%zu/%zu) failed (dnnl status %d)", M, N, K,
                          ta, tb, lda, ldb, ldc, (int)st);
    return MUON_SUCCESS;
}

/* ---- symmetric products ------------------------------------------------ */

typedef struct {
    size_t K, lda, ldc;
    float alpha, beta;
    const float *A;
    float *C;
} s_sym;

static int
s_block(void *ctx, size_t i, size_t j, size_t M, size_t N)
{
    const s_sym *q = ctx;
    const float *a = q->A + i * q->lda, *b = q->A + j * q->lda;
    float *c = q->C + i * q->ldc + j;
    /* The cached primitive serves the plain product (beta 0; an alpha
     * other than 1, as in the first step of the front end's folded route,
     * scales the block afterwards, an M x N pass against M N K
     * multiply-adds) outside batches and in batch workers with a cache of
     * their own (the others would queue on the shared cache's lock);
     * dnnl_sgemm serves the rest, and any shape the primitive refuses. */
    if (q->beta == 0.0f && q->K > 0 &&
        (!muon_linalg_in_worker() || muon_linalg_worker_local()) &&
        mm_run(dnnl_f32, dnnl_f32, 0, 1, M, N, q->K, a, q->lda, b, q->lda, c,
               q->ldc) == dnnl_success) {
        if (q->alpha != 1.0f)
            for (size_t r = 0; r < M; r++)
                for (size_t k = 0; k < N; k++)
                    c[r * q->ldc + k] *= q->alpha;
        return 0;
    }
    od_sgemm(0, 1, M, N, q->K, q->alpha, a, q->lda, b, q->lda, q->beta, c,
             q->ldc);
    return 0;
}

static void
od_ssyrk(size_t N, size_t K, float alpha, const float *A, size_t lda,
         float beta, float *C, size_t ldc)
{
    s_sym q = {K, lda, ldc, alpha, beta, A, C};
    sym_plan(N, 0, s_block, &q);
}

typedef struct {
    size_t K, lda, ldc;
    const uint16_t *A;
    uint16_t *C;
} sb_sym;

static int
sb_block(void *ctx, size_t i, size_t j, size_t M, size_t N)
{
    const sb_sym *q = ctx;
    return od_sbgemm(0, 1, M, N, q->K, q->A + i * q->lda, q->lda,
                     q->A + j * q->lda, q->lda, q->C + i * q->ldc + j,
                     q->ldc);
}

static int
od_sbsyrk(size_t N, size_t K, const uint16_t *A, size_t lda, uint16_t *C,
          size_t ldc)
{
    sb_sym q = {K, lda, ldc, A, C};
    return sym_plan(N, 0, sb_block, &q);
}

/* ---- threads ----------------------------------------------------------- */

/* The team for a symmetric product's panels: oneDNN's own OpenMP team,
 * unless this thread is a batch worker or already in a parallel region. */
static size_t
team_threads(void)
{
    if (muon_linalg_in_worker() || omp_in_parallel())
        return 1;
    int n = omp_get_max_threads();
    return n < 1 ? 1 : n > TEAM_MAX ? TEAM_MAX : (size_t)n;
}

/* The panels of a symmetric product on a team of threads, each panel one
 * single-threaded product (docs/PERFLOG.md, v8): 2 nt row panels, thread t
 * taking panels t and 2 nt - 1 - t, so that every thread gets 2 nt + 1
 * blocks' worth of work.  A panel's own product, split across threads,
 * ran at ~70% of the rate of the plain product it is compared with; alone
 * on its thread it does not need splitting.  Each thread's primitives sit
 * in its slot's cache, made for one thread (made on first use: the
 * workspace's warm-up; the slots' streams are made by mm_init). */
static int
sym_panels_team(size_t N, size_t off, sym_block_fn f, void *ctx, size_t team)
{
    pthread_once(&mm.once, mm_init);
    if (mm.init_status != dnnl_success)
        return MUON_ERROR(MUON_EINTERNAL, "onednn: CPU engine or streams not "
                          "created (dnnl status %d)", (int)mm.init_status);
    int rc[TEAM_MAX] = {0};
    /* A team thread's report lands in its own last-error buffer: copied
     * here, it is reported again in the calling thread. */
    char why[TEAM_MAX][256];
#pragma omp parallel num_threads((int)team)
    {
        size_t t = (size_t)omp_get_thread_num();
        size_t np = 2 * (size_t)omp_get_num_threads();
        size_t p = ((N + np - 1) / np + 15) & ~(size_t)15;
        pthread_mutex_lock(&team_slot[t].lock);
        omp_set_num_threads(1); /* this thread's products: one thread */
        team_cache = &team_slot[t].c;
        const size_t mine[2] = {t, np - 1 - t};
        for (size_t q = 0; q < 2 && !rc[t]; q++) {
            size_t i = mine[q] * p;
            if (i < N)
                rc[t] = f(ctx, off + i, off + i, N - i < p ? N - i : p,
                          N - i);
        }
        team_cache = NULL;
        pthread_mutex_unlock(&team_slot[t].lock);
        if (rc[t] && t > 0)
            snprintf(why[t], sizeof why[t], "%s", muon_last_error());
    }
    for (size_t t = 0; t < team; t++)
        if (rc[t])
            return t == 0 ? rc[t]
                          : MUON_ERROR(rc[t], "%s (team thread %zu)", why[t],
                                       t);
    return 0;
}

/* A batch's shares on the OpenMP team oneDNN's own products run on
 * (Debian's libdnnl is built on libgomp).  After every product that team
 * spins awhile before it sleeps, and a thread of ours started then would
 * share a core with a spinning one: on this team the spinning thread
 * takes the work instead (docs/PERFLOG.md, v7).  Products inside the
 * parallel region run sequentially (oneDNN starts no nested team).  A
 * team smaller than n (in a caller's own parallel region: 1) runs the
 * shares in turn. */
static void
od_run_threads(size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
#pragma omp parallel num_threads((int)n)
    {
        size_t all = (size_t)omp_get_num_threads();
        for (size_t i = (size_t)omp_get_thread_num(); i < n; i += all)
            fn(arg, i);
    }
}

const muon_linalg_backend muon_linalg_onednn = {
    .name = "onednn",
    .description = "oneDNN: fp32 dnnl_sgemm (AVX-512), native bf16 matmul "
                   "with fp32 accumulation; fp64 via CBLAS",
    .sgemm = od_sgemm,
    .dgemm = muon_cblas_dgemm,
    .ssyrk = od_ssyrk,
    .dsyrk = muon_cblas_dsyrk,
    .sbgemm = od_sbgemm,
    .sbsyrk = od_sbsyrk,
    .caches_shapes = 1,
    .local_new = od_local_new,
    .local_free = od_local_free,
    .run_threads = od_run_threads,
};
