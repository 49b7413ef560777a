/* omp_pragma.h: OpenMP pragmas that vanish in a build without OpenMP.
 * OMP(omp parallel ...) expands to the pragma when the compiler has
 * OpenMP on (meson's optional 'openmp' dependency) and to nothing
 * otherwise, so the code under it runs on the calling thread alone. */
#ifndef MUON_OMP_PRAGMA_H
#define MUON_OMP_PRAGMA_H

#include <stddef.h>

#ifdef _OPENMP
#include <omp.h>
#define OMP(clauses) _Pragma(#clauses)
#else
#define OMP(clauses)
#endif

/* This thread's number in its team and the team's size (0 and 1 outside
 * a parallel region or without OpenMP). */
static inline size_t
muon_omp_thread(void)
{
#ifdef _OPENMP
    return (size_t)omp_get_thread_num();
#else
    return 0;
#endif
}

static inline size_t
muon_omp_team(void)
{
#ifdef _OPENMP
    return (size_t)omp_get_num_threads();
#else
    return 1;
#endif
}

/* Thread t of nt's share [lo, hi) of n rows, columns or elements: nt
 * near-equal parts, each starting on a multiple of 16 (64 bytes of
 * floats), the last one taking the remainder. */
static inline void
muon_omp_share(size_t n, size_t t, size_t nt, size_t *lo, size_t *hi)
{
    *lo = (n * t / nt) & ~(size_t)15;
    *hi = t + 1 == nt ? n : (n * (t + 1) / nt) & ~(size_t)15;
}

#endif /* MUON_OMP_PRAGMA_H */
