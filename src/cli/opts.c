/* opts.c: the one option parser every subcommand uses, strict number
 * parsing (FAULTS.md A) and exit-code mapping. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "muon/names.h"
#include "muon/status.h"

int
cli_exit_code(int status)
{
    switch (status) {
    case MUON_SUCCESS: return CLI_EXIT_OK;
    case MUON_EINVAL:
    case MUON_ERANGE:
    case MUON_EUNKNOWN: return CLI_EXIT_USAGE;
    case MUON_EFORMAT:
    case MUON_ECORRUPT:
    case MUON_EBADLEN: return CLI_EXIT_DATA;
    case MUON_ENONFINITE:
    case MUON_ENOCONV:
    case MUON_EDIVERGED: return CLI_EXIT_NUMERIC;
    case MUON_EIO: return CLI_EXIT_IO;
    case MUON_EINTERRUPT: return CLI_EXIT_SIGINT;
    default: return CLI_EXIT_INTERNAL;
    }
}

int
cli_fail(const char *cmd, int status)
{
    const char *msg = muon_last_error();
    fprintf(stderr, "muonlab %s: error: %s\n", cmd,
            *msg ? msg : muon_strerror(status));
    return cli_exit_code(status);
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "muonlab %s: error: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return CLI_EXIT_USAGE;
}

/* ---- strict numbers ---------------------------------------------------- */

int
cli_parse_double(const char *what, const char *text, double *out)
{
    if (!text || !*text)
        return MUON_ERROR(MUON_EINVAL, "%s: empty value", what);
    /* strtod would skip any leading white space; a value is the whole text. */
    if (isspace((unsigned char)text[0]))
        return MUON_ERROR(MUON_EINVAL, "%s: leading space in '%s'", what, text);
    /* Hex floats are accepted (C99 strtod); documented in the README. */
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0')
        return MUON_ERROR(MUON_EINVAL, "%s: '%s' is not a number", what, text);
    if (!isfinite(v))
        return MUON_ERROR(MUON_ERANGE, "%s must be finite (got '%s')", what,
                          text);
    if (errno == ERANGE)
        return MUON_ERROR(MUON_ERANGE, "%s: '%s' is out of double range "
                          "(overflow or underflow)", what, text);
    *out = v;
    return MUON_SUCCESS;
}

int
cli_parse_ll(const char *what, const char *text, long long *out)
{
    if (!text || !*text)
        return MUON_ERROR(MUON_EINVAL, "%s: empty value", what);
    if (isspace((unsigned char)text[0]))
        return MUON_ERROR(MUON_EINVAL, "%s: leading space in '%s'", what, text);
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0')
        return MUON_ERROR(MUON_EINVAL, "%s: '%s' is not an integer", what,
                          text);
    if (errno == ERANGE)
        return MUON_ERROR(MUON_ERANGE, "%s: '%s' does not fit in 64 bits",
                          what, text);
    *out = v;
    return MUON_SUCCESS;
}

int
cli_parse_size(const char *what, const char *text, size_t *out)
{
    long long v;
    int rc = cli_parse_ll(what, text, &v);
    if (rc)
        return rc;
    if (v < 0)
        return MUON_ERROR(MUON_ERANGE, "%s must be >= 0 (got %lld)", what, v);
    *out = (size_t)v;
    return MUON_SUCCESS;
}

/* ---- the parser -------------------------------------------------------- */

#define CLI_MAX_OPTS 128
static unsigned char given[CLI_MAX_OPTS];
static const cli_opt *last_opts;

int
cli_given(const char *name)
{
    if (!last_opts)
        return 0;
    for (size_t i = 0; last_opts[i].name && i < CLI_MAX_OPTS; i++)
        if (!strcmp(last_opts[i].name, name))
            return given[i];
    return 0;
}

static void
print_usage(FILE *f, const char *cmd, const char *synopsis,
            const cli_opt *opts)
{
    fprintf(f, "usage: muonlab %s %s\n\noptions:\n", cmd,
            synopsis ? synopsis : "[OPTIONS]");
    for (size_t i = 0; opts[i].name; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name,
                 opts[i].kind == CLI_FLAG ? "" : " ",
                 opts[i].kind == CLI_FLAG ? ""
                 : opts[i].metavar        ? opts[i].metavar
                                          : "X");
        /* A long "--name METAVAR" gets its help on the next line. */
        if (strlen(left) > 26)
            fprintf(f, "  %s\n  %-26s %s\n", left, "",
                    opts[i].help ? opts[i].help : "");
        else
            fprintf(f, "  %-26s %s\n", left,
                    opts[i].help ? opts[i].help : "");
    }
    fprintf(f, "  %-26s %s\n", "--help", "show this help");
}

static int
set_value(const char *cmd, const cli_opt *o, const char *val)
{
    char what[80];
    snprintf(what, sizeof what, "--%s", o->name);
    int rc = MUON_SUCCESS;
    double d;
    long long ll;
    size_t sz;
    switch (o->kind) {
    case CLI_FLAG:
        if (!val)
            *(int *)o->dest = 1;
        else if (!strcmp(val, "1") || !strcmp(val, "true"))
            *(int *)o->dest = 1;
        else if (!strcmp(val, "0") || !strcmp(val, "false"))
            *(int *)o->dest = 0;
        else
            return cli_usage_error(cmd, "%s takes 0 or 1 (got '%s')", what,
                                   val);
        return 0;
    case CLI_DOUBLE:
        rc = cli_parse_double(what, val, &d);
        if (!rc && o->min <= o->max && (d < o->min || d > o->max))
            return cli_usage_error(cmd, "%s must be in [%g, %g] (got %s)",
                                   what, o->min, o->max, val);
        if (!rc)
            *(double *)o->dest = d;
        break;
    case CLI_INT:
        rc = cli_parse_ll(what, val, &ll);
        if (!rc && o->min <= o->max &&
            ((double)ll < o->min || (double)ll > o->max))
            return cli_usage_error(cmd, "%s must be in [%.0f, %.0f] (got %s)",
                                   what, o->min, o->max, val);
        if (!rc)
            *(long long *)o->dest = ll;
        break;
    case CLI_SIZE:
        rc = cli_parse_size(what, val, &sz);
        if (!rc && o->min <= o->max &&
            ((double)sz < o->min || (double)sz > o->max))
            return cli_usage_error(cmd, "%s must be in [%.0f, %.0f] (got %s)",
                                   what, o->min, o->max, val);
        if (!rc)
            *(size_t *)o->dest = sz;
        break;
    case CLI_STRING:
        if (!*val)
            return cli_usage_error(cmd, "%s: empty value", what);
        *(const char **)o->dest = val;
        break;
    case CLI_LIST: {
        cli_list *l = o->dest;
        if (o->nosplit) {
            if (l->n >= CLI_LIST_MAX)
                return cli_usage_error(cmd, "%s given more than %d times",
                                       what, CLI_LIST_MAX);
            l->v[l->n++] = val;
            break;
        }
        /* Split into the list's own storage (copies, so argv is never
         * modified and nothing is allocated). */
        size_t len = strlen(val);
        if (l->used + len + 1 > CLI_LIST_STORE)
            return cli_usage_error(cmd, "%s: values longer than %d bytes",
                                   what, CLI_LIST_STORE);
        char *copy = l->store + l->used;
        memcpy(copy, val, len + 1);
        l->used += len + 1;
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            if (l->n >= CLI_LIST_MAX)
                return cli_usage_error(cmd, "%s: more than %d values", what,
                                       CLI_LIST_MAX);
            l->v[l->n++] = tok;
        }
        break;
    }
    }
    if (rc) {
        fprintf(stderr, "muonlab %s: error: %s\n", cmd, muon_last_error());
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int
cli_parse(const char *cmd, const char *synopsis, int argc, char **argv,
          const cli_opt *opts, const char **pos, size_t maxpos, size_t *npos)
{
    size_t nopts = 0;
    while (opts[nopts].name)
        nopts++;
    if (nopts > CLI_MAX_OPTS)
        return cli_usage_error(cmd, "internal: too many options");
    memset(given, 0, sizeof given);
    last_opts = opts;
    if (npos)
        *npos = 0;
    const char *names[CLI_MAX_OPTS + 2];
    for (size_t i = 0; i < nopts; i++)
        names[i] = opts[i].name;
    names[nopts] = "help";
    names[nopts + 1] = NULL;

    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0' ||
            (a[1] != '-' && (a[1] == '.' || (a[1] >= '0' && a[1] <= '9')))) {
            if (!pos || !npos || *npos >= maxpos)
                return cli_usage_error(cmd, "unexpected argument '%s' "
                                       "(see muonlab %s --help)", a, cmd);
            pos[(*npos)++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_usage(stdout, cmd, synopsis, opts);
            return -1;
        }
        if (a[1] != '-')
            return cli_usage_error(cmd, "unknown option '%s' (options are "
                                   "long: --name)", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        size_t k;
        for (k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == nlen &&
                !strncmp(opts[k].name, name, nlen))
                break;
        if (k == nopts) {
            char buf[80];
            snprintf(buf, sizeof buf, "%.*s", (int)(nlen < 70 ? nlen : 70),
                     name);
            const char *near = muon_closest_name(buf, names);
            fprintf(stderr, "muonlab %s: error: unknown option '--%s'", cmd,
                    buf);
            if (near)
                fprintf(stderr, "; did you mean '--%s'?", near);
            fprintf(stderr, "\nvalid options:");
            for (size_t j = 0; j < nopts; j++)
                fprintf(stderr, " --%s", opts[j].name);
            fprintf(stderr, "\n");
            return CLI_EXIT_USAGE;
        }
        const cli_opt *o = &opts[k];
        if (given[k] && o->kind != CLI_LIST)
            return cli_usage_error(cmd, "--%s given twice", o->name);
        given[k] = 1;
        const char *val = NULL;
        if (eq)
            val = eq + 1;
        else if (o->kind != CLI_FLAG) {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "--%s needs a value (%s)",
                                       o->name, o->metavar ? o->metavar : "X");
            val = argv[++i];
        } else if (i + 1 < argc &&
                   (!strcmp(argv[i + 1], "0") || !strcmp(argv[i + 1], "1"))) {
            /* `--nesterov 0` reads naturally; accept an explicit 0/1. */
            val = argv[++i];
        }
        int rc = set_value(cmd, o, val);
        if (rc)
            return rc;
    }
    return 0;
}
