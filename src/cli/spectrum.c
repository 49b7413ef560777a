/* spectrum.c: `muonlab spectrum`: the composed scalar map
 * x -> p_T(...p_1(x / safety)...) of polynomial methods on a log grid, and
 * its diagnostics (slope at 0, value at lo, min and max on [lo, hi]). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "muon/coeffs.h"
#include "muon/orth.h"
#include "orth_opts.h"

static double
grid_x(double lo, double hi, size_t i, size_t n)
{
    if (n == 1)
        return lo;
    return exp(log(lo) + (log(hi) - log(lo)) * (double)i / (double)(n - 1));
}

int
cmd_spectrum(int argc, char **argv)
{
    orth_cli o = {0};
    double lo = 1e-3, hi = 1.0;
    size_t points = 200;
    const char *format = "table", *output = NULL, *out = NULL;
    cli_opt opts[] = {
        ORTH_CLI_OPTS(&o),
        {"lo", CLI_DOUBLE, &lo, "X", "lower end of the grid (default 1e-3)",
         1e-300, 1e300, 0},
        {"hi", CLI_DOUBLE, &hi, "X", "upper end of the grid (default 1)",
         1e-300, 1e300, 0},
        {"points", CLI_SIZE, &points, "N", "grid points (default 200)", 1,
         1e7, 0},
        {"format", CLI_STRING, &format, "F", "table|csv|json", 1, 0, 0},
        {"output", CLI_STRING, &output, "grid|diagnostics",
         "what to print (default: diagnostics for table, grid otherwise)", 1,
         0, 0},
        {"out", CLI_STRING, &out, "FILE", "write to FILE (atomically)", 1, 0,
         0},
        {0},
    };
    int rc = cli_parse("spectrum", "--method NAME [--lo X] [--hi X] "
                       "[--points N] [--format csv]", argc, argv, opts, NULL,
                       0, NULL);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (!(lo < hi))
        return cli_usage_error("spectrum", "--lo must be < --hi (got %g, %g)",
                               lo, hi);
    cli_format fmt;
    if ((rc = cli_format_by_name("spectrum", format, &fmt)))
        return rc;
    int grid = fmt != CLI_TABLE;
    if (output) {
        if (!strcmp(output, "grid"))
            grid = 1;
        else if (!strcmp(output, "diagnostics"))
            grid = 0;
        else
            return cli_usage_error("spectrum", "--output must be grid or "
                                   "diagnostics (got '%s')", output);
    }
    const muon_orth_type *types[64];
    size_t nt;
    if ((rc = orth_cli_methods("spectrum", &o, "ns5", 1, types, &nt, 64)))
        return rc;

    static const char *const gcols[] = {"method", "steps", "x", "px"};
    static const char *const dcols[] = {"method", "steps", "safety", "lo",
                                        "hi", "slope0", "at_lo", "min", "max"};
    cli_table *t = grid ? cli_table_new(gcols, 4) : cli_table_new(dcols, 9);
    if (!t)
        return cli_usage_error("spectrum", "out of memory");
    for (size_t k = 0; k < nt; k++) {
        muon_orth_params p;
        if ((rc = orth_cli_params("spectrum", &o, types[k], &p))) {
            cli_table_free(t);
            return rc;
        }
        if (grid) {
            for (size_t i = 0; i < points; i++) {
                double x = grid_x(lo, hi, i, points);
                cli_table_str(t, types[k]->name);
                cli_table_int(t, (long long)p.steps);
                cli_table_num(t, x);
                cli_table_num(t, muon_orth_map(&p, x));
            }
        } else {
            /* Exact range: interval propagation through each step. */
            double mn, mx, slope0 = 1.0 / p.safety;
            if ((rc = muon_coeffs_map_range(&p, p.steps, lo, hi, &mn, &mx))) {
                cli_table_free(t);
                return cli_fail("spectrum", rc);
            }
            for (size_t s = 0; s < p.steps; s++)
                slope0 *= muon_orth_step_coeff(&p, s).a;
            cli_table_str(t, types[k]->name);
            cli_table_int(t, (long long)p.steps);
            cli_table_num(t, p.safety);
            cli_table_num(t, lo);
            cli_table_num(t, hi);
            cli_table_num(t, slope0);
            cli_table_num(t, muon_orth_map(&p, lo));
            cli_table_num(t, mn);
            cli_table_num(t, mx);
        }
    }
    rc = out ? cli_table_save(t, out, fmt) : cli_table_write(t, stdout, fmt);
    cli_table_free(t);
    return rc ? cli_fail("spectrum", rc) : CLI_EXIT_OK;
}
