/* orth_opts.h: the orthogonalizer options shared by every subcommand that
 * runs one (ortho, spectrum, bench, coeffs check, replay, train):
 *   --method NAME[,NAME...] --steps K --precision P --coeffs FILE
 *   --eps E --safety S --extend repeat|cycle --backend B
 */
#ifndef MUON_ORTH_OPTS_H
#define MUON_ORTH_OPTS_H

#include "cli.h"
#include "muon/orth.h"

typedef struct {
    cli_list methods;       /* names, or "all" */
    size_t steps;           /* 0: the method's default */
    const char *precision;  /* NULL: the method's default */
    const char *coeffs;     /* custom coefficient file */
    double eps, safety;     /* used only when given */
    const char *extend;     /* repeat | cycle */
    const char *backend;    /* matrix-product backend */
} orth_cli;

/* The option table entries, to splice into a subcommand's cli_opt array. */
#define ORTH_CLI_OPTS(o)                                                       \
    {"method", CLI_LIST, &(o)->methods, "NAME",                                \
     "orthogonalizer(s): see `muonlab methods`, or all", 1, 0, 0},             \
    {"steps", CLI_SIZE, &(o)->steps, "K", "iterations (default: the method's)",\
     1, 1000, 0},                                                              \
    {"precision", CLI_STRING, &(o)->precision, "P",                            \
     "fp64|fp32|bf16|fp16 (default: the method's)", 1, 0, 0},                  \
    {"coeffs", CLI_STRING, &(o)->coeffs, "FILE",                               \
     "coefficient file ('a b c' per line) for method custom", 1, 0, 0},        \
    {"eps", CLI_DOUBLE, &(o)->eps, "E", "normalisation guard (>= 0)", 0, 1,   \
     0},                                                                       \
    {"safety", CLI_DOUBLE, &(o)->safety, "S",                                  \
     "normalisation safety factor (> 0)", 1e-3, 1e3, 0},                       \
    {"extend", CLI_STRING, &(o)->extend, "repeat|cycle",                       \
     "when steps exceed the list: repeat the last triple or cycle", 1, 0, 0},  \
    {"backend", CLI_STRING, &(o)->backend, "B",                                \
     "matrix-product backend (default openblas)", 1, 0, 0}

/* Expands "all" and checks every name.  `polynomial_only` drops svd from
 * "all" (for subcommands that need a scalar map).  Returns 0 or
 * CLI_EXIT_USAGE (message printed).  At least one method results: the
 * default is `dflt`. */
int orth_cli_methods(const char *cmd, orth_cli *o, const char *dflt,
                     int polynomial_only, const muon_orth_type **types,
                     size_t *ntypes, size_t cap);

/* Fills p for method T: its defaults, then every option given (coefficient
 * file for custom, steps, precision, eps, safety, extend, backend), then
 * validates.  Returns 0 or a CLI exit code (message printed). */
int orth_cli_params(const char *cmd, const orth_cli *o,
                    const muon_orth_type *T, muon_orth_params *p);

#endif /* MUON_ORTH_OPTS_H */
