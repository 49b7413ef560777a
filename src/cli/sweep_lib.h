/* sweep_lib.h: the testable parts of `muonlab sweep` and `muonlab stats`:
 * experiment files (parse, validate, expand the grid), cell folders and their
 * markers, a small CSV reader, result merging and per-group statistics.
 *
 * Errors are reported through MUON_ERROR (muon/status.h) with the file, line
 * and field; nothing here prints or exits.
 */
#ifndef MUON_SWEEP_LIB_H
#define MUON_SWEEP_LIB_H

#include <stddef.h>
#include <sys/types.h>

#include "cli.h"

/* ---- CSV ---------------------------------------------------------------- */

/* A CSV file as strings: `#` comment lines (provenance) are skipped, the
 * first other line is the header, fields may be "quoted" (RFC 4180). */
typedef struct {
    size_t ncols, nrows;
    char **cols;   /* ncols column names, then NULL */
    char **cells;  /* nrows * ncols, row-major; missing trailing fields "" */
    size_t *lines; /* source line of each row, for messages */
} sweep_csv;

/* Parses `text` (named `src` in messages).  MUON_EFORMAT (no header, a row
 * with more fields than the header, an unterminated quote, a duplicate
 * column name: each with src:line), MUON_ENOMEM.  The caller frees *out with
 * sweep_csv_free. */
int sweep_csv_parse(const char *text, const char *src, sweep_csv **out);

/* Reads and parses a file; MUON_EIO names the path and strerror. */
int sweep_csv_read(const char *path, sweep_csv **out);

void sweep_csv_free(sweep_csv *c);

/* Index of column `name`, or -1. */
long sweep_csv_col(const sweep_csv *c, const char *name);

static inline const char *
sweep_csv_at(const sweep_csv *c, size_t row, size_t col)
{
    return c->cells[row * c->ncols + col];
}

/* ---- experiment files --------------------------------------------------- */

/* One swept option: its values as the strings passed on the command line. */
typedef struct {
    char *name;
    size_t nvalues;
    char **values;
    int zipped;     /* varies together with the other zipped axes */
    int from_seeds; /* the "seeds" shorthand (named "seed") */
} sweep_axis;

typedef struct {
    char *src;     /* file name used in messages */
    char *name;    /* experiment name: default output folder results/NAME */
    char *command; /* subcommand run by every cell */
    char *result;  /* result file of outdir commands ("summary.csv") */
    size_t nfixed;
    char **fixed_keys, **fixed_vals;
    size_t naxes; /* grid axes (file order), zipped axes, then "seed" */
    sweep_axis *axes;
    size_t ncells;
    char *canonical;     /* the experiment as sorted compact JSON */
    unsigned long long hash; /* FNV-1a 64 of `canonical` */
} sweep_exp;

/* Parses and validates an experiment (see experiments/README.md).  Errors
 * (MUON_EFORMAT for JSON syntax and duplicate keys, MUON_EINVAL for bad
 * values, MUON_EUNKNOWN for unknown keys and commands) name src, the line
 * and column, and the closest valid key.  The caller frees *out. */
int sweep_exp_parse(const char *text, const char *src, sweep_exp **out);

/* Reads the file and parses it; MUON_EIO names the path. */
int sweep_exp_load(const char *path, sweep_exp **out);

void sweep_exp_free(sweep_exp *e);

/* Values of every axis for cell `cell` (< e->ncells): vals[k] belongs to
 * e->axes[k].  The first grid axis varies slowest, seeds fastest. */
void sweep_cell_values(const sweep_exp *e, size_t cell, const char **vals);

/* Whether the command writes its results to stdout (ortho, spectrum,
 * bench, coeffs) rather than into an --out folder (train, replay). */
int sweep_command_to_stdout(const char *command);

/* The result file of a cell, relative to its folder: "stdout.csv" or
 * "out/<result>". */
const char *sweep_result_file(const sweep_exp *e, char *buf, size_t cap);

/* Option names listed by `muonlab COMMAND --help` (lines "  --name ...").
 * Returns a NULL-terminated malloc'd array of malloc'd names (free with
 * sweep_strv_free), NULL if there is none or memory ran out. */
char **sweep_help_options(const char *help_text);
void sweep_strv_free(char **v);

/* Checks every fixed and swept key against the command's options `valid`
 * (NULL-terminated).  MUON_EUNKNOWN names src:line, the key, the closest
 * valid option and the list. */
int sweep_check_options(const sweep_exp *e, const char *text,
                        const char *const *valid);

/* argv of cell `cell`: exe, command, --key=value for every fixed option
 * and axis, plus the runner's own (--format=csv, or --out=OUTDIR).
 * NULL-terminated, malloc'd (sweep_strv_free).  NULL on out of memory. */
char **sweep_cell_argv(const sweep_exp *e, size_t cell, const char *exe,
                       const char *outdir);

/* ---- cell folders ------------------------------------------------------- */

enum { SWEEP_PENDING = 0, SWEEP_DONE = 1, SWEEP_FAILED = 2 };

/* "DIR/cells/cell-0007" into buf. */
void sweep_cell_dir(const char *dir, size_t cell, char *buf, size_t cap);

/* State of a cell from its markers: SWEEP_DONE (a `done` file),
 * SWEEP_FAILED (a `failed` file; *detail receives its malloc'd text, first
 * line "exit N" or "signal N", then the tail of stderr), else
 * SWEEP_PENDING.  detail may be NULL. */
int sweep_cell_state(const char *celldir, char **detail);

/* Writes the cell's marker atomically after its child ended with
 * wait-status `wstatus`: `done` if it exited 0, else `failed` holding the
 * status and the last lines of `stderr_path`.  Returns MUON_EIO. */
int sweep_cell_mark(const char *celldir, int wstatus, const char *stderr_path);

/* Rebuilds the tidy results table from the cells' folders: one row per
 * result row of every finished or failed cell (a failed cell without
 * result rows still gets one row), columns "cell", the fixed options, the
 * axes, "status" (ok|failed), "exit", "error", then the union of the
 * result files' columns in order of appearance (a result column named like
 * a setting is not repeated).  Pending cells are absent.  *nfailed counts
 * failed cells.  MUON_EFORMAT if a finished cell's result file is
 * malformed.  The caller frees *out (cli_table_free). */
int sweep_collect(const sweep_exp *e, const char *dir, cli_table **out,
                  size_t *nfailed, size_t *ndone);

/* ---- statistics over rows ------------------------------------------------ */

/* Groups the rows of `c` by the columns `by` and summarises `metric` per
 * group at 95%: columns by..., n, n_invalid, mean, sd, ci_lo, ci_hi.
 * n_invalid counts rows whose metric is empty, not a number or not finite,
 * or whose "status" column (if any) is not "ok": they are never averaged
 * in.  Groups keep the order of their first row.  If the groups' n differ,
 * *warning receives a malloc'd message with the explicit counts (else
 * NULL).  MUON_EUNKNOWN names a missing column and the closest one. */
int sweep_aggregate(const sweep_csv *c, const char *src,
                    const char *const *by, size_t nby, const char *metric,
                    cli_table **out, char **warning);

/* Welch t-test of `metric` between rows with key == a and key == b, within
 * every group of the columns `by` (key itself is ignored there): columns
 * by..., n_a, mean_a, n_b, mean_b, diff, t, df, p.  Groups where a side
 * has fewer than 2 valid values get an explanatory "note" and NaN
 * statistics.  Errors as sweep_aggregate. */
int sweep_compare(const sweep_csv *c, const char *src, const char *const *by,
                  size_t nby, const char *key, const char *a, const char *b,
                  const char *metric, cli_table **out, char **warning);

/* ---- helpers --------------------------------------------------------------- */

/* Reads a whole file into a malloc'd NUL-terminated string (MUON_EIO). */
int sweep_read_file(const char *path, char **out);

/* Writes `text` to `path` atomically (muon_afile); MUON_EIO. */
int sweep_write_file(const char *path, const char *text);

/* mkdir -p; MUON_EIO names the path. */
int sweep_mkdirs(const char *path);

#endif /* MUON_SWEEP_LIB_H */
