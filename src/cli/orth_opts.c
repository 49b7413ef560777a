/* orth_opts.c: orthogonalizer options shared by the subcommands. */
#include <string.h>

#include "muon/linalg.h"
#include "muon/status.h"
#include "orth_opts.h"

int
orth_cli_methods(const char *cmd, orth_cli *o, const char *dflt,
                 int polynomial_only, const muon_orth_type **types,
                 size_t *ntypes, size_t cap)
{
    *ntypes = 0;
    if (o->methods.n == 0) {
        o->methods.v[0] = o->coeffs ? "custom" : dflt;
        o->methods.n = 1;
    }
    for (size_t i = 0; i < o->methods.n; i++) {
        const char *name = o->methods.v[i];
        if (!strcmp(name, "all")) {
            const muon_orth_type *const *all = muon_orth_types();
            for (size_t k = 0; all[k]; k++) {
                if (polynomial_only && !all[k]->polynomial)
                    continue;
                /* custom has no coefficients unless a file is given. */
                if (!strcmp(all[k]->name, "custom") && !o->coeffs)
                    continue;
                if (*ntypes == cap)
                    return cli_usage_error(cmd, "too many methods");
                types[(*ntypes)++] = all[k];
            }
            continue;
        }
        const muon_orth_type *T = muon_orth_type_by_name(name);
        if (!T)
            return cli_fail(cmd, MUON_EUNKNOWN);
        if (polynomial_only && !T->polynomial)
            return cli_usage_error(cmd, "method '%s' has no scalar map (it is "
                                   "not polynomial)", name);
        if (*ntypes == cap)
            return cli_usage_error(cmd, "too many methods");
        types[(*ntypes)++] = T;
    }
    return 0;
}

int
orth_cli_params(const char *cmd, const orth_cli *o, const muon_orth_type *T,
                muon_orth_params *p)
{
    muon_orth_default_params(T, p);
    int rc;
    if (o->coeffs) {
        if (strcmp(T->name, "custom"))
            return cli_usage_error(cmd, "--coeffs goes with --method custom "
                                   "(method '%s' has its own list)", T->name);
        if (cli_given("steps"))
            p->steps = o->steps;
        if ((rc = muon_coeffs_read_file(o->coeffs, p)))
            return cli_fail(cmd, rc);
    } else if (cli_given("steps")) {
        p->steps = o->steps;
    }
    if (o->precision) {
        if ((rc = muon_precision_by_name(o->precision, &p->precision)))
            return cli_fail(cmd, rc);
    }
    if (cli_given("eps"))
        p->eps = o->eps;
    if (cli_given("safety"))
        p->safety = o->safety;
    if (o->extend) {
        if (!strcmp(o->extend, "repeat"))
            p->extend = MUON_EXTEND_REPEAT_LAST;
        else if (!strcmp(o->extend, "cycle"))
            p->extend = MUON_EXTEND_CYCLE;
        else
            return cli_usage_error(cmd, "--extend must be repeat or cycle "
                                   "(got '%s')", o->extend);
    }
    if (o->backend) {
        p->backend = muon_linalg_backend_by_name(o->backend);
        if (!p->backend)
            return cli_fail(cmd, MUON_EUNKNOWN);
    }
    if ((rc = muon_orth_params_validate(T, p)))
        return cli_fail(cmd, rc);
    return 0;
}
