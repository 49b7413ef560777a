/* cli.h: what the muonlab subcommands share: one option parser, one results
 * writer (table | csv | json with provenance), exit codes.
 *
 * Every subcommand is `int cmd_NAME(int argc, char **argv)` where argv[0] is
 * the subcommand name; it returns a process exit status (CLI_EXIT_*).
 */
#ifndef MUON_CLI_H
#define MUON_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes: one per class of failure (FAULTS.md general contract). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,      /* a check or comparison failed (verify-style) */
    CLI_EXIT_USAGE = 2,     /* bad options, values out of range, unknown names */
    CLI_EXIT_DATA = 3,      /* bad or missing input files / data sets */
    CLI_EXIT_NUMERIC = 4,   /* non-finite values, divergence, non-convergence */
    CLI_EXIT_IO = 5,        /* output could not be written */
    CLI_EXIT_INTERNAL = 6,  /* a bug or out of memory */
    CLI_EXIT_SIGINT = 130,  /* interrupted by SIGINT, state saved */
    CLI_EXIT_SIGTERM = 143  /* interrupted by SIGTERM, state saved */
};

/* Maps a library status to an exit code (EINVAL/ERANGE/EUNKNOWN -> USAGE,
 * EFORMAT/ECORRUPT -> DATA, ENONFINITE/ENOCONV/EDIVERGED -> NUMERIC, EIO ->
 * IO, ...). */
int cli_exit_code(int status);

/* Prints "muonlab CMD: error: <muon_last_error()>" to stderr and returns
 * cli_exit_code(status). */
int cli_fail(const char *cmd, int status);

/* Prints "muonlab CMD: error: <formatted>" to stderr and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

typedef enum {
    CLI_FLAG,   /* bool: `--x` sets *(int *)dest = 1; `--x 0|1` also accepted */
    CLI_INT,    /* long long, strict: no fraction, exponent or trailing text */
    CLI_SIZE,   /* size_t, strict, >= 0 */
    CLI_DOUBLE, /* double: strtod, whole string, finite, no ERANGE */
    CLI_STRING, /* const char * (points into argv) */
    CLI_LIST    /* cli_list: repeatable; also splits on ',' unless noted */
} cli_kind;

#define CLI_LIST_MAX 64
#define CLI_LIST_STORE 4096
typedef struct {
    size_t n;
    const char *v[CLI_LIST_MAX]; /* into argv, or into store when split */
    char store[CLI_LIST_STORE];  /* the split pieces: no allocation */
    size_t used;
} cli_list;

typedef struct {
    const char *name;    /* long name without dashes: "lr" for --lr */
    cli_kind kind;
    void *dest;
    const char *metavar; /* shown in usage, e.g. "NAME" */
    const char *help;    /* one line; the default is appended by the caller */
    double min, max;     /* numeric range, inclusive; ignored if min > max */
    int nosplit;         /* CLI_LIST: do not split values on ',' */
} cli_opt;

/* Parses argv[1..argc-1] against opts (terminated by an entry with name ==
 * NULL).  Accepts `--name value` and `--name=value`.  Positional arguments
 * go to pos (at most maxpos; pos may be NULL when none are allowed).
 * Returns 0 on success, CLI_EXIT_USAGE after printing a message that names
 * the option and value (unknown option: the closest valid name and the
 * list), or -1 when --help was given (usage printed to stdout; the caller
 * exits 0).  An option given twice is an error except for CLI_LIST.
 * *seen (optional) receives a bitmask of which opts were given. */
int cli_parse(const char *cmd, const char *synopsis, int argc, char **argv,
              const cli_opt *opts, const char **pos, size_t maxpos,
              size_t *npos);

/* Whether option `name` was given on the command line in the last
 * cli_parse call. */
int cli_given(const char *name);

/* Strict number parsing shared with config readers.  Return 0 on success or
 * MUON_EINVAL/MUON_ERANGE (reported, naming `what` and the text). */
int cli_parse_double(const char *what, const char *text, double *out);
int cli_parse_ll(const char *what, const char *text, long long *out);
int cli_parse_size(const char *what, const char *text, size_t *out);


/* ---- results writer ---------------------------------------------------- */

typedef enum { CLI_TABLE, CLI_CSV, CLI_JSON } cli_format;

/* "table" | "csv" | "json"; prints an error and returns CLI_EXIT_USAGE on
 * anything else. */
int cli_format_by_name(const char *cmd, const char *name, cli_format *out);

typedef struct cli_table cli_table;

/* A table with fixed columns; cells are appended row by row. */
cli_table *cli_table_new(const char *const *cols, size_t ncols);
void cli_table_free(cli_table *t);
void cli_table_str(cli_table *t, const char *s);
void cli_table_num(cli_table *t, double v);   /* %.10g in tables, %.17g csv/json; non-finite: nan/inf in csv, null in json */
void cli_table_int(cli_table *t, long long v);
size_t cli_table_rows(const cli_table *t);

/* Writes the table.  CSV: provenance lines ("# ...") then a header line
 * then one line per row (tidy).  JSON: {"provenance": {...}, "rows":
 * [{col: value, ...}]}.  TABLE: aligned columns for a terminal.  Returns a
 * library status (MUON_EIO on a write error). */
int cli_table_write(const cli_table *t, FILE *f, cli_format fmt);

/* Writes the table atomically to `path` (muon_afile). */
int cli_table_save(const cli_table *t, const char *path, cli_format fmt);

#endif /* MUON_CLI_H */
