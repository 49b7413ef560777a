/* sweep_lib.c: experiment files, grid expansion, cell markers, CSV reading,
 * result merging and per-group statistics for `muonlab sweep` / `stats`. */
#include "sweep_lib.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "muon/io.h"
#include "muon/names.h"
#include "muon/stats.h"
#include "muon/status.h"

/* ---- the per-command result convention ----------------------------------
 * Adapt here when a subcommand changes how it reports results. */
typedef struct {
    const char *command;
    int to_stdout;          /* results as CSV on stdout (captured) */
    const char *forced_key; /* option the runner sets itself */
    const char *forced_val; /* its value (NULL: the cell's out folder) */
} sweep_command;

static const sweep_command command_table[] = {
    {"ortho", 1, "format", "csv"},
    {"spectrum", 1, "format", "csv"},
    {"bench", 1, "format", "csv"},
    {"coeffs", 1, "format", "csv"},
    {"train", 0, "out", NULL},
    {"replay", 0, "out", NULL},
};
#define NCOMMANDS (sizeof command_table / sizeof command_table[0])
#define DEFAULT_RESULT "summary.csv"
#define STDOUT_RESULT "stdout.csv"

/* Refuse grids larger than this: a typo ("steps": [1..1e6]) should not
 * create a million folders (FAULTS.md F). */
#define MAX_CELLS 100000

static const sweep_command *
command_by_name(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(command_table[i].command, name))
            return &command_table[i];
    return NULL;
}

int
sweep_command_to_stdout(const char *command)
{
    const sweep_command *c = command_by_name(command);
    return c && c->to_stdout;
}

/* ---- small helpers ------------------------------------------------------ */

void
sweep_strv_free(char **v)
{
    if (!v)
        return;
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

int
sweep_read_file(const char *path, char **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", path);
    if (err) {
        free(buf);
        return MUON_ERROR(MUON_EIO, "%s: read error", path);
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        return MUON_ERROR(MUON_EFORMAT, "%s: contains a NUL byte (not text)",
                          path);
    }
    *out = buf;
    return MUON_SUCCESS;
}

int
sweep_write_file(const char *path, const char *text)
{
    muon_afile *af;
    FILE *f;
    int rc = muon_afile_open(&af, path, &f);
    if (rc)
        return rc;
    fputs(text, f);
    return muon_afile_commit(af);
}

int
sweep_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0755) && errno != EEXIST) {
            int e = errno;
            int rc = MUON_ERROR(MUON_EIO, "cannot create folder %s: %s", p,
                                strerror(e));
            free(p);
            return rc;
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode))
        return MUON_ERROR(MUON_EIO, "%s exists and is not a folder", path);
    return MUON_SUCCESS;
}

/* ---- CSV ---------------------------------------------------------------- */

void
sweep_csv_free(sweep_csv *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncols; i++)
        free(c->cols[i]);
    for (size_t i = 0; i < c->nrows * c->ncols; i++)
        free(c->cells[i]);
    free(c->cols);
    free(c->cells);
    free(c->lines);
    free(c);
}

long
sweep_csv_col(const sweep_csv *c, const char *name)
{
    for (size_t j = 0; j < c->ncols; j++)
        if (!strcmp(c->cols[j], name))
            return (long)j;
    return -1;
}

/* Splits one record starting at *pp (which may span lines inside quotes)
 * into fields; advances *pp past the record and *line past its lines.
 * Returns the number of fields, or -1 (unterminated quote), -2 (OOM). */
static long
csv_record(const char **pp, size_t *line, char ***fields)
{
    const char *p = *pp;
    size_t n = 0, cap = 8;
    char **f = malloc(cap * sizeof *f);
    char *buf = malloc(strlen(p) + 1);
    if (!f || !buf)
        goto oom;
    for (;;) {
        size_t len = 0;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    goto unterminated;
                if (*p == '"' && p[1] == '"') {
                    buf[len++] = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    if (*p == '\n')
                        (*line)++;
                    buf[len++] = *p++;
                }
            }
        }
        while (*p && *p != ',' && *p != '\n' && *p != '\r')
            buf[len++] = *p++;
        buf[len] = '\0';
        /* Keep one slot for the NULL that ends the array: the header
         * doubles as a candidate list for muon_closest_name. */
        if (n + 1 == cap) {
            char **nf = realloc(f, 2 * cap * sizeof *f);
            if (!nf)
                goto oom;
            f = nf;
            cap *= 2;
        }
        if (!(f[n] = strdup(buf)))
            goto oom;
        f[++n] = NULL;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\r')
            p++;
        if (*p == '\n')
            p++;
        break;
    }
    free(buf);
    (*line)++;
    *pp = p;
    *fields = f;
    return (long)n;
unterminated:
    for (size_t i = 0; i < n; i++)
        free(f[i]);
    free(f);
    free(buf);
    return -1;
oom:
    if (f)
        for (size_t i = 0; i < n; i++)
            free(f[i]);
    free(f);
    free(buf);
    return -2;
}

int
sweep_csv_parse(const char *text, const char *src, sweep_csv **out)
{
    *out = NULL;
    sweep_csv *c = calloc(1, sizeof *c);
    if (!c)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", src);
    size_t line = 1, rowcap = 0;
    const char *p = text;
    int rc = MUON_SUCCESS;
    while (*p) {
        /* Comment lines (provenance) and blank lines carry no data. */
        if (*p == '#' || *p == '\n' || *p == '\r') {
            const char *nl = strchr(p, '\n');
            p = nl ? nl + 1 : p + strlen(p);
            line++;
            continue;
        }
        size_t start = line;
        char **f;
        long n = csv_record(&p, &line, &f);
        if (n == -1) {
            rc = MUON_ERROR(MUON_EFORMAT, "%s:%zu: unterminated quoted field",
                            src, start);
            break;
        }
        if (n < 0) {
            rc = MUON_ERROR(MUON_ENOMEM, "%s: out of memory", src);
            break;
        }
        if (!c->cols) {
            c->cols = f;
            c->ncols = (size_t)n;
            for (size_t j = 0; j < c->ncols && !rc; j++)
                for (size_t k = 0; k < j; k++)
                    if (!strcmp(f[j], f[k])) {
                        rc = MUON_ERROR(MUON_EFORMAT, "%s:%zu: column '%s' "
                                        "appears twice in the header", src,
                                        start, f[j]);
                        break;
                    }
            continue;
        }
        if ((size_t)n > c->ncols) {
            rc = MUON_ERROR(MUON_EFORMAT, "%s:%zu: %ld fields, but the header "
                            "has %zu columns", src, start, n, c->ncols);
            for (long j = 0; j < n; j++)
                free(f[j]);
            free(f);
            break;
        }
        if (c->nrows == rowcap) {
            size_t nc = rowcap ? 2 * rowcap : 64, bytes;
            char **cells = NULL;
            size_t *lines = NULL;
            if (!muon_size_mul3(&bytes, nc, c->ncols, sizeof(char *)))
                cells = realloc(c->cells, bytes);
            if (cells)
                c->cells = cells;
            if (cells)
                lines = realloc(c->lines, nc * sizeof *lines);
            if (lines)
                c->lines = lines;
            if (!cells || !lines) {
                for (long j = 0; j < n; j++)
                    free(f[j]);
                free(f);
                rc = MUON_ERROR(MUON_ENOMEM, "%s: out of memory", src);
                break;
            }
            rowcap = nc;
        }
        char **row = c->cells + c->nrows * c->ncols;
        for (size_t j = 0; j < c->ncols; j++)
            row[j] = (long)j < n ? f[j] : strdup("");
        free(f);
        c->lines[c->nrows++] = start;
        for (size_t j = (size_t)n; j < c->ncols; j++)
            if (!row[j])
                rc = MUON_ERROR(MUON_ENOMEM, "%s: out of memory", src);
        if (rc)
            break;
    }
    if (!rc && !c->cols)
        rc = MUON_ERROR(MUON_EFORMAT, "%s: no header line (empty file or "
                        "only comments)", src);
    if (rc) {
        sweep_csv_free(c);
        return rc;
    }
    *out = c;
    return MUON_SUCCESS;
}

int
sweep_csv_read(const char *path, sweep_csv **out)
{
    char *text;
    int rc = sweep_read_file(path, &text);
    if (rc) {
        *out = NULL;
        return rc;
    }
    rc = sweep_csv_parse(text, path, out);
    free(text);
    return rc;
}

/* ---- experiment files --------------------------------------------------- */

static const char *const top_keys[] = {"name", "command", "description",
                                       "fixed", "grid", "zip", "seeds",
                                       "result", NULL};

/* Position of `"key"` followed by ':' in text, searched after the position
 * of `"section":` when section is given.  jansson reports positions only
 * for syntax errors, so validation messages find their key in the text;
 * this can only be wrong for a key spelled identically in two places of
 * one section, which validation rejects anyway. */
static void
locate(const char *text, const char *section, const char *key, int *line,
       int *col)
{
    *line = *col = 0;
    if (!text)
        return;
    const char *from = text;
    for (int pass = section ? 0 : 1; pass < 2; pass++) {
        const char *want = pass ? key : section;
        size_t wl = strlen(want);
        const char *p = from, *hit = NULL;
        while ((p = strchr(p, '"'))) {
            if (!strncmp(p + 1, want, wl) && p[wl + 1] == '"') {
                const char *q = p + wl + 2;
                while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
                    q++;
                if (*q == ':') {
                    hit = p;
                    break;
                }
            }
            p++;
        }
        if (!hit)
            return;
        from = hit + wl + 2;
        if (pass) {
            *line = 1;
            const char *bol = text;
            for (const char *s = text; s < hit; s++)
                if (*s == '\n') {
                    (*line)++;
                    bol = s + 1;
                }
            *col = (int)(hit - bol) + 1;
        }
    }
}

/* "src:line:col" for the key, or just "src" when it cannot be found. */
static const char *
where(char *buf, size_t cap, const char *src, const char *text,
      const char *section, const char *key)
{
    int line, col;
    locate(text, section, key, &line, &col);
    if (line)
        snprintf(buf, cap, "%s:%d:%d", src, line, col);
    else
        snprintf(buf, cap, "%s", src);
    return buf;
}

static const char *
json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* A JSON scalar as the text passed on the command line.  Reals use the
 * shortest representation that reads back to the same double, so 0.1
 * stays "0.1" in folder listings and CSV columns.  Integers are read as
 * integers (PITFALLS 3.1: json_real_value() of `1` is 0).  Returns NULL
 * for non-scalars (and sets *bad) or on OOM. */
static char *
scalar_text(const json_t *v, int *bad)
{
    char buf[64];
    *bad = 0;
    switch (json_typeof(v)) {
    case JSON_STRING: return strdup(json_string_value(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    case JSON_REAL: {
        double d = json_real_value(v);
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(buf, sizeof buf, "%.*g", digits, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return strdup(buf);
    }
    case JSON_TRUE: return strdup("true");
    case JSON_FALSE: return strdup("false");
    default: *bad = 1; return NULL;
    }
}

/* Option names are what cli_parse accepts after "--". */
static int
valid_option_name(const char *k)
{
    if (!*k || *k == '-')
        return 0;
    for (const char *s = k; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return 0;
    return 1;
}

void
sweep_exp_free(sweep_exp *e)
{
    if (!e)
        return;
    free(e->src);
    free(e->name);
    free(e->command);
    free(e->result);
    for (size_t i = 0; i < e->nfixed; i++) {
        free(e->fixed_keys[i]);
        free(e->fixed_vals[i]);
    }
    free(e->fixed_keys);
    free(e->fixed_vals);
    for (size_t k = 0; k < e->naxes; k++) {
        free(e->axes[k].name);
        for (size_t j = 0; j < e->axes[k].nvalues; j++)
            free(e->axes[k].values[j]);
        free(e->axes[k].values);
    }
    free(e->axes);
    free(e->canonical);
    free(e);
}

/* Parser state shared by the validation helpers. */
typedef struct {
    const char *text, *src;
    sweep_exp *e;
    char pos[600];
} parse_ctx;

/* Is `key` already an option of the experiment (fixed or an axis)? */
static const char *
already_used(const sweep_exp *e, const char *key)
{
    for (size_t i = 0; i < e->nfixed; i++)
        if (!strcmp(e->fixed_keys[i], key))
            return "fixed";
    for (size_t k = 0; k < e->naxes; k++)
        if (!strcmp(e->axes[k].name, key))
            return e->axes[k].zipped ? "zip" : "grid";
    return NULL;
}

static int
check_key(parse_ctx *x, const char *section, const char *key)
{
    const char *at = where(x->pos, sizeof x->pos, x->src, x->text, section,
                           key);
    if (!valid_option_name(key))
        return MUON_ERROR(MUON_EINVAL, "%s: \"%s\" in \"%s\" is not an option "
                          "name (lower-case letters, digits, '-', '_')", at,
                          key, section);
    const char *prev = already_used(x->e, key);
    if (prev)
        return MUON_ERROR(MUON_EINVAL, "%s: option \"%s\" is given in both "
                          "\"%s\" and \"%s\"", at, key, prev, section);
    const sweep_command *c = command_by_name(x->e->command);
    if (!strcmp(key, "help") || (c && !strcmp(key, c->forced_key) &&
                                 !c->forced_val))
        return MUON_ERROR(MUON_EINVAL, "%s: option \"%s\" is set by the sweep "
                          "runner itself; remove it", at, key);
    return MUON_SUCCESS;
}

/* The values of an axis (grid, zip or seeds). */
static int
add_axis(parse_ctx *x, const char *section, const char *key, json_t *arr,
         int zipped)
{
    int rc = check_key(x, section, key);
    if (rc)
        return rc;
    const char *at = x->pos;
    if (!json_is_array(arr))
        return MUON_ERROR(MUON_EINVAL, "%s: \"%s\" in \"%s\" must be an array "
                          "of values (got %s)", at, key, section,
                          json_type_name(arr));
    size_t n = json_array_size(arr);
    if (n == 0)
        return MUON_ERROR(MUON_EINVAL, "%s: axis \"%s\" in \"%s\" is empty",
                          at, key, section);
    sweep_exp *e = x->e;
    sweep_axis *axes = realloc(e->axes, (e->naxes + 1) * sizeof *axes);
    if (!axes)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    e->axes = axes;
    sweep_axis *a = &axes[e->naxes++];
    memset(a, 0, sizeof *a);
    a->zipped = zipped;
    a->from_seeds = !strcmp(section, "seeds");
    a->name = strdup(key);
    a->values = calloc(n, sizeof *a->values);
    if (!a->name || !a->values)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        int bad;
        if (!strcmp(section, "seeds") &&
            (!json_is_integer(v) || json_integer_value(v) < 0))
            return MUON_ERROR(MUON_EINVAL, "%s: seed %zu must be a "
                              "non-negative integer (got %s)", at, i + 1,
                              json_type_name(v));
        char *s = scalar_text(v, &bad);
        if (bad)
            return MUON_ERROR(MUON_EINVAL, "%s: value %zu of axis \"%s\" is "
                              "%s; expected a string, number or boolean", at,
                              i + 1, key, json_type_name(v));
        if (!s)
            return MUON_ERROR(MUON_ENOMEM, "out of memory");
        a->values[a->nvalues++] = s;
        if (!*s)
            return MUON_ERROR(MUON_EINVAL, "%s: value %zu of axis \"%s\" is "
                              "an empty string", at, i + 1, key);
        /* A repeated value on a grid axis runs the same cells twice; on a
         * zip axis repeats are normal (they pair with other values). */
        for (size_t j = 0; strcmp(section, "zip") && j < i; j++)
            if (!strcmp(a->values[j], s))
                return MUON_ERROR(MUON_EINVAL, "%s: axis \"%s\" lists \"%s\" "
                                  "twice (values %zu and %zu)", at, key, s,
                                  j + 1, i + 1);
    }
    return MUON_SUCCESS;
}

static int
parse_fixed(parse_ctx *x, json_t *obj)
{
    const char *key;
    json_t *v;
    sweep_exp *e = x->e;
    size_t n = json_object_size(obj);
    e->fixed_keys = calloc(n + 1, sizeof *e->fixed_keys);
    e->fixed_vals = calloc(n + 1, sizeof *e->fixed_vals);
    if (!e->fixed_keys || !e->fixed_vals)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    json_object_foreach(obj, key, v) {
        int rc = check_key(x, "fixed", key);
        if (rc)
            return rc;
        int bad;
        char *s = scalar_text(v, &bad);
        if (bad)
            return MUON_ERROR(MUON_EINVAL, "%s: \"%s\" in \"fixed\" is %s; "
                              "expected a string, number or boolean (put "
                              "lists of values in \"grid\")", x->pos, key,
                              json_type_name(v));
        char *k = strdup(key);
        if (!s || !k) {
            free(s);
            free(k);
            return MUON_ERROR(MUON_ENOMEM, "out of memory");
        }
        e->fixed_keys[e->nfixed] = k;
        e->fixed_vals[e->nfixed++] = s;
        if (!*s)
            return MUON_ERROR(MUON_EINVAL, "%s: \"%s\" in \"fixed\" is an "
                              "empty string", x->pos, key);
    }
    return MUON_SUCCESS;
}

static int
parse_string_field(parse_ctx *x, json_t *root, const char *key, int required,
                   char **out)
{
    json_t *v = json_object_get(root, key);
    if (!v) {
        if (required)
            return MUON_ERROR(MUON_EINVAL, "%s: missing required key \"%s\"",
                              x->src, key);
        return MUON_SUCCESS;
    }
    if (!json_is_string(v) || !*json_string_value(v))
        return MUON_ERROR(MUON_EINVAL, "%s: \"%s\" must be a non-empty string "
                          "(got %s)",
                          where(x->pos, sizeof x->pos, x->src, x->text, NULL,
                                key), key, json_type_name(v));
    if (!(*out = strdup(json_string_value(v))))
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    return MUON_SUCCESS;
}

static int
parse_root(parse_ctx *x, json_t *root)
{
    sweep_exp *e = x->e;
    if (!json_is_object(root))
        return MUON_ERROR(MUON_EINVAL, "%s: an experiment is a JSON object "
                          "{\"name\": ..., \"command\": ...} (got %s)",
                          x->src, json_type_name(root));
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        int known = 0;
        for (size_t i = 0; top_keys[i]; i++)
            known |= !strcmp(key, top_keys[i]);
        if (!known) {
            const char *near = muon_closest_name(key, top_keys);
            char hint[96] = "";
            if (near)
                snprintf(hint, sizeof hint, "did you mean \"%s\"? ", near);
            return MUON_ERROR(MUON_EUNKNOWN, "%s: unknown key \"%s\"; %svalid "
                              "keys: name, command, description, fixed, grid, "
                              "zip, seeds, result",
                              where(x->pos, sizeof x->pos, x->src, x->text,
                                    NULL, key), key, hint);
        }
    }
    int rc;
    if ((rc = parse_string_field(x, root, "name", 1, &e->name)) ||
        (rc = parse_string_field(x, root, "command", 1, &e->command)) ||
        (rc = parse_string_field(x, root, "result", 0, &e->result)))
        return rc;
    if (strspn(e->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._-") != strlen(e->name))
        return MUON_ERROR(MUON_EINVAL, "%s: name \"%s\" becomes a folder name: "
                          "use letters, digits, '.', '_', '-'",
                          where(x->pos, sizeof x->pos, x->src, x->text, NULL,
                                "name"), e->name);
    if (e->name[0] == '.')
        return MUON_ERROR(MUON_EINVAL, "%s: name \"%s\" must not start with "
                          "'.'", x->src, e->name);
    const sweep_command *c = command_by_name(e->command);
    if (!c) {
        const char *names[NCOMMANDS + 1];
        for (size_t i = 0; i < NCOMMANDS; i++)
            names[i] = command_table[i].command;
        names[NCOMMANDS] = NULL;
        const char *near = muon_closest_name(e->command, names);
        char hint[96] = "";
        if (near)
            snprintf(hint, sizeof hint, "did you mean \"%s\"? ", near);
        return MUON_ERROR(MUON_EUNKNOWN, "%s: unknown command \"%s\"; %svalid "
                          "commands: ortho, spectrum, bench, coeffs, train, "
                          "replay",
                          where(x->pos, sizeof x->pos, x->src, x->text, NULL,
                                "command"), e->command, hint);
    }
    if (e->result && c->to_stdout)
        return MUON_ERROR(MUON_EINVAL, "%s: \"result\" names a file in the "
                          "--out folder of train/replay; \"%s\" prints its "
                          "results to stdout",
                          where(x->pos, sizeof x->pos, x->src, x->text, NULL,
                                "result"), e->command);
    if (e->result && (strstr(e->result, "..") || e->result[0] == '/'))
        return MUON_ERROR(MUON_EINVAL, "%s: \"result\" must be a relative path "
                          "inside the run's folder (got \"%s\")", x->src,
                          e->result);
    if (!e->result && !c->to_stdout && !(e->result = strdup(DEFAULT_RESULT)))
        return MUON_ERROR(MUON_ENOMEM, "out of memory");

    json_t *fixed = json_object_get(root, "fixed");
    json_t *grid = json_object_get(root, "grid");
    json_t *zip = json_object_get(root, "zip");
    json_t *seeds = json_object_get(root, "seeds");
    const struct {
        const char *name;
        json_t *v;
    } sections[] = {{"fixed", fixed}, {"grid", grid}, {"zip", zip}};
    for (size_t i = 0; i < 3; i++)
        if (sections[i].v && !json_is_object(sections[i].v))
            return MUON_ERROR(MUON_EINVAL, "%s: \"%s\" must be an object "
                              "{\"option\": ...} (got %s)",
                              where(x->pos, sizeof x->pos, x->src, x->text,
                                    NULL, sections[i].name),
                              sections[i].name,
                              json_type_name(sections[i].v));
    if (fixed && (rc = parse_fixed(x, fixed)))
        return rc;
    /* The forced option (format=csv) may be repeated in "fixed" with the
     * same value, as in the documented examples; anything else would be
     * silently overridden, so it is an error. */
    for (size_t i = 0; i < e->nfixed; i++)
        if (!strcmp(e->fixed_keys[i], c->forced_key) && c->forced_val &&
            strcmp(e->fixed_vals[i], c->forced_val))
            return MUON_ERROR(MUON_EINVAL, "%s: the sweep reads \"%s\" output "
                              "as --%s %s (got \"%s\")",
                              where(x->pos, sizeof x->pos, x->src, x->text,
                                    "fixed", c->forced_key), e->command,
                              c->forced_key, c->forced_val, e->fixed_vals[i]);
    const char *key2;
    json_t *v2;
    if (grid)
        json_object_foreach(grid, key2, v2) {
            if ((rc = add_axis(x, "grid", key2, v2, 0)))
                return rc;
            if (!strcmp(key2, c->forced_key))
                return MUON_ERROR(MUON_EINVAL, "%s: \"%s\" cannot be swept; "
                                  "the runner sets it", x->pos, key2);
        }
    size_t zip_first = e->naxes;
    if (zip)
        json_object_foreach(zip, key2, v2) {
            if ((rc = add_axis(x, "zip", key2, v2, 1)))
                return rc;
            if (!strcmp(key2, c->forced_key))
                return MUON_ERROR(MUON_EINVAL, "%s: \"%s\" cannot be swept; "
                                  "the runner sets it", x->pos, key2);
            const sweep_axis *a0 = &e->axes[zip_first];
            const sweep_axis *a = &e->axes[e->naxes - 1];
            if (a->nvalues != a0->nvalues)
                return MUON_ERROR(MUON_EBADLEN, "%s: zipped axes vary together "
                                  "and need equal lengths: \"%s\" has %zu "
                                  "values, \"%s\" has %zu", x->pos, a0->name,
                                  a0->nvalues, a->name, a->nvalues);
        }
    if (seeds) {
        if (!json_is_array(seeds))
            return MUON_ERROR(MUON_EINVAL, "%s: \"seeds\" must be an array of "
                              "integers (got %s)",
                              where(x->pos, sizeof x->pos, x->src, x->text,
                                    NULL, "seeds"), json_type_name(seeds));
        if ((rc = add_axis(x, "seeds", "seed", seeds, 0)))
            return rc;
    }
    /* The number of cells: product of the grid axis lengths, the zip
     * length (counted once) and the number of seeds. */
    size_t n = 1;
    int zip_counted = 0;
    for (size_t k = 0; k < e->naxes; k++) {
        if (e->axes[k].zipped && zip_counted++)
            continue;
        if (__builtin_mul_overflow(n, e->axes[k].nvalues, &n) ||
            n > MAX_CELLS)
            return MUON_ERROR(MUON_ERANGE, "%s: the grid has more than %d "
                              "cells; split the experiment", x->src,
                              MAX_CELLS);
    }
    e->ncells = n;
    return MUON_SUCCESS;
}

static unsigned long long
fnv1a64(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int
sweep_exp_parse(const char *text, const char *src, sweep_exp **out)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return MUON_ERROR(MUON_EFORMAT, "%s:%d:%d: %s", src, jerr.line,
                          jerr.column, jerr.text);
    sweep_exp *e = calloc(1, sizeof *e);
    parse_ctx x = {.text = text, .src = src, .e = e};
    int rc = e ? MUON_SUCCESS : MUON_ERROR(MUON_ENOMEM, "out of memory");
    if (!rc && !(e->src = strdup(src)))
        rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
    if (!rc)
        rc = parse_root(&x, root);
    if (!rc) {
        /* Key order is kept (not sorted): it fixes the cell numbering, so
         * reordering the grid must count as a different experiment. */
        e->canonical = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (!e->canonical)
            rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
        else
            e->hash = fnv1a64(e->canonical);
    }
    json_decref(root);
    if (rc) {
        sweep_exp_free(e);
        return rc;
    }
    *out = e;
    return MUON_SUCCESS;
}

int
sweep_exp_load(const char *path, sweep_exp **out)
{
    char *text;
    *out = NULL;
    int rc = sweep_read_file(path, &text);
    if (rc)
        return rc;
    rc = sweep_exp_parse(text, path, out);
    free(text);
    return rc;
}

void
sweep_cell_values(const sweep_exp *e, size_t cell, const char **vals)
{
    size_t rem = cell, zipdigit = 0;
    int zip_done = 0;
    /* Mixed radix, last axis fastest; the zipped axes share one digit. */
    for (size_t k = e->naxes; k-- > 0;) {
        const sweep_axis *a = &e->axes[k];
        if (a->zipped) {
            if (!zip_done) {
                zipdigit = rem % a->nvalues;
                rem /= a->nvalues;
                zip_done = 1;
            }
            vals[k] = a->values[zipdigit];
        } else {
            vals[k] = a->values[rem % a->nvalues];
            rem /= a->nvalues;
        }
    }
}

const char *
sweep_result_file(const sweep_exp *e, char *buf, size_t cap)
{
    if (sweep_command_to_stdout(e->command))
        snprintf(buf, cap, "%s", STDOUT_RESULT);
    else
        snprintf(buf, cap, "out/%s", e->result);
    return buf;
}

char **
sweep_help_options(const char *help)
{
    size_t n = 0, cap = 16;
    char **v = calloc(cap + 1, sizeof *v);
    for (const char *p = help; v && p && *p;) {
        const char *s = p + strspn(p, " \t");
        if (s > p && s[0] == '-' && s[1] == '-') {
            s += 2;
            size_t len = strcspn(s, " \t\n=");
            if (len && strncmp(s, "help", len)) {
                if (n == cap) {
                    char **nv = realloc(v, (2 * cap + 1) * sizeof *v);
                    if (!nv)
                        break;
                    v = nv;
                    cap *= 2;
                }
                if (!(v[n] = strndup(s, len)))
                    break;
                v[++n] = NULL;
            }
        }
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    if (v && n == 0) {
        free(v);
        return NULL;
    }
    return v;
}

int
sweep_check_options(const sweep_exp *e, const char *text,
                    const char *const *valid)
{
    const char *list_sections[] = {"fixed", "grid", "zip"};
    char pos[600], names[1024] = "";
    for (size_t i = 0; valid[i]; i++) {
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                 valid[i]);
    }
    for (size_t i = 0; i < e->nfixed + e->naxes; i++) {
        const char *key = i < e->nfixed ? e->fixed_keys[i]
                                        : e->axes[i - e->nfixed].name;
        const sweep_axis *a = i < e->nfixed ? NULL : &e->axes[i - e->nfixed];
        const char *section = !a              ? list_sections[0]
                              : a->from_seeds ? "seeds"
                              : a->zipped     ? list_sections[2]
                                              : list_sections[1];
        int ok = 0;
        for (size_t j = 0; valid[j] && !ok; j++)
            ok = !strcmp(valid[j], key);
        if (ok)
            continue;
        const char *near = muon_closest_name(key, valid);
        char hint[96] = "";
        if (near)
            snprintf(hint, sizeof hint, "did you mean \"%s\"? ", near);
        return MUON_ERROR(MUON_EUNKNOWN, "%s: \"%s\" in \"%s\" is not an "
                          "option of muonlab %s; %svalid options: %s",
                          where(pos, sizeof pos, e->src, text,
                                strcmp(section, "seeds") ? section : NULL,
                                strcmp(section, "seeds") ? key : "seeds"),
                          key, section, e->command, hint, names);
    }
    return MUON_SUCCESS;
}

static char *
opt_arg(const char *key, const char *val)
{
    char *s;
    if (asprintf(&s, "--%s=%s", key, val) < 0)
        return NULL;
    return s;
}

char **
sweep_cell_argv(const sweep_exp *e, size_t cell, const char *exe,
                const char *outdir)
{
    const sweep_command *c = command_by_name(e->command);
    size_t n = 0, max = 4 + e->nfixed + e->naxes;
    char **v = calloc(max, sizeof *v);
    const char **vals = calloc(e->naxes + 1, sizeof *vals);
    int oom = !v || !vals || !c;
    if (!oom) {
        sweep_cell_values(e, cell, vals);
        oom |= !(v[n++] = strdup(exe));
        oom |= !(v[n++] = strdup(e->command));
        for (size_t i = 0; i < e->nfixed && !oom; i++)
            if (strcmp(e->fixed_keys[i], c->forced_key))
                oom |= !(v[n++] = opt_arg(e->fixed_keys[i], e->fixed_vals[i]));
        for (size_t k = 0; k < e->naxes && !oom; k++)
            oom |= !(v[n++] = opt_arg(e->axes[k].name, vals[k]));
        if (!oom)
            oom |= !(v[n++] = opt_arg(c->forced_key,
                                      c->forced_val ? c->forced_val
                                                    : outdir));
    }
    free(vals);
    if (oom) {
        sweep_strv_free(v);
        return NULL;
    }
    return v;
}

/* ---- cell folders ------------------------------------------------------- */

void
sweep_cell_dir(const char *dir, size_t cell, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/cells/cell-%04zu", dir, cell);
}

int
sweep_cell_state(const char *celldir, char **detail)
{
    char path[4096];
    if (detail)
        *detail = NULL;
    snprintf(path, sizeof path, "%s/done", celldir);
    if (access(path, F_OK) == 0)
        return SWEEP_DONE;
    snprintf(path, sizeof path, "%s/failed", celldir);
    if (access(path, F_OK) == 0) {
        if (detail && sweep_read_file(path, detail))
            *detail = strdup("failed (marker unreadable)");
        return SWEEP_FAILED;
    }
    return SWEEP_PENDING;
}

/* The last `maxlines` lines of a file, at most `maxbytes` bytes. */
static char *
file_tail(const char *path, size_t maxlines, size_t maxbytes)
{
    char *text;
    if (sweep_read_file(path, &text)) {
        muon_clear_error();
        return strdup("");
    }
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
    size_t start = len > maxbytes ? len - maxbytes : 0, lines = 0;
    for (size_t i = len; i > start; i--)
        if (text[i - 1] == '\n' && ++lines == maxlines) {
            start = i;
            break;
        }
    char *tail = strdup(text + start);
    free(text);
    return tail;
}

int
sweep_cell_mark(const char *celldir, int wstatus, const char *stderr_path)
{
    char path[4096];
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        snprintf(path, sizeof path, "%s/done", celldir);
        return sweep_write_file(path, "exit 0\n");
    }
    char head[64];
    if (WIFEXITED(wstatus))
        snprintf(head, sizeof head, "exit %d", WEXITSTATUS(wstatus));
    else if (WIFSIGNALED(wstatus))
        snprintf(head, sizeof head, "signal %d (%s)", WTERMSIG(wstatus),
                 strsignal(WTERMSIG(wstatus)));
    else
        snprintf(head, sizeof head, "wait status %d", wstatus);
    char *tail = file_tail(stderr_path, 8, 1500);
    char *text;
    if (!tail || asprintf(&text, "%s\n%s\n", head, tail) < 0) {
        free(tail);
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    }
    free(tail);
    snprintf(path, sizeof path, "%s/failed", celldir);
    int rc = sweep_write_file(path, text);
    free(text);
    return rc;
}

/* ---- merging results ------------------------------------------------------ */

/* What collect knows about one cell. */
typedef struct {
    int state;
    char *detail;   /* failed marker text */
    sweep_csv *csv; /* its result rows, or NULL */
    char *problem;  /* why there are no result rows (finished cells) */
} cell_info;

static void
cell_info_clear(cell_info *ci)
{
    free(ci->detail);
    free(ci->problem);
    sweep_csv_free(ci->csv);
}

/* The error text of a failed cell: its stderr tail on one line. */
static void
one_line(char *s)
{
    char *end = s;
    for (char *p = s; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
        if (*p != ' ')
            end = p + 1;
    }
    *end = '\0';
}

int
sweep_collect(const sweep_exp *e, const char *dir, cli_table **out,
              size_t *nfailed, size_t *ndone)
{
    *out = NULL;
    *nfailed = *ndone = 0;
    cell_info *ci = calloc(e->ncells, sizeof *ci);
    const char **vals = calloc(e->naxes + 1, sizeof *vals);
    /* Columns: cell, settings, status, exit, error, then result columns. */
    size_t nbase = 4 + e->nfixed + e->naxes, ncols = nbase, capcols = nbase + 16;
    const char **cols = calloc(capcols, sizeof *cols);
    int rc = MUON_SUCCESS;
    if (!ci || !vals || !cols) {
        rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
        goto done;
    }
    ncols = 0;
    cols[ncols++] = "cell";
    for (size_t i = 0; i < e->nfixed; i++)
        cols[ncols++] = e->fixed_keys[i];
    for (size_t k = 0; k < e->naxes; k++)
        cols[ncols++] = e->axes[k].name;
    cols[ncols++] = "status";
    cols[ncols++] = "exit";
    cols[ncols++] = "error";
    char rel[512], celldir[4096], path[4700];
    sweep_result_file(e, rel, sizeof rel);
    for (size_t i = 0; i < e->ncells; i++) {
        sweep_cell_dir(dir, i, celldir, sizeof celldir);
        ci[i].state = sweep_cell_state(celldir, &ci[i].detail);
        if (ci[i].state == SWEEP_PENDING)
            continue;
        if (ci[i].state == SWEEP_FAILED)
            ++*nfailed;
        else
            ++*ndone;
        snprintf(path, sizeof path, "%s/%s", celldir, rel);
        if (access(path, F_OK) != 0) {
            if (ci[i].state == SWEEP_DONE &&
                asprintf(&ci[i].problem, "exit 0 but no result file %s",
                         rel) < 0)
                ci[i].problem = NULL;
            continue;
        }
        if (sweep_csv_read(path, &ci[i].csv)) {
            /* A malformed result file marks this cell, not the sweep. */
            ci[i].problem = strdup(muon_last_error());
            muon_clear_error();
            continue;
        }
        for (size_t j = 0; j < ci[i].csv->ncols; j++) {
            const char *name = ci[i].csv->cols[j];
            size_t k;
            for (k = 0; k < ncols; k++)
                if (!strcmp(cols[k], name))
                    break;
            if (k < ncols)
                continue;
            if (ncols == capcols) {
                const char **nc = realloc(cols, 2 * capcols * sizeof *nc);
                if (!nc) {
                    rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
                    goto done;
                }
                cols = nc;
                capcols *= 2;
            }
            cols[ncols++] = name;
        }
    }
    cli_table *t = cli_table_new(cols, ncols);
    if (!t) {
        rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
        goto done;
    }
    long *map = calloc(ncols, sizeof *map);
    if (!map) {
        cli_table_free(t);
        rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < e->ncells; i++) {
        if (ci[i].state == SWEEP_PENDING)
            continue;
        sweep_cell_values(e, i, vals);
        const sweep_csv *r = ci[i].csv;
        size_t nrows = r && r->nrows ? r->nrows : 1;
        int exitcode = 0;
        char error[1700] = "";
        if (ci[i].state == SWEEP_FAILED) {
            const char *d = ci[i].detail ? ci[i].detail : "";
            /* "exit N" goes to the exit column; a signal stays in the
             * error text (exit -1) since no exit code exists. */
            if (sscanf(d, "exit %d", &exitcode) == 1 && strchr(d, '\n') &&
                strchr(d, '\n')[1])
                d = strchr(d, '\n') + 1;
            else if (sscanf(d, "exit %d", &exitcode) != 1)
                exitcode = -1;
            snprintf(error, sizeof error, "%s", d);
        } else if (ci[i].problem) {
            snprintf(error, sizeof error, "%s", ci[i].problem);
        } else if (r && !r->nrows) {
            snprintf(error, sizeof error, "result file %s has no rows", rel);
        }
        one_line(error);
        long status_col = r ? sweep_csv_col(r, "status") : -1;
        for (size_t j = 0; j < ncols; j++)
            map[j] = r && j >= nbase ? sweep_csv_col(r, cols[j]) : -1;
        for (size_t row = 0; row < nrows; row++) {
            int has_row = r && row < r->nrows;
            char cellname[32];
            snprintf(cellname, sizeof cellname, "cell-%04zu", i);
            cli_table_str(t, cellname);
            for (size_t k = 0; k < e->nfixed; k++)
                cli_table_str(t, e->fixed_vals[k]);
            for (size_t k = 0; k < e->naxes; k++)
                cli_table_str(t, vals[k]);
            /* The run's own status (e.g. "diverged") is more specific
             * than ours, except that a non-zero exit is never "ok". */
            const char *own = has_row && status_col >= 0
                                  ? sweep_csv_at(r, row, (size_t)status_col)
                                  : "";
            int failed = ci[i].state == SWEEP_FAILED || *error;
            const char *status = *own && !(failed && !strcmp(own, "ok"))
                                     ? own
                                 : failed ? "failed"
                                          : "ok";
            cli_table_str(t, status);
            cli_table_int(t, exitcode);
            cli_table_str(t, error);
            for (size_t j = nbase; j < ncols; j++)
                cli_table_str(t, has_row && map[j] >= 0
                                     ? sweep_csv_at(r, row, (size_t)map[j])
                                     : "");
        }
    }
    free(map);
    *out = t;
done:
    if (ci)
        for (size_t i = 0; i < e->ncells; i++)
            cell_info_clear(&ci[i]);
    free(ci);
    free(vals);
    free(cols);
    return rc;
}

/* ---- statistics over rows ------------------------------------------------- */

typedef struct {
    size_t first;  /* first row of the group (its key values) */
    size_t nvalid, ninvalid, cap;
    double *x;
    /* Welch: the second sample. */
    size_t nvalid_b, ninvalid_b, cap_b;
    double *xb;
} group;

typedef struct {
    group *g;
    size_t n, cap;
    size_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t nslots;
} group_set;

static void
group_set_free(group_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->g[i].x);
        free(s->g[i].xb);
    }
    free(s->g);
    free(s->slots);
}

static int
same_key(const sweep_csv *c, const long *cols, size_t ncols, size_t r1,
         size_t r2)
{
    for (size_t j = 0; j < ncols; j++)
        if (strcmp(sweep_csv_at(c, r1, (size_t)cols[j]),
                   sweep_csv_at(c, r2, (size_t)cols[j])))
            return 0;
    return 1;
}

static size_t
key_hash(const sweep_csv *c, const long *cols, size_t ncols, size_t row)
{
    size_t h = 1469598103934665603ULL;
    for (size_t j = 0; j < ncols; j++) {
        for (const char *s = sweep_csv_at(c, row, (size_t)cols[j]); *s; s++)
            h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        h = (h ^ 0x1f) * 1099511628211ULL;
    }
    return h;
}

/* The group of `row` (created if new); NULL on OOM.  A hash table keeps
 * long convergence logs (steps x seeds x methods rows) linear. */
static group *
group_of(group_set *s, const sweep_csv *c, const long *cols, size_t ncols,
         size_t row)
{
    if (!s->slots) {
        s->nslots = 2;
        while (s->nslots < 2 * c->nrows + 2)
            s->nslots *= 2;
        if (!(s->slots = calloc(s->nslots, sizeof *s->slots)))
            return NULL;
    }
    size_t i = key_hash(c, cols, ncols, row) & (s->nslots - 1);
    while (s->slots[i]) {
        group *g = &s->g[s->slots[i] - 1];
        if (same_key(c, cols, ncols, g->first, row))
            return g;
        i = (i + 1) & (s->nslots - 1);
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        group *ng = realloc(s->g, nc * sizeof *ng);
        if (!ng)
            return NULL;
        s->g = ng;
        s->cap = nc;
    }
    group *g = &s->g[s->n++];
    memset(g, 0, sizeof *g);
    g->first = row;
    s->slots[i] = s->n;
    return g;
}

static int
push_value(double **x, size_t *n, size_t *cap, double v)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 8;
        double *nx = realloc(*x, nc * sizeof *nx);
        if (!nx)
            return MUON_ERROR(MUON_ENOMEM, "out of memory");
        *x = nx;
        *cap = nc;
    }
    (*x)[(*n)++] = v;
    return MUON_SUCCESS;
}

/* A metric value, or NaN for rows that must not be averaged in. */
static double
row_value(const sweep_csv *c, size_t row, long metric, long status)
{
    if (status >= 0 && strcmp(sweep_csv_at(c, row, (size_t)status), "ok"))
        return NAN;
    const char *s = sweep_csv_at(c, row, (size_t)metric);
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end)
        return NAN;
    return v;
}

static int
find_col(const sweep_csv *c, const char *src, const char *name, long *col)
{
    *col = sweep_csv_col(c, name);
    if (*col >= 0)
        return MUON_SUCCESS;
    char list[1024] = "";
    for (size_t j = 0; j < c->ncols; j++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "",
                 c->cols[j]);
    }
    const char *near = muon_closest_name(name, (const char *const *)c->cols);
    char hint[96] = "";
    if (near)
        snprintf(hint, sizeof hint, "did you mean \"%s\"? ", near);
    return MUON_ERROR(MUON_EUNKNOWN, "%s: no column \"%s\"; %scolumns: %s",
                      src, name, hint, list);
}

/* Shared by aggregate and compare: resolve columns and group the rows;
 * with key/a/b, rows go to sample A or B by their key value (others are
 * ignored). */
static int
group_rows(const sweep_csv *c, const char *src, const char *const *by,
           size_t nby, const char *metric, const char *key, const char *a,
           const char *b, long *bycols, size_t *nbycols, group_set *s)
{
    long mcol, kcol = -1;
    int rc = find_col(c, src, metric, &mcol);
    if (!rc && key)
        rc = find_col(c, src, key, &kcol);
    *nbycols = 0;
    for (size_t j = 0; j < nby && !rc; j++) {
        long col;
        if ((rc = find_col(c, src, by[j], &col)))
            break;
        if (col != kcol)
            bycols[(*nbycols)++] = col;
    }
    if (rc)
        return rc;
    long scol = sweep_csv_col(c, "status");
    for (size_t r = 0; r < c->nrows; r++) {
        int side = 0;
        if (key) {
            const char *kv = sweep_csv_at(c, r, (size_t)kcol);
            side = !strcmp(kv, a) ? 0 : !strcmp(kv, b) ? 1 : -1;
            if (side < 0)
                continue;
        }
        group *g = group_of(s, c, bycols, *nbycols, r);
        if (!g)
            return MUON_ERROR(MUON_ENOMEM, "out of memory");
        double v = row_value(c, r, mcol, scol);
        if (!isfinite(v))
            side ? g->ninvalid_b++ : g->ninvalid++;
        else if ((rc = side ? push_value(&g->xb, &g->nvalid_b, &g->cap_b, v)
                            : push_value(&g->x, &g->nvalid, &g->cap, v)))
            return rc;
    }
    return MUON_SUCCESS;
}

/* "groups have different numbers of valid runs: a=1: 3, a=2: 2". */
static char *
unequal_warning(const sweep_csv *c, const group_set *s, const long *bycols,
                size_t nby, int second)
{
    int unequal = 0;
    for (size_t i = 1; i < s->n; i++)
        unequal |= s->g[i].nvalid != s->g[0].nvalid ||
                   (second && s->g[i].nvalid_b != s->g[0].nvalid_b);
    if (second)
        for (size_t i = 0; i < s->n; i++)
            unequal |= s->g[i].nvalid != s->g[i].nvalid_b;
    if (!unequal)
        return NULL;
    size_t cap = 4096, len = 0;
    char *w = malloc(cap);
    if (!w)
        return NULL;
    len += (size_t)snprintf(w, cap, "groups have different numbers of valid "
                            "runs (missing seeds or invalid runs):");
    for (size_t i = 0; i < s->n && len < cap - 200; i++) {
        len += (size_t)snprintf(w + len, cap - len, "%s", i ? ";" : "");
        for (size_t j = 0; j < nby && len < cap - 200; j++)
            len += (size_t)snprintf(w + len, cap - len, " %s=%.40s",
                                    c->cols[bycols[j]],
                                    sweep_csv_at(c, s->g[i].first,
                                                 (size_t)bycols[j]));
        if (second)
            len += (size_t)snprintf(w + len, cap - len, " A: %zu, B: %zu",
                                    s->g[i].nvalid, s->g[i].nvalid_b);
        else
            len += (size_t)snprintf(w + len, cap - len, "%s: %zu",
                                    nby ? "" : " all", s->g[i].nvalid);
    }
    if (len >= cap - 200)
        snprintf(w + len, cap - len, " ...");
    return w;
}

static int
stats_table(const sweep_csv *c, const long *bycols, size_t nby,
            const char *const *extra, size_t nextra, cli_table **out)
{
    const char *cols[CLI_LIST_MAX + 16];
    if (nby > CLI_LIST_MAX)
        return MUON_ERROR(MUON_EINVAL, "at most %d grouping columns",
                          CLI_LIST_MAX);
    for (size_t j = 0; j < nby; j++)
        cols[j] = c->cols[bycols[j]];
    for (size_t j = 0; j < nextra; j++)
        cols[nby + j] = extra[j];
    *out = cli_table_new(cols, nby + nextra);
    return *out ? MUON_SUCCESS : MUON_ERROR(MUON_ENOMEM, "out of memory");
}

int
sweep_aggregate(const sweep_csv *c, const char *src, const char *const *by,
                size_t nby, const char *metric, cli_table **out,
                char **warning)
{
    static const char *const extra[] = {"n", "n_invalid", "mean", "sd",
                                        "ci_lo", "ci_hi"};
    *out = NULL;
    *warning = NULL;
    long bycols[CLI_LIST_MAX];
    size_t nbycols;
    group_set s = {0};
    if (nby > CLI_LIST_MAX)
        return MUON_ERROR(MUON_EINVAL, "at most %d grouping columns",
                          CLI_LIST_MAX);
    int rc = group_rows(c, src, by, nby, metric, NULL, NULL, NULL, bycols,
                        &nbycols, &s);
    if (!rc)
        rc = stats_table(c, bycols, nbycols, extra, 6, out);
    for (size_t i = 0; !rc && i < s.n; i++) {
        const group *g = &s.g[i];
        muon_stats_summary sum = {.mean = NAN, .sd = NAN, .ci_lo = NAN,
                                  .ci_hi = NAN};
        if (g->nvalid && (rc = muon_stats_summarize(g->x, g->nvalid, 0.95,
                                                    &sum)))
            break;
        for (size_t j = 0; j < nbycols; j++)
            cli_table_str(*out, sweep_csv_at(c, g->first, (size_t)bycols[j]));
        cli_table_int(*out, (long long)g->nvalid);
        cli_table_int(*out, (long long)g->ninvalid);
        cli_table_num(*out, sum.mean);
        cli_table_num(*out, sum.sd);
        cli_table_num(*out, sum.ci_lo);
        cli_table_num(*out, sum.ci_hi);
    }
    if (!rc)
        *warning = unequal_warning(c, &s, bycols, nbycols, 0);
    group_set_free(&s);
    if (rc) {
        cli_table_free(*out);
        *out = NULL;
    }
    return rc;
}

static double
sample_mean(const double *x, size_t n)
{
    muon_stats_summary s;
    return muon_stats_summarize(x, n, 0.95, &s) ? NAN : s.mean;
}

int
sweep_compare(const sweep_csv *c, const char *src, const char *const *by,
              size_t nby, const char *key, const char *a, const char *b,
              const char *metric, cli_table **out, char **warning)
{
    static const char *const extra[] = {"n_a", "mean_a", "n_b", "mean_b",
                                        "diff", "t", "df", "p", "note"};
    *out = NULL;
    *warning = NULL;
    long bycols[CLI_LIST_MAX];
    size_t nbycols;
    group_set s = {0};
    if (nby > CLI_LIST_MAX)
        return MUON_ERROR(MUON_EINVAL, "at most %d grouping columns",
                          CLI_LIST_MAX);
    int rc = group_rows(c, src, by, nby, metric, key, a, b, bycols, &nbycols,
                        &s);
    if (!rc && s.n == 0)
        rc = MUON_ERROR(MUON_EINVAL, "%s: no row has %s=%s or %s=%s", src,
                        key, a, key, b);
    if (!rc)
        rc = stats_table(c, bycols, nbycols, extra, 9, out);
    for (size_t i = 0; !rc && i < s.n; i++) {
        const group *g = &s.g[i];
        muon_stats_welch w = {NAN, NAN, NAN, NAN, NAN};
        char note[200] = "";
        if (g->nvalid < 2 || g->nvalid_b < 2)
            snprintf(note, sizeof note, "need >= 2 valid runs per side "
                     "(A: %zu, B: %zu)", g->nvalid, g->nvalid_b);
        else if (muon_stats_welch_test(g->x, g->nvalid, g->xb, g->nvalid_b,
                                       &w)) {
            snprintf(note, sizeof note, "%s", muon_last_error());
            muon_clear_error();
        }
        for (size_t j = 0; j < nbycols; j++)
            cli_table_str(*out, sweep_csv_at(c, g->first, (size_t)bycols[j]));
        cli_table_int(*out, (long long)g->nvalid);
        cli_table_num(*out, g->nvalid ? sample_mean(g->x, g->nvalid) : NAN);
        cli_table_int(*out, (long long)g->nvalid_b);
        cli_table_num(*out, g->nvalid_b ? sample_mean(g->xb, g->nvalid_b) : NAN);
        cli_table_num(*out, w.diff);
        cli_table_num(*out, w.t);
        cli_table_num(*out, w.df);
        cli_table_num(*out, w.p);
        cli_table_str(*out, note);
    }
    if (!rc)
        *warning = unequal_warning(c, &s, bycols, nbycols, 1);
    group_set_free(&s);
    if (rc) {
        cli_table_free(*out);
        *out = NULL;
    }
    return rc;
}
