/* methods.c: `muonlab methods`: every registered orthogonalizer with its
 * published defaults and coefficient list. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "muon/orth.h"

int
cmd_methods(int argc, char **argv)
{
    const char *format = "table";
    cli_opt opts[] = {
        {"format", CLI_STRING, &format, "table|csv|json", "output format",
         1, 0, 0},
        {0},
    };
    int rc = cli_parse("methods", "[--format table|csv|json]", argc, argv,
                       opts, NULL, 0, NULL);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cli_format fmt;
    if ((rc = cli_format_by_name("methods", format, &fmt)))
        return rc;

    static const char *const cols[] = {"method", "steps", "eps", "safety",
                                       "precision", "coefficients", "source",
                                       "description"};
    cli_table *t = cli_table_new(cols, 8);
    if (!t)
        return cli_usage_error("methods", "out of memory");
    const muon_orth_type *const *types = muon_orth_types();
    for (size_t i = 0; types[i]; i++) {
        muon_orth_params p;
        muon_orth_default_params(types[i], &p);
        char coeffs[2048] = "";
        for (size_t k = 0; k < p.ncoeffs; k++) {
            size_t len = strlen(coeffs);
            /* Full precision where it is read back by programs. */
            int dig = fmt == CLI_TABLE ? 6 : 17;
            snprintf(coeffs + len, sizeof coeffs - len, "%s(%.*g %.*g %.*g)",
                     k ? " " : "", dig, p.coeffs[k].a, dig, p.coeffs[k].b,
                     dig, p.coeffs[k].c);
        }
        if (!types[i]->polynomial)
            snprintf(coeffs, sizeof coeffs, "-");
        else if (p.ncoeffs == 0)
            snprintf(coeffs, sizeof coeffs, "(from --coeffs FILE)");
        cli_table_str(t, types[i]->name);
        cli_table_int(t, (long long)p.steps);
        cli_table_num(t, p.eps);
        cli_table_num(t, p.safety);
        cli_table_str(t, muon_precision_name(p.precision));
        cli_table_str(t, coeffs);
        cli_table_str(t, types[i]->source);
        cli_table_str(t, types[i]->description);
    }
    rc = cli_table_write(t, stdout, fmt);
    cli_table_free(t);
    return rc ? cli_fail("methods", rc) : CLI_EXIT_OK;
}
