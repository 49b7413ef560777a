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

#endif /* MUON_OMP_PRAGMA_H */
