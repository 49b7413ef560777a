/* registry.c: the list of compiled-in matrix-product backends, and the
 * OpenBLAS settings they run under (kernel set, thread count). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cblas.h>

#include "core/omp_pragma.h"
#include "linalg_impl.h"
#include "muon/linalg.h"
#include "muon/names.h"
#include "muon/status.h"
#include "muon_config.h"

extern const muon_linalg_backend muon_linalg_openblas;
#if MUON_HAVE_ONEDNN
extern const muon_linalg_backend muon_linalg_onednn;
#endif

static const muon_linalg_backend *const backends[] = {
    &muon_linalg_openblas,
#if MUON_HAVE_ONEDNN
    &muon_linalg_onednn,
#endif
    NULL,
};

static const muon_linalg_backend *env_default = &muon_linalg_openblas;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

/* Reads MUON_BACKEND once: the hook that reruns every test and verify
 * program on another backend without changing them. */
static void
read_env(void)
{
    const char *name = getenv("MUON_BACKEND");
    if (!name || !*name)
        return;
    for (size_t i = 0; backends[i]; i++)
        if (!strcmp(name, backends[i]->name)) {
            env_default = backends[i];
            return;
        }
    /* Reported (not fatal): the default stays openblas. */
    (void)MUON_ERROR(MUON_EUNKNOWN, "MUON_BACKEND='%s' is not a compiled-in "
                     "backend; using openblas", name);
}

const muon_linalg_backend *
muon_linalg_default(void)
{
    pthread_once(&env_once, read_env);
    return env_default;
}

const muon_linalg_backend *const *
muon_linalg_backends(void)
{
    return backends;
}

const muon_linalg_backend *
muon_linalg_backend_by_name(const char *name)
{
    return muon_registry_find("backend", name, (const void *const *)backends);
}

const char *
muon_linalg_blas_core(void)
{
    const char *core = openblas_get_corename();
    return core && *core ? core : "unknown";
}

int
muon_linalg_blas_core_is_avx2(const char *core)
{
    /* OpenBLAS's own names for its AVX2 and AVX-512 kernel sets
     * (driver/others/dynamic.c); everything older is SSE/AVX-only. */
    static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX",
                                       "Cooperlake", "SapphireRapids"};
    if (!core)
        return 0;
    for (size_t i = 0; i < sizeof avx2 / sizeof avx2[0]; i++)
        if (!strcasecmp(core, avx2[i]))
            return 1;
    return 0;
}

/* OpenBLAS's thread count is one process-wide setting, while the scopes
 * that hold it at one (batches, the openblas backend's team products) may
 * overlap across threads: the first to enter saves it, the last to leave
 * restores it. */
static pthread_mutex_t blas1_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas1_users, blas1_saved;

int
muon_linalg_blas1_enter(void)
{
    pthread_mutex_lock(&blas1_lock);
    if (blas1_users++ == 0) {
        blas1_saved = openblas_get_num_threads();
        openblas_set_num_threads(1);
    }
    int saved = blas1_saved;
    pthread_mutex_unlock(&blas1_lock);
    return saved;
}

void
muon_linalg_blas1_leave(void)
{
    pthread_mutex_lock(&blas1_lock);
    if (blas1_users > 0 && --blas1_users == 0)
        openblas_set_num_threads(blas1_saved > 0 ? blas1_saved : 1);
    pthread_mutex_unlock(&blas1_lock);
}

void
muon_linalg_batch_begin(int *omp_saved)
{
    (void)muon_linalg_blas1_enter();
#ifdef _OPENMP
    *omp_saved = omp_get_max_threads();
#else
    *omp_saved = 0;
#endif
}

/* Set by worker_init in each thread of a batch (the calling thread
 * included), cleared by batch_end in the calling thread. */
static __thread int in_worker;
static __thread muon_linalg_local *local;

int
muon_linalg_in_worker(void)
{
    return in_worker;
}

muon_linalg_local *
muon_linalg_worker_local(void)
{
    return local;
}

void
muon_linalg_batch_end(int omp_saved)
{
    in_worker = 0;
    local = NULL;
    muon_linalg_blas1_leave();
#ifdef _OPENMP
    if (omp_saved > 0)
        omp_set_num_threads(omp_saved);
#else
    (void)omp_saved;
#endif
}

void
muon_linalg_worker_init(muon_linalg_local *l)
{
    in_worker = 1;
    local = l;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
}

void
muon_linalg_worker_end(void)
{
    in_worker = 0;
    local = NULL;
}

/* One started thread's share (muon_linalg_run_threads). */
typedef struct {
    void (*fn)(void *arg, size_t i);
    void *arg;
    size_t i;
} share;

static void *
run_share(void *p)
{
    const share *s = p;
    s->fn(s->arg, s->i);
    return NULL;
}

#define MAX_SHARES 256

void
muon_linalg_run_threads(const muon_linalg_backend *be, size_t n,
                        void (*fn)(void *arg, size_t i), void *arg)
{
    if (be && be->run_threads) {
        be->run_threads(n, fn, arg);
        return;
    }
    share s[MAX_SHARES];
    pthread_t tid[MAX_SHARES];
    int started[MAX_SHARES] = {0};
    size_t m = n < MAX_SHARES ? n : MAX_SHARES; /* the rest: this thread */
    for (size_t i = 1; i < m; i++) {
        s[i] = (share){fn, arg, i};
        started[i] = !pthread_create(&tid[i], NULL, run_share, &s[i]);
    }
    fn(arg, 0);
    for (size_t i = 1; i < n; i++) {
        if (i < m && started[i])
            pthread_join(tid[i], NULL);
        else
            fn(arg, i);
    }
}
