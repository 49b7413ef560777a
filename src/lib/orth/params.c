/* params.c: parameter validation, the scalar map, flop counts and the
 * `custom` coefficient file format. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "muon/status.h"
#include "orth_impl.h"

int
muon_orth_params_validate(const muon_orth_type *T, const muon_orth_params *p)
{
    if ((unsigned)p->precision >= MUON_NPRECISIONS)
        return MUON_ERROR(MUON_EINVAL, "%s: unknown precision %d", T->name,
                          (int)p->precision);
    if (!isfinite(p->eps) || p->eps < 0)
        return MUON_ERROR(MUON_ERANGE, "%s: eps must be finite and >= 0 "
                          "(got %g)", T->name, p->eps);
    if (!isfinite(p->safety) || p->safety <= 0)
        return MUON_ERROR(MUON_ERANGE, "%s: safety must be finite and > 0 "
                          "(got %g)", T->name, p->safety);
    if (p->extend != MUON_EXTEND_REPEAT_LAST && p->extend != MUON_EXTEND_CYCLE)
        return MUON_ERROR(MUON_EINVAL, "%s: unknown extension policy %d",
                          T->name, (int)p->extend);
    if (!T->polynomial)
        return MUON_SUCCESS;
    if (p->ncoeffs == 0)
        return MUON_ERROR(MUON_EINVAL, "%s: no coefficients (give --coeffs "
                          "FILE)", T->name);
    if (p->ncoeffs > MUON_MAX_COEFFS)
        return MUON_ERROR(MUON_ERANGE, "%s: %zu coefficient triples, at most "
                          "%d", T->name, p->ncoeffs, MUON_MAX_COEFFS);
    if (p->steps < 1 || p->steps > 1000)
        return MUON_ERROR(MUON_ERANGE, "%s: steps must be in [1, 1000] (got "
                          "%zu)", T->name, p->steps);
    for (size_t i = 0; i < p->ncoeffs; i++)
        if (!isfinite(p->coeffs[i].a) || !isfinite(p->coeffs[i].b) ||
            !isfinite(p->coeffs[i].c))
            return MUON_ERROR(MUON_ENONFINITE, "%s: coefficient triple %zu is "
                              "not finite", T->name, i + 1);
    return MUON_SUCCESS;
}

muon_coeff
muon_orth_step_coeff(const muon_orth_params *p, size_t t)
{
    if (p->ncoeffs == 0) {
        muon_coeff z = {0, 0, 0};
        return z;
    }
    if (t < p->ncoeffs)
        return p->coeffs[t];
    if (p->extend == MUON_EXTEND_CYCLE)
        return p->coeffs[t % p->ncoeffs];
    return p->coeffs[p->ncoeffs - 1];
}

double
muon_orth_poly(const muon_orth_params *p, double y)
{
    long double x = y;
    for (size_t t = 0; t < p->steps; t++) {
        muon_coeff k = muon_orth_step_coeff(p, t);
        long double x2 = x * x;
        x = x * ((long double)k.a + x2 * ((long double)k.b + x2 * k.c));
    }
    return (double)x;
}

double
muon_orth_map(const muon_orth_params *p, double x)
{
    return muon_orth_poly(p, x / p->safety);
}

double
muon_orth_flops(const muon_orth_type *T, const muon_orth_params *p, size_t m,
                size_t n)
{
    size_t s = m < n ? m : n, l = m < n ? n : m;
    return T->ops->flops(p, s, l);
}

/* ---- custom coefficient files ------------------------------------------ */

int
muon_coeffs_read_file(const char *path, muon_orth_params *p)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(errno));
    char line[1024];
    size_t lineno = 0, n = 0;
    muon_coeff c[MUON_MAX_COEFFS];
    int rc = MUON_SUCCESS;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = MUON_ERROR(MUON_EFORMAT, "%s:%zu: line longer than %zu "
                            "characters", path, lineno, sizeof line - 2);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        double v[3] = {0, 0, 0};
        int k = 0;
        char *s = line, *end;
        for (;;) {
            while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' ||
                   *s == ',')
                s++;
            if (!*s)
                break;
            if (k == 3) {
                rc = MUON_ERROR(MUON_EFORMAT, "%s:%zu: more than three numbers "
                                "(expected 'a b c')", path, lineno);
                break;
            }
            errno = 0;
            v[k] = strtod(s, &end);
            if (end == s || (*end && !strchr(" \t\r\n,", *end))) {
                rc = MUON_ERROR(MUON_EFORMAT, "%s:%zu: '%.*s' is not a number",
                                path, lineno, (int)strcspn(s, " \t\r\n,"), s);
                break;
            }
            if (!isfinite(v[k]) || errno == ERANGE) {
                rc = MUON_ERROR(MUON_ENONFINITE, "%s:%zu: coefficient '%.*s' "
                                "is not a finite double", path, lineno,
                                (int)(end - s), s);
                break;
            }
            k++;
            s = end;
        }
        if (rc)
            break;
        if (k == 0)
            continue;
        if (k < 2) {
            rc = MUON_ERROR(MUON_EFORMAT, "%s:%zu: expected 'a b c' (or 'a b' "
                            "for a cubic step), got %d number", path, lineno,
                            k);
            break;
        }
        if (n == MUON_MAX_COEFFS) {
            rc = MUON_ERROR(MUON_ERANGE, "%s:%zu: more than %d coefficient "
                            "triples", path, lineno, MUON_MAX_COEFFS);
            break;
        }
        c[n].a = v[0];
        c[n].b = v[1];
        c[n].c = v[2];
        n++;
    }
    if (!rc && ferror(f))
        rc = MUON_ERROR(MUON_EIO, "%s: read error", path);
    fclose(f);
    if (rc)
        return rc;
    if (n == 0)
        return MUON_ERROR(MUON_ERANGE, "%s: no coefficient triples", path);
    memcpy(p->coeffs, c, n * sizeof *c);
    p->ncoeffs = n;
    if (p->steps == 0)
        p->steps = n;
    return MUON_SUCCESS;
}

int
muon_coeffs_write(FILE *f, const muon_orth_params *p)
{
    for (size_t i = 0; i < p->ncoeffs; i++)
        if (fprintf(f, "%.17g %.17g %.17g\n", p->coeffs[i].a, p->coeffs[i].b,
                    p->coeffs[i].c) < 0)
            return MUON_ERROR(MUON_EIO, "writing coefficients: %s",
                              strerror(errno));
    return MUON_SUCCESS;
}
