/* stats.c: `muonlab stats FILE.csv --by COLS --metric COL`: mean, sd and
 * 95% confidence interval per group, and Welch t-tests between two
 * configurations (--compare KEY=A,KEY=B), optionally on the rows selected
 * by --where KEY=VALUE[,KEY=VALUE...]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "muon/names.h"
#include "muon/status.h"
#include "sweep_lib.h"

#define CMD "stats"

/* Splits "KEY=VALUE" into a malloc'd key and a pointer to the value. */
static int
split_pair(const char *s, char **key, const char **val)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || !eq[1])
        return cli_usage_error(CMD, "--compare takes KEY=A,KEY=B (got '%s')",
                               s);
    *key = strndup(s, (size_t)(eq - s));
    *val = eq + 1;
    return *key ? 0 : cli_usage_error(CMD, "out of memory");
}

/* Keeps the rows of csv whose column KEY equals VALUE for every
 * KEY=VALUE of `where` (exact string match).  MUON_EUNKNOWN names a
 * missing column and lists the columns; MUON_EINVAL when no row is left
 * (an empty table would look like a result); reported. */
static int
filter_rows(sweep_csv *csv, const char *src, const cli_list *where)
{
    long cols[CLI_LIST_MAX];
    const char *vals[CLI_LIST_MAX];
    for (size_t k = 0; k < where->n; k++) {
        const char *eq = strchr(where->v[k], '=');
        size_t klen = eq ? (size_t)(eq - where->v[k]) : 0;
        char key[256];
        if (!eq || !klen || klen >= sizeof key)
            return MUON_ERROR(MUON_EINVAL, "--where takes KEY=VALUE (got "
                              "'%s')", where->v[k]);
        memcpy(key, where->v[k], klen);
        key[klen] = '\0';
        vals[k] = eq + 1;
        if ((cols[k] = sweep_csv_col(csv, key)) < 0) {
            char list[1024] = "";
            for (size_t j = 0; j < csv->ncols; j++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s",
                         j ? ", " : "", csv->cols[j]);
            }
            const char *near =
                muon_closest_name(key, (const char *const *)csv->cols);
            return MUON_ERROR(MUON_EUNKNOWN, "--where: %s has no column "
                              "\"%s\"%s%s%s; columns: %s", src, key,
                              near ? " (did you mean \"" : "",
                              near ? near : "", near ? "\"?)" : "", list);
        }
    }
    size_t kept = 0, nc = csv->ncols;
    for (size_t r = 0; r < csv->nrows; r++) {
        int keep = 1;
        for (size_t k = 0; k < where->n && keep; k++)
            keep = !strcmp(sweep_csv_at(csv, r, (size_t)cols[k]), vals[k]);
        if (!keep) {
            for (size_t j = 0; j < nc; j++)
                free(csv->cells[r * nc + j]);
            continue;
        }
        if (kept != r) {
            memmove(&csv->cells[kept * nc], &csv->cells[r * nc],
                    nc * sizeof *csv->cells);
            csv->lines[kept] = csv->lines[r];
        }
        kept++;
    }
    csv->nrows = kept;
    if (!kept)
        return MUON_ERROR(MUON_EINVAL, "--where: no row of %s matches",
                          src);
    return MUON_SUCCESS;
}

int
cmd_stats(int argc, char **argv)
{
    cli_list by = {0}, compare = {0}, where = {0};
    const char *metric = NULL, *format = "table";
    cli_opt opts[] = {
        {"by", CLI_LIST, &by, "COL[,COL...]", "group rows by these columns",
         1, 0, 0},
        {"metric", CLI_STRING, &metric, "COL", "the column to summarise", 1,
         0, 0},
        {"compare", CLI_LIST, &compare, "KEY=A,KEY=B",
         "Welch t-test of A against B within each group", 1, 0, 0},
        {"where", CLI_LIST, &where, "KEY=VALUE[,...]",
         "only the rows where every KEY column equals VALUE", 1, 0, 0},
        {"format", CLI_STRING, &format, "table|csv|json",
         "output format (default table)", 1, 0, 0},
        {0},
    };
    const char *pos[1];
    size_t npos;
    int rc = cli_parse(CMD, "FILE.csv --metric COL [--by COLS] "
                       "[--compare KEY=A,KEY=B] [--where KEY=VALUE]", argc,
                       argv, opts, pos, 1,
                       &npos);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (npos != 1)
        return cli_usage_error(CMD, "expected one CSV file");
    if (!metric)
        return cli_usage_error(CMD, "--metric COL is required");
    cli_format fmt;
    if ((rc = cli_format_by_name(CMD, format, &fmt)))
        return rc;
    char *ka = NULL, *kb = NULL;
    const char *va = NULL, *vb = NULL;
    if (compare.n) {
        if (compare.n != 2)
            return cli_usage_error(CMD, "--compare takes exactly two "
                                   "KEY=VALUE items (got %zu)", compare.n);
        if ((rc = split_pair(compare.v[0], &ka, &va)) ||
            (rc = split_pair(compare.v[1], &kb, &vb)))
            goto out;
        if (strcmp(ka, kb)) {
            rc = cli_usage_error(CMD, "--compare: both sides must use the "
                                 "same column (got '%s' and '%s')", ka, kb);
            goto out;
        }
        if (!strcmp(va, vb)) {
            rc = cli_usage_error(CMD, "--compare: A and B are both '%s'", va);
            goto out;
        }
    }
    sweep_csv *csv;
    if ((rc = sweep_csv_read(pos[0], &csv))) {
        rc = cli_fail(CMD, rc);
        goto out;
    }
    if (where.n && (rc = filter_rows(csv, pos[0], &where))) {
        sweep_csv_free(csv);
        rc = cli_fail(CMD, rc);
        goto out;
    }
    cli_table *t;
    char *warning;
    int lrc = compare.n
                  ? sweep_compare(csv, pos[0], by.v, by.n, ka, va, vb, metric,
                                  &t, &warning)
                  : sweep_aggregate(csv, pos[0], by.v, by.n, metric, &t,
                                    &warning);
    sweep_csv_free(csv);
    if (lrc) {
        rc = cli_fail(CMD, lrc);
        goto out;
    }
    if (warning)
        fprintf(stderr, "muonlab %s: warning: %s\n", CMD, warning);
    free(warning);
    lrc = cli_table_write(t, stdout, fmt);
    if (!lrc && fflush(stdout))
        lrc = MUON_ERROR(MUON_EIO, "stdout: write error");
    cli_table_free(t);
    rc = lrc ? cli_fail(CMD, lrc) : CLI_EXIT_OK;
out:
    free(ka);
    free(kb);
    return rc;
}
