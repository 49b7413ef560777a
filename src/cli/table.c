/* table.c: the one results writer: aligned table, tidy CSV with provenance
 * comment lines, or JSON with a provenance object. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "muon/io.h"
#include "muon/status.h"

typedef enum { CELL_STR, CELL_NUM, CELL_INT } cell_kind;

typedef struct {
    cell_kind kind;
    char *s;
    double d;
    long long i;
} cell;

struct cli_table {
    size_t ncols;
    char **cols;
    cell *cells;
    size_t ncells, cap;
    int oom;
};

int
cli_format_by_name(const char *cmd, const char *name, cli_format *out)
{
    if (!strcmp(name, "table"))
        *out = CLI_TABLE;
    else if (!strcmp(name, "csv"))
        *out = CLI_CSV;
    else if (!strcmp(name, "json"))
        *out = CLI_JSON;
    else
        return cli_usage_error(cmd, "unknown format '%s' (valid: table, csv, "
                               "json)", name);
    return 0;
}

cli_table *
cli_table_new(const char *const *cols, size_t ncols)
{
    cli_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cols = calloc(ncols, sizeof *t->cols);
    if (!t->cols) {
        free(t);
        return NULL;
    }
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++)
        if (!(t->cols[i] = strdup(cols[i]))) {
            cli_table_free(t);
            return NULL;
        }
    return t;
}

void
cli_table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    free(t->cols);
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i].s);
    free(t->cells);
    free(t);
}

static cell *
push(cli_table *t)
{
    if (t->ncells == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 64;
        cell *c = realloc(t->cells, nc * sizeof *c);
        if (!c) {
            t->oom = 1;
            return NULL;
        }
        t->cells = c;
        t->cap = nc;
    }
    cell *c = &t->cells[t->ncells++];
    memset(c, 0, sizeof *c);
    return c;
}

void
cli_table_str(cli_table *t, const char *s)
{
    cell *c = push(t);
    if (!c)
        return;
    c->kind = CELL_STR;
    if (!(c->s = strdup(s ? s : "")))
        t->oom = 1;
}

void
cli_table_num(cli_table *t, double v)
{
    cell *c = push(t);
    if (c) {
        c->kind = CELL_NUM;
        c->d = v;
    }
}

void
cli_table_int(cli_table *t, long long v)
{
    cell *c = push(t);
    if (c) {
        c->kind = CELL_INT;
        c->i = v;
    }
}

size_t
cli_table_rows(const cli_table *t)
{
    return t->ncols ? t->ncells / t->ncols : 0;
}

static void
format_cell(const cell *c, int digits, char *buf, size_t cap)
{
    switch (c->kind) {
    case CELL_STR: snprintf(buf, cap, "%s", c->s); break;
    case CELL_INT: snprintf(buf, cap, "%lld", c->i); break;
    case CELL_NUM:
        if (isnan(c->d))
            snprintf(buf, cap, "nan");
        else if (isinf(c->d))
            snprintf(buf, cap, c->d > 0 ? "inf" : "-inf");
        else
            snprintf(buf, cap, "%.*g", digits, c->d);
        break;
    }
}

static int
csv_needs_quotes(const char *s)
{
    return strpbrk(s, ",\"\n\r") != NULL;
}

/* Writes one CSV field, quoted (RFC 4180) when it must be. */
static void
csv_field(FILE *f, const char *s)
{
    if (!csv_needs_quotes(s)) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static int
write_csv(const cli_table *t, FILE *f)
{
    int rc = muon_provenance_write(f, "# ");
    if (rc)
        return rc;
    for (size_t j = 0; j < t->ncols; j++) {
        if (j)
            fputc(',', f);
        csv_field(f, t->cols[j]);
    }
    fputc('\n', f);
    char buf[64];
    for (size_t r = 0; r < cli_table_rows(t); r++) {
        for (size_t j = 0; j < t->ncols; j++) {
            const cell *c = &t->cells[r * t->ncols + j];
            if (j)
                fputc(',', f);
            if (c->kind == CELL_STR) {
                csv_field(f, c->s); /* any length */
            } else {
                format_cell(c, 17, buf, sizeof buf);
                fputs(buf, f);
            }
        }
        fputc('\n', f);
    }
    return MUON_SUCCESS;
}

static int
write_table(const cli_table *t, FILE *f)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return MUON_ERROR(MUON_ENOMEM, "out of memory formatting a table");
    char buf[512];
    size_t rows = cli_table_rows(t);
    for (size_t j = 0; j < t->ncols; j++)
        w[j] = strlen(t->cols[j]);
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < t->ncols; j++) {
            format_cell(&t->cells[r * t->ncols + j], 6, buf, sizeof buf);
            if (strlen(buf) > w[j])
                w[j] = strlen(buf);
        }
    for (size_t j = 0; j < t->ncols; j++)
        fprintf(f, "%s%-*s", j ? "  " : "", (int)w[j], t->cols[j]);
    fputc('\n', f);
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < t->ncols; j++) {
            const cell *c = &t->cells[r * t->ncols + j];
            format_cell(c, 6, buf, sizeof buf);
            /* Numbers right-aligned, names left-aligned. */
            if (c->kind == CELL_STR)
                fprintf(f, "%s%-*s", j ? "  " : "", (int)w[j], buf);
            else
                fprintf(f, "%s%*s", j ? "  " : "", (int)w[j], buf);
        }
        fputc('\n', f);
    }
    free(w);
    return MUON_SUCCESS;
}

static int
write_json(const cli_table *t, FILE *f)
{
    json_t *root = json_object();
    json_t *rows = json_array();
    json_t *prov = muon_provenance_json();
    if (!root || !rows || !prov) {
        json_decref(root);
        json_decref(rows);
        json_decref(prov);
        return MUON_ERROR(MUON_ENOMEM, "out of memory building JSON");
    }
    json_object_set_new(root, "provenance", prov);
    for (size_t r = 0; r < cli_table_rows(t); r++) {
        json_t *o = json_object();
        for (size_t j = 0; j < t->ncols; j++) {
            const cell *c = &t->cells[r * t->ncols + j];
            json_t *v;
            /* JSON has no NaN/Inf: a non-finite number becomes null (the
             * table's status columns say why). */
            switch (c->kind) {
            case CELL_STR: v = json_string(c->s); break;
            case CELL_INT: v = json_integer(c->i); break;
            default: v = isfinite(c->d) ? json_real(c->d) : json_null();
            }
            json_object_set_new(o, t->cols[j], v ? v : json_null());
        }
        json_array_append_new(rows, o);
    }
    json_object_set_new(root, "rows", rows);
    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(root);
    fputc('\n', f);
    return rc ? MUON_ERROR(MUON_EIO, "writing JSON failed") : MUON_SUCCESS;
}

int
cli_table_write(const cli_table *t, FILE *f, cli_format fmt)
{
    if (t->oom)
        return MUON_ERROR(MUON_ENOMEM, "out of memory filling a table");
    int rc;
    switch (fmt) {
    case CLI_CSV: rc = write_csv(t, f); break;
    case CLI_JSON: rc = write_json(t, f); break;
    default: rc = write_table(t, f); break;
    }
    if (!rc && (fflush(f) != 0 || ferror(f)))
        rc = MUON_ERROR(MUON_EIO, "write failed: %s", strerror(errno));
    return rc;
}

int
cli_table_save(const cli_table *t, const char *path, cli_format fmt)
{
    muon_afile *af;
    FILE *f;
    int rc = muon_afile_open(&af, path, &f);
    if (rc)
        return rc;
    rc = cli_table_write(t, f, fmt);
    if (rc) {
        muon_afile_abort(af);
        return rc;
    }
    return muon_afile_commit(af);
}
