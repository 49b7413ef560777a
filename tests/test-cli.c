/* test-cli.c: the shared CLI pieces: cli_parse (strict option parser),
 * strict number parsing (FAULTS.md A), muon_closest_name, exit codes and the
 * cli_table results writer (table | csv | json with provenance). */
#include <check.h>
#include <errno.h>
#include <float.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <jansson.h>

#include "cli.h"
#include "muon/io.h"
#include "muon/linalg.h"
#include "muon/names.h"
#include "muon/status.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

/* Captures what is written to file descriptor fd (1 or 2) between
 * capture_begin and capture_end. */
typedef struct {
    int fd, saved;
    FILE *tmp;
} capture;

static void
capture_begin(capture *c, int fd)
{
    fflush(fd == 1 ? stdout : stderr);
    c->fd = fd;
    c->tmp = tmpfile();
    ck_assert_ptr_nonnull(c->tmp);
    c->saved = dup(fd);
    ck_assert_int_ge(c->saved, 0);
    ck_assert_int_ge(dup2(fileno(c->tmp), fd), 0);
}

static char *
capture_end(capture *c)
{
    fflush(c->fd == 1 ? stdout : stderr);
    dup2(c->saved, c->fd);
    close(c->saved);
    char *s = test_slurp(c->tmp);
    fclose(c->tmp);
    return s;
}

static char tmpdir[64];

static void
setup(void)
{
    test_tmpdir_make(tmpdir);
    muon_set_error_handler(NULL);
    muon_clear_error();
}

static void
teardown(void)
{
    test_tmpdir_remove(tmpdir);
}

/* ---- cli_parse ------------------------------------------------------------ */

/* One option of every kind. */
typedef struct {
    int verbose;
    long long steps;
    size_t batch;
    double lr, wd;
    const char *name;
    cli_list methods, files;
} test_opts;

static test_opts O;
static const char *POS[4];
static size_t NPOS;

static const cli_opt OPTS[] = {
    {"verbose", CLI_FLAG, &O.verbose, NULL, "talk", 0, 0, 0},
    {"steps", CLI_INT, &O.steps, "K", "steps", 1, 1000, 0},
    {"batch", CLI_SIZE, &O.batch, "B", "batch", 1, 4096, 0},
    {"lr", CLI_DOUBLE, &O.lr, "LR", "learning rate", 0, 1, 0},
    {"wd", CLI_DOUBLE, &O.wd, "WD", "unbounded", 1, 0, 0},
    {"name", CLI_STRING, &O.name, "NAME", "name", 1, 0, 0},
    {"method", CLI_LIST, &O.methods, "M", "methods", 1, 0, 0},
    {"file", CLI_LIST, &O.files, "F", "files", 1, 0, 1},
    {"learning_rate", CLI_DOUBLE, &O.wd, "X", "for suggestions", 1, 0, 0},
    {NULL, 0, NULL, NULL, NULL, 0, 0, 0}};

#define MAXARGS 80

/* Runs cli_parse on "test" + args (NULL-terminated) with defaults reset,
 * allowing maxpos positionals; stderr is captured into *err (freed by the
 * caller) when err is not NULL, else discarded. */
static int
parse_args(const char *const *args, size_t maxpos, char **err)
{
    static char *argv[MAXARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"test";
    for (size_t i = 0; args[i]; i++) {
        ck_assert_int_lt(argc, MAXARGS);
        argv[argc++] = (char *)args[i];
    }
    argv[argc] = NULL;
    memset(&O, 0, sizeof O);
    O.lr = 0.02; /* a default the caller set */
    O.steps = 5;
    NPOS = 99;
    capture c, o;
    capture_begin(&c, 2);
    capture_begin(&o, 1);
    int rc = cli_parse("test", "[OPTIONS] IN...", argc, argv, OPTS,
                       maxpos ? POS : NULL, maxpos, &NPOS);
    free(capture_end(&o));
    char *e = capture_end(&c);
    if (err)
        *err = e;
    else
        free(e);
    return rc;
}

typedef struct {
    const char *args[8];
    const char *msg1, *msg2; /* substrings the message must contain */
} usage_case;

/* Every row must be rejected with CLI_EXIT_USAGE and a message naming the
 * option (and the value where there is one). */
static const usage_case usage_cases[] = {
    {{"--bogus"}, "--bogus", NULL},
    {{"--bogus=3"}, "--bogus", NULL},
    {{"--ste"}, "--ste", NULL}, /* prefixes are not abbreviations */
    {{"-x"}, "-x", NULL},
    {{"--lr"}, "--lr", NULL}, /* missing value */
    {{"--steps"}, "--steps", NULL},
    {{"--lr", "abc"}, "--lr", "abc"},
    {{"--lr=nan"}, "--lr", "nan"},
    {{"--lr=inf"}, "--lr", "inf"},
    {{"--lr=1e999"}, "--lr", "1e999"},
    {{"--lr=1e-400"}, "--lr", "1e-400"},
    {{"--lr=0.95x"}, "--lr", "0.95x"},
    {{"--lr="}, "--lr", NULL},
    {{"--lr", " 0.5"}, "--lr", NULL},
    {{"--lr=2"}, "--lr", "2"}, /* range [0, 1] */
    {{"--lr=-0.1"}, "--lr", "-0.1"},
    {{"--lr=1.0000001"}, "--lr", "1.0000001"},
    {{"--lr", "0.1", "--lr", "0.2"}, "--lr", "twice"},
    {{"--lr=0.1", "--lr=0.1"}, "--lr", "twice"},
    {{"--verbose", "--verbose"}, "--verbose", "twice"},
    {{"--verbose=2"}, "--verbose", "2"},
    {{"--verbose=yes"}, "--verbose", "yes"},
    {{"--steps=0"}, "--steps", "0"}, /* range [1, 1000] */
    {{"--steps=1001"}, "--steps", "1001"},
    {{"--steps=1e3"}, "--steps", "1e3"},
    {{"--steps=1.0"}, "--steps", "1.0"},
    {{"--steps=99999999999999999999"}, "--steps", "99999999999999999999"},
    {{"--steps=12a"}, "--steps", "12a"},
    {{"--steps", "3", "--steps", "3"}, "--steps", "twice"},
    {{"--batch=-1"}, "--batch", "-1"},
    {{"--batch=4097"}, "--batch", "4097"},
    {{"--batch=0"}, "--batch", "0"},
    {{"--name="}, "--name", NULL},
    {{"--name", "a", "--name", "b"}, "--name", "twice"},
    {{"--wd=nan"}, "--wd", "nan"}, /* no range, still finite-only */
    {{"stray"}, "stray", NULL},    /* no positionals allowed */
    {{"--lr=0.1", "x", "y"}, "x", NULL},
};

START_TEST(test_parse_usage_errors)
{
    const usage_case *c = &usage_cases[_i];
    char *err = NULL;
    int rc = parse_args(c->args, 0, &err);
    ck_assert_msg(rc == CLI_EXIT_USAGE, "case %d (%s ...): rc %d, want %d",
                  _i, c->args[0], rc, CLI_EXIT_USAGE);
    ck_assert_msg(strstr(err, c->msg1), "case %d: message '%s' lacks '%s'",
                  _i, err, c->msg1);
    if (c->msg2)
        ck_assert_msg(strstr(err, c->msg2), "case %d: message '%s' lacks '%s'",
                      _i, err, c->msg2);
    free(err);
}
END_TEST

START_TEST(test_parse_values_both_forms)
{
    const char *eq[] = {"--lr=0.25", "--steps=7", "--batch=64",
                        "--name=a=b", "--wd=-0.5", NULL};
    const char *sp[] = {"--lr", "0.25", "--steps", "7", "--batch", "64",
                        "--name", "a=b", "--wd", "-0.5", NULL};
    const char *const *forms[] = {eq, sp};
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(parse_args(forms[k], 0, NULL), 0);
        ck_assert_msg(O.lr == 0.25, "form %d: lr %g", k, O.lr);
        ck_assert_int_eq(O.steps, 7);
        ck_assert_uint_eq(O.batch, 64);
        ck_assert_str_eq(O.name, "a=b"); /* only the first '=' splits */
        ck_assert_msg(O.wd == -0.5, "form %d: wd %g", k, O.wd);
        ck_assert_int_eq(O.verbose, 0);
        ck_assert_int_eq(cli_given("lr"), 1);
        ck_assert_int_eq(cli_given("verbose"), 0);
        ck_assert_int_eq(cli_given("method"), 0);
        ck_assert_int_eq(cli_given("no-such-option"), 0);
    }
}
END_TEST

START_TEST(test_parse_defaults_kept)
{
    const char *none[] = {NULL};
    ck_assert_int_eq(parse_args(none, 0, NULL), 0);
    ck_assert_msg(O.lr == 0.02, "default lr changed to %g", O.lr);
    ck_assert_int_eq(O.steps, 5);
    ck_assert_int_eq(cli_given("lr"), 0);
}
END_TEST

START_TEST(test_parse_ranges_inclusive)
{
    const char *lo[] = {"--lr=0", "--steps=1", "--batch=1", NULL};
    ck_assert_int_eq(parse_args(lo, 0, NULL), 0);
    ck_assert_msg(O.lr == 0.0, "lr %g", O.lr);
    ck_assert_int_eq(O.steps, 1);
    ck_assert_uint_eq(O.batch, 1);
    const char *hi[] = {"--lr=1", "--steps=1000", "--batch=4096", NULL};
    ck_assert_int_eq(parse_args(hi, 0, NULL), 0);
    ck_assert_msg(O.lr == 1.0, "lr %g", O.lr);
    ck_assert_int_eq(O.steps, 1000);
    ck_assert_uint_eq(O.batch, 4096);
    /* Hex floats are accepted (documented). */
    const char *hex[] = {"--lr=0x1p-3", NULL};
    ck_assert_int_eq(parse_args(hex, 0, NULL), 0);
    ck_assert_msg(O.lr == 0.125, "lr %g", O.lr);
}
END_TEST

typedef struct {
    const char *args[4];
    int want;
    int npos; /* how many positionals follow the flag */
} flag_case;

static const flag_case flag_cases[] = {
    {{"--verbose"}, 1, 0},
    {{"--verbose=1"}, 1, 0},
    {{"--verbose=0"}, 0, 0},
    {{"--verbose", "1"}, 1, 0},
    {{"--verbose", "0"}, 0, 0},
    {{"--verbose=true"}, 1, 0},
    {{"--verbose=false"}, 0, 0},
    {{"--verbose", "in.npy"}, 1, 1}, /* not 0/1: a positional */
};

START_TEST(test_parse_flags)
{
    const flag_case *c = &flag_cases[_i];
    ck_assert_int_eq(parse_args(c->args, 2, NULL), 0);
    ck_assert_msg(O.verbose == c->want, "case %d: verbose %d, want %d", _i,
                  O.verbose, c->want);
    ck_assert_uint_eq(NPOS, (size_t)c->npos);
    ck_assert_int_eq(cli_given("verbose"), 1);
}
END_TEST

START_TEST(test_parse_lists)
{
    const char *a[] = {"--method", "ns5,polar", "--method=svd", "--file",
                       "x,y.csv", "--file=z", NULL};
    ck_assert_int_eq(parse_args(a, 0, NULL), 0);
    ck_assert_uint_eq(O.methods.n, 3);
    ck_assert_str_eq(O.methods.v[0], "ns5");
    ck_assert_str_eq(O.methods.v[1], "polar");
    ck_assert_str_eq(O.methods.v[2], "svd");
    /* nosplit lists keep commas. */
    ck_assert_uint_eq(O.files.n, 2);
    ck_assert_str_eq(O.files.v[0], "x,y.csv");
    ck_assert_str_eq(O.files.v[1], "z");
    ck_assert_int_eq(cli_given("method"), 1);
}
END_TEST

START_TEST(test_parse_list_overflow)
{
    /* CLI_LIST_MAX values fit; one more is a usage error, never a buffer
     * overrun. */
    static char buf[CLI_LIST_MAX * 4 + 8];
    buf[0] = '\0';
    for (int i = 0; i < CLI_LIST_MAX; i++)
        sprintf(buf + strlen(buf), "%s%d", i ? "," : "", i % 10);
    const char *ok[] = {"--method", buf, NULL};
    ck_assert_int_eq(parse_args(ok, 0, NULL), 0);
    ck_assert_uint_eq(O.methods.n, CLI_LIST_MAX);
    strcat(buf, ",x");
    char *err;
    ck_assert_int_eq(parse_args(ok, 0, &err), CLI_EXIT_USAGE);
    ck_assert_ptr_nonnull(strstr(err, "--method"));
    free(err);
    /* The same through repetition of a nosplit list. */
    const char *rep[CLI_LIST_MAX + 2];
    for (int i = 0; i <= CLI_LIST_MAX; i++)
        rep[i] = "--file=f";
    rep[CLI_LIST_MAX + 1] = NULL;
    ck_assert_int_eq(parse_args(rep, 0, NULL), CLI_EXIT_USAGE);
}
END_TEST

START_TEST(test_parse_positionals)
{
    const char *a[] = {"in1", "--lr=0.5", "in2", NULL};
    ck_assert_int_eq(parse_args(a, 2, NULL), 0);
    ck_assert_uint_eq(NPOS, 2);
    ck_assert_str_eq(POS[0], "in1");
    ck_assert_str_eq(POS[1], "in2");
    ck_assert_msg(O.lr == 0.5, "lr %g", O.lr);

    const char *three[] = {"a", "b", "c", NULL};
    char *err;
    ck_assert_int_eq(parse_args(three, 2, &err), CLI_EXIT_USAGE);
    ck_assert_ptr_nonnull(strstr(err, "'c'"));
    free(err);

    /* "-" (stdin), negative numbers and anything after "--" are
     * positional. */
    const char *odd[] = {"-", "-5", "--", "--lr", NULL};
    ck_assert_int_eq(parse_args(odd, 4, NULL), 0);
    ck_assert_uint_eq(NPOS, 3);
    ck_assert_str_eq(POS[0], "-");
    ck_assert_str_eq(POS[1], "-5");
    ck_assert_str_eq(POS[2], "--lr");
    ck_assert_msg(O.lr == 0.02, "--lr after -- was parsed as an option");

    const char *none[] = {NULL};
    ck_assert_int_eq(parse_args(none, 2, NULL), 0);
    ck_assert_uint_eq(NPOS, 0);
}
END_TEST

START_TEST(test_parse_help)
{
    const char *h1[] = {"--help", NULL};
    const char *h2[] = {"-h", NULL};
    const char *h3[] = {"--lr=0.1", "--help", NULL};
    ck_assert_int_eq(parse_args(h1, 0, NULL), -1);
    ck_assert_int_eq(parse_args(h2, 0, NULL), -1);
    ck_assert_int_eq(parse_args(h3, 0, NULL), -1);

    /* The usage text goes to stdout and lists every option. */
    char *argv[] = {(char *)"test", (char *)"--help", NULL};
    capture o;
    capture_begin(&o, 1);
    int rc = cli_parse("test", "[OPTIONS]", 2, argv, OPTS, NULL, 0, NULL);
    char *out = capture_end(&o);
    ck_assert_int_eq(rc, -1);
    for (size_t i = 0; OPTS[i].name; i++) {
        char want[64];
        snprintf(want, sizeof want, "--%s", OPTS[i].name);
        ck_assert_msg(strstr(out, want), "usage lacks %s:\n%s", want, out);
    }
    ck_assert_ptr_nonnull(strstr(out, "--help"));
    free(out);
}
END_TEST

START_TEST(test_parse_unknown_suggests)
{
    const char *a[] = {"--learing_rate=0.1", NULL};
    char *err;
    ck_assert_int_eq(parse_args(a, 0, &err), CLI_EXIT_USAGE);
    ck_assert_msg(strstr(err, "--learning_rate"), "no suggestion in '%s'",
                  err);
    free(err);
}
END_TEST

/* ---- strict numbers ------------------------------------------------------- */

typedef struct {
    const char *text;
    int rc;
    double want;
} double_case;

static const double_case double_cases[] = {
    {"0x1p-3", MUON_SUCCESS, 0.125},
    {"-0.5", MUON_SUCCESS, -0.5},
    {"+2", MUON_SUCCESS, 2.0},
    {"0.1", MUON_SUCCESS, 0.1},
    {"1E3", MUON_SUCCESS, 1000.0},
    {"2.5e-3", MUON_SUCCESS, 2.5e-3},
    {"1e-300", MUON_SUCCESS, 1e-300},
    {"1.7976931348623157e308", MUON_SUCCESS, DBL_MAX},
    {"nan", MUON_ERANGE, 0},
    {"NaN", MUON_ERANGE, 0},
    {"inf", MUON_ERANGE, 0},
    {"-inf", MUON_ERANGE, 0},
    {"Infinity", MUON_ERANGE, 0},
    {"1e999", MUON_ERANGE, 0},
    {"-1e999", MUON_ERANGE, 0},
    {"1e-400", MUON_ERANGE, 0},
    {"0.95x", MUON_EINVAL, 0},
    {"", MUON_EINVAL, 0},
    {" 1", MUON_EINVAL, 0},
    {"\t1", MUON_EINVAL, 0},
    {"1 ", MUON_EINVAL, 0},
    {"1,5", MUON_EINVAL, 0},
    {"e5", MUON_EINVAL, 0},
    {"1e", MUON_EINVAL, 0},
    {".", MUON_EINVAL, 0},
    {"-", MUON_EINVAL, 0},
    {"0x", MUON_EINVAL, 0},
};

START_TEST(test_parse_double)
{
    const double_case *c = &double_cases[_i];
    record_errors();
    double v = -12345.0;
    int rc = cli_parse_double("--lr", c->text, &v);
    ck_assert_msg(rc == c->rc, "'%s': rc %d, want %d", c->text, rc, c->rc);
    if (c->rc == MUON_SUCCESS) {
        /* strtod is correctly rounded, so the compiler's constant is the
         * exact expected value. */
        ck_assert_msg(v == c->want, "'%s' -> %.17g, want %.17g", c->text, v,
                      c->want);
        ck_assert_int_eq(rec_calls, 0);
    } else {
        ck_assert_msg(v == -12345.0, "'%s': output written on failure",
                      c->text);
        ck_assert_int_eq(rec_calls, 1); /* reported once */
        ck_assert_int_eq(rec_status, c->rc);
        ck_assert_msg(strstr(rec_reason, "--lr"), "'%s': reason '%s'",
                      c->text, rec_reason);
        if (*c->text && c->text[0] != ' ' && c->text[0] != '\t')
            ck_assert_msg(strstr(rec_reason, c->text), "reason '%s' lacks '%s'",
                          rec_reason, c->text);
    }
    muon_set_error_handler(NULL);
}
END_TEST

START_TEST(test_parse_double_null)
{
    double v = 3;
    record_errors();
    ck_assert_int_eq(cli_parse_double("x", NULL, &v), MUON_EINVAL);
    ck_assert_int_eq(rec_calls, 1);
    muon_set_error_handler(NULL);
}
END_TEST

/* Regression (found by review, fixed): cli_parse_double and cli_parse_ll
 * (src/cli/opts.c) reject leading ' ' and '\t' only, but strtod/strtoll skip
 * every isspace() character, so "\n1", "\r1", "\v1" and "\f1" are accepted
 * as 1.  FAULTS.md A: leading spaces must be rejected. */
START_TEST(test_parse_leading_whitespace)
{
    const char *ws[] = {"\n1", "\r1", "\v1", "\f1"};
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
        double d = 0;
        long long ll = 0;
        muon_set_error_handler(recording_handler);
        int rd = cli_parse_double("--lr", ws[i], &d);
        int rl = cli_parse_ll("--steps", ws[i], &ll);
        muon_set_error_handler(NULL);
        ck_assert_msg(rd == MUON_EINVAL,
                      "cli_parse_double accepted leading whitespace 0x%02x "
                      "(rc %d, value %g)", ws[i][0], rd, d);
        ck_assert_msg(rl == MUON_EINVAL,
                      "cli_parse_ll accepted leading whitespace 0x%02x "
                      "(rc %d, value %lld)", ws[i][0], rl, ll);
    }
}
END_TEST

typedef struct {
    const char *text;
    int rc;
    long long want;
} ll_case;

static const ll_case ll_cases[] = {
    {"0", MUON_SUCCESS, 0},
    {"-42", MUON_SUCCESS, -42},
    {"+7", MUON_SUCCESS, 7},
    {"007", MUON_SUCCESS, 7}, /* base 10, never octal */
    {"9223372036854775807", MUON_SUCCESS, LLONG_MAX},
    {"-9223372036854775808", MUON_SUCCESS, LLONG_MIN},
    {"9223372036854775808", MUON_ERANGE, 0},
    {"99999999999999999999", MUON_ERANGE, 0},
    {"-99999999999999999999", MUON_ERANGE, 0},
    {"1e3", MUON_EINVAL, 0},
    {"1.0", MUON_EINVAL, 0},
    {"12a", MUON_EINVAL, 0},
    {"0x10", MUON_EINVAL, 0},
    {"", MUON_EINVAL, 0},
    {" 1", MUON_EINVAL, 0},
    {"1 ", MUON_EINVAL, 0},
    {"+", MUON_EINVAL, 0},
    {"-", MUON_EINVAL, 0},
};

START_TEST(test_parse_ll)
{
    const ll_case *c = &ll_cases[_i];
    record_errors();
    long long v = -777;
    int rc = cli_parse_ll("--steps", c->text, &v);
    muon_set_error_handler(NULL);
    ck_assert_msg(rc == c->rc, "'%s': rc %d, want %d", c->text, rc, c->rc);
    if (!c->rc) {
        ck_assert_msg(v == c->want, "'%s' -> %lld", c->text, v);
        ck_assert_int_eq(rec_calls, 0);
    } else {
        ck_assert_msg(v == -777, "'%s': output written on failure", c->text);
        ck_assert_int_eq(rec_calls, 1);
        ck_assert_ptr_nonnull(strstr(rec_reason, "--steps"));
    }
}
END_TEST

START_TEST(test_parse_size)
{
    size_t v = 99;
    record_errors();
    ck_assert_int_eq(cli_parse_size("--n", "-1", &v), MUON_ERANGE);
    ck_assert_uint_eq(v, 99);
    ck_assert_int_eq(cli_parse_size("--n", "-9223372036854775808", &v),
                     MUON_ERANGE);
    ck_assert_int_eq(cli_parse_size("--n", "1.5", &v), MUON_EINVAL);
    ck_assert_int_eq(rec_calls, 3);
    ck_assert_int_eq(cli_parse_size("--n", "0", &v), MUON_SUCCESS);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(cli_parse_size("--n", "4096", &v), MUON_SUCCESS);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(cli_parse_size("--n", "9223372036854775807", &v),
                     MUON_SUCCESS);
    ck_assert_uint_eq(v, (size_t)LLONG_MAX);
    muon_set_error_handler(NULL);
}
END_TEST

/* ---- closest name --------------------------------------------------------- */

static const char *const opt_names[] = {"learning_rate", "momentum",
                                        "method", "lr", NULL};

typedef struct {
    const char *name;
    const char *want; /* NULL: nothing close */
} closest_case;

static const closest_case closest_cases[] = {
    {"learing_rate", "learning_rate"}, /* one deletion */
    {"learnign_rate", "learning_rate"},/* transposition = 2 edits */
    {"momentun", "momentum"},
    {"momemtum", "momentum"},
    {"methd", "method"},
    {"lr", "lr"},
    {"zzzzzzzzzzzz", NULL},
    {"batch_size", NULL},
    {"", NULL},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL},
};

START_TEST(test_closest)
{
    const closest_case *c = &closest_cases[_i];
    const char *got = muon_closest_name(c->name, opt_names);
    if (c->want)
        ck_assert_msg(got && !strcmp(got, c->want), "'%s' -> '%s', want '%s'",
                      c->name, got ? got : "(null)", c->want);
    else
        ck_assert_msg(got == NULL, "'%.20s' -> '%s', want nothing", c->name,
                      got);
}
END_TEST

START_TEST(test_closest_empty_list)
{
    const char *const none[] = {NULL};
    ck_assert_ptr_null(muon_closest_name("lr", none));
}
END_TEST

/* ---- exit codes ----------------------------------------------------------- */

typedef struct {
    int status;
    int want, alt; /* alt: a second acceptable code, or -1 */
} exit_case;

static const exit_case exit_cases[] = {
    {MUON_SUCCESS, CLI_EXIT_OK, -1},
    {MUON_EINVAL, CLI_EXIT_USAGE, -1},
    {MUON_ERANGE, CLI_EXIT_USAGE, -1},
    {MUON_EUNKNOWN, CLI_EXIT_USAGE, -1},
    {MUON_EFORMAT, CLI_EXIT_DATA, -1},
    {MUON_ECORRUPT, CLI_EXIT_DATA, -1},
    /* A shape mismatch comes from data files or from option values. */
    {MUON_EBADLEN, CLI_EXIT_DATA, CLI_EXIT_USAGE},
    {MUON_ENONFINITE, CLI_EXIT_NUMERIC, -1},
    {MUON_ENOCONV, CLI_EXIT_NUMERIC, -1},
    {MUON_EDIVERGED, CLI_EXIT_NUMERIC, -1},
    {MUON_EIO, CLI_EXIT_IO, -1},
    {MUON_ENOMEM, CLI_EXIT_INTERNAL, -1},
    {MUON_EINTERNAL, CLI_EXIT_INTERNAL, -1},
    /* The library does not know which signal: either code. */
    {MUON_EINTERRUPT, CLI_EXIT_SIGINT, CLI_EXIT_SIGTERM},
    {999, CLI_EXIT_INTERNAL, -1},
    {-1, CLI_EXIT_INTERNAL, -1},
};

START_TEST(test_exit_codes)
{
    const exit_case *c = &exit_cases[_i];
    int got = cli_exit_code(c->status);
    ck_assert_msg(got == c->want || got == c->alt,
                  "status %d (%s): exit %d, want %d", c->status,
                  muon_strerror(c->status), got, c->want);
}
END_TEST

START_TEST(test_cli_fail_and_usage_error)
{
    (void)MUON_ERROR(MUON_EIO, "cannot write '%s'", "out.csv");
    capture c;
    capture_begin(&c, 2);
    int rc = cli_fail("ortho", MUON_EIO);
    char *err = capture_end(&c);
    ck_assert_int_eq(rc, CLI_EXIT_IO);
    ck_assert_msg(!strncmp(err, "muonlab ortho: error: cannot write 'out.csv'",
                           44), "got '%s'", err);
    free(err);

    /* With nothing recorded the status description is printed. */
    muon_clear_error();
    capture_begin(&c, 2);
    rc = cli_fail("ortho", MUON_ENOCONV);
    err = capture_end(&c);
    ck_assert_int_eq(rc, CLI_EXIT_NUMERIC);
    ck_assert_ptr_nonnull(strstr(err, muon_strerror(MUON_ENOCONV)));
    free(err);

    capture_begin(&c, 2);
    rc = cli_usage_error("train", "--steps must be > %d", 0);
    err = capture_end(&c);
    ck_assert_int_eq(rc, CLI_EXIT_USAGE);
    ck_assert_str_eq(err, "muonlab train: error: --steps must be > 0\n");
    free(err);
}
END_TEST

START_TEST(test_format_by_name)
{
    cli_format f = CLI_TABLE;
    ck_assert_int_eq(cli_format_by_name("x", "csv", &f), 0);
    ck_assert_int_eq(f, CLI_CSV);
    ck_assert_int_eq(cli_format_by_name("x", "json", &f), 0);
    ck_assert_int_eq(f, CLI_JSON);
    ck_assert_int_eq(cli_format_by_name("x", "table", &f), 0);
    ck_assert_int_eq(f, CLI_TABLE);
    capture c;
    capture_begin(&c, 2);
    int rc = cli_format_by_name("x", "xml", &f);
    char *err = capture_end(&c);
    ck_assert_int_eq(rc, CLI_EXIT_USAGE);
    ck_assert_int_eq(f, CLI_TABLE);
    ck_assert_ptr_nonnull(strstr(err, "xml"));
    ck_assert_ptr_nonnull(strstr(err, "csv"));
    free(err);
}
END_TEST

/* ---- results writer ------------------------------------------------------- */

static const char *const cols3[] = {"method", "step", "value"};

/* A small table with the awkward cells. */
static cli_table *
sample_table(void)
{
    cli_table *t = cli_table_new(cols3, 3);
    ck_assert_ptr_nonnull(t);
    cli_table_str(t, "ns5");
    cli_table_int(t, 1);
    cli_table_num(t, 0.5);
    cli_table_str(t, "a,b");
    cli_table_int(t, LLONG_MAX);
    cli_table_num(t, NAN);
    cli_table_str(t, "say \"hi\"");
    cli_table_int(t, LLONG_MIN);
    cli_table_num(t, INFINITY);
    cli_table_str(t, "two\nlines");
    cli_table_int(t, -4);
    cli_table_num(t, -INFINITY);
    ck_assert_uint_eq(cli_table_rows(t), 4);
    return t;
}

static char *
table_text(const cli_table *t, cli_format fmt)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(cli_table_write(t, f, fmt), MUON_SUCCESS);
    char *s = test_slurp(f);
    fclose(f);
    return s;
}

static void
set_provenance(void)
{
    char *argv[] = {(char *)"muonlab", (char *)"ortho", (char *)"--lr=0.02",
                    NULL};
    muon_provenance_set_command(3, argv);
    muon_provenance_set_seed(42);
}

START_TEST(test_csv_layout)
{
    set_provenance();
    cli_table *t = sample_table();
    char *s = table_text(t, CLI_CSV);
    /* '#' provenance lines first, at least command, version and seed. */
    char *p = s;
    int ncomment = 0;
    while (*p == '#') {
        char *nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        p = nl + 1;
        ncomment++;
    }
    ck_assert_int_ge(ncomment, 3);
    size_t head = (size_t)(p - s);
    char *comments = strndup(s, head);
    ck_assert_ptr_nonnull(strstr(comments, "muonlab ortho --lr=0.02"));
    ck_assert_ptr_nonnull(strstr(comments, "42"));
    free(comments);
    /* Then exactly the header and the rows (RFC 4180 quoting: fields with
     * commas, quotes or line breaks are quoted, quotes doubled). */
    const char *want = "method,step,value\n"
                       "ns5,1,0.5\n"
                       "\"a,b\",9223372036854775807,nan\n"
                       "\"say \"\"hi\"\"\",-9223372036854775808,inf\n"
                       "\"two\nlines\",-4,-inf\n";
    ck_assert_str_eq(p, want);
    free(s);
    cli_table_free(t);
}
END_TEST

START_TEST(test_csv_numbers_round_trip)
{
    /* Random finite doubles of every magnitude: strtod of the CSV text
     * gives the same bits back (%.17g is enough for binary64). */
    const char *const col[] = {"x"};
    cli_table *t = cli_table_new(col, 1);
    ck_assert_ptr_nonnull(t);
    enum { N = 20000 };
    double *x = malloc(N * sizeof *x);
    ck_assert_ptr_nonnull(x);
    uint64_t s = 0x0123456789ABCDEFull;
    for (size_t i = 0; i < N; i++) {
        double v;
        do {
            s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
            uint64_t u = s * 2685821657736338717ull;
            memcpy(&v, &u, sizeof v);
        } while (!isfinite(v));
        x[i] = i == 0 ? -0.0 : i == 1 ? DBL_MAX : i == 2 ? DBL_TRUE_MIN : v;
        cli_table_num(t, x[i]);
    }
    char *text = table_text(t, CLI_CSV);
    char *p = text;
    while (*p == '#')
        p = strchr(p, '\n') + 1;
    ck_assert(!strncmp(p, "x\n", 2));
    p += 2;
    for (size_t i = 0; i < N; i++) {
        char *end;
        double v = strtod(p, &end);
        ck_assert_msg(end != p && *end == '\n', "row %zu unparsable", i);
        if (memcmp(&v, &x[i], sizeof v) != 0)
            ck_abort_msg("row %zu: %.17g read back as %.17g", i, x[i], v);
        p = end + 1;
    }
    ck_assert_int_eq(*p, '\0');
    free(text);
    free(x);
    cli_table_free(t);
}
END_TEST

/* Regression (found by review, fixed): src/cli/table.c write_csv formats every
 * cell through a 512-byte buffer (format_cell(c, 17, buf, sizeof buf)), so
 * a string cell longer than 511 bytes is silently truncated in CSV output
 * (JSON writes it whole).  Expected: the CSV row holds the full string. */
START_TEST(test_csv_long_string_truncated)
{
    const char *const col[] = {"path"};
    cli_table *t = cli_table_new(col, 1);
    ck_assert_ptr_nonnull(t);
    char longs[1201];
    for (size_t i = 0; i < sizeof longs - 1; i++)
        longs[i] = (char)('a' + i % 26);
    longs[sizeof longs - 1] = '\0';
    cli_table_str(t, longs);
    char *text = table_text(t, CLI_CSV);
    char *p = text;
    while (*p == '#')
        p = strchr(p, '\n') + 1;
    ck_assert(!strncmp(p, "path\n", 5));
    p += 5;
    size_t n = strcspn(p, "\n");
    ck_assert_msg(n == strlen(longs) && !strncmp(p, longs, n),
                  "CSV cell of %zu bytes written as %zu bytes", strlen(longs),
                  n);
    free(text);
    cli_table_free(t);
}
END_TEST

START_TEST(test_json_layout)
{
    set_provenance();
    cli_table *t = sample_table();
    char *s = table_text(t, CLI_JSON);
    json_error_t jerr;
    json_t *root = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(root != NULL, "invalid JSON (line %d: %s):\n%s", jerr.line,
                  jerr.text, s);
    ck_assert(json_is_object(root));
    json_t *prov = json_object_get(root, "provenance");
    ck_assert(json_is_object(prov));
    const char *keys[] = {"command", "version", "seed", "gsl", "zlib",
                          "jansson"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(json_object_get(prov, keys[i]) != NULL,
                      "provenance lacks '%s'", keys[i]);
    json_t *cmd = json_object_get(prov, "command");
    ck_assert(json_is_string(cmd));
    ck_assert_str_eq(json_string_value(cmd), "muonlab ortho --lr=0.02");

    json_t *rows = json_object_get(root, "rows");
    ck_assert(json_is_array(rows));
    ck_assert_uint_eq(json_array_size(rows), 4);
    const char *names[] = {"ns5", "a,b", "say \"hi\"", "two\nlines"};
    const long long steps[] = {1, LLONG_MAX, LLONG_MIN, -4};
    for (size_t r = 0; r < 4; r++) {
        json_t *o = json_array_get(rows, r);
        ck_assert(json_is_object(o));
        ck_assert_uint_eq(json_object_size(o), 3);
        json_t *m = json_object_get(o, "method");
        ck_assert(json_is_string(m));
        ck_assert_str_eq(json_string_value(m), names[r]);
        json_t *st = json_object_get(o, "step");
        ck_assert_msg(json_is_integer(st), "row %zu: step is not an integer",
                      r);
        ck_assert_msg(json_integer_value(st) == steps[r], "row %zu: step %lld",
                      r, (long long)json_integer_value(st));
        json_t *v = json_object_get(o, "value");
        ck_assert_ptr_nonnull(v);
        if (r == 0) {
            ck_assert(json_is_number(v));
            ck_assert(json_number_value(v) == 0.5);
        } else {
            /* NaN, +Inf, -Inf: JSON has no such numbers. */
            ck_assert_msg(json_is_null(v), "row %zu: non-finite not null", r);
        }
    }
    json_decref(root);
    free(s);
    cli_table_free(t);
}
END_TEST

START_TEST(test_json_numbers_round_trip)
{
    const char *const col[] = {"x"};
    cli_table *t = cli_table_new(col, 1);
    ck_assert_ptr_nonnull(t);
    enum { N = 5000 };
    double x[N];
    uint64_t s = 0xFEDCBA9876543210ull;
    for (size_t i = 0; i < N; i++) {
        double v;
        do {
            s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
            uint64_t u = s * 2685821657736338717ull;
            memcpy(&v, &u, sizeof v);
        } while (!isfinite(v));
        x[i] = i == 0 ? 3.0 : i == 1 ? 1e300 : i == 2 ? -0.0 : v;
        cli_table_num(t, x[i]);
    }
    char *text = table_text(t, CLI_JSON);
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(root != NULL, "invalid JSON: %s", jerr.text);
    json_t *rows = json_object_get(root, "rows");
    ck_assert_uint_eq(json_array_size(rows), N);
    for (size_t i = 0; i < N; i++) {
        json_t *v = json_object_get(json_array_get(rows, i), "x");
        if (!json_is_number(v))
            ck_abort_msg("row %zu: not a number", i);
        double d = json_number_value(v);
        if (memcmp(&d, &x[i], sizeof d) != 0)
            ck_abort_msg("row %zu: %.17g read back as %.17g", i, x[i], d);
    }
    json_decref(root);
    free(text);
    cli_table_free(t);
}
END_TEST

START_TEST(test_table_format)
{
    cli_table *t = sample_table();
    char *s = table_text(t, CLI_TABLE);
    /* No provenance in the terminal format; the header first. */
    ck_assert_int_ne(s[0], '#');
    ck_assert(!strncmp(s, "method", 6));
    ck_assert_ptr_nonnull(strstr(s, "step"));
    ck_assert_ptr_nonnull(strstr(s, "value"));
    ck_assert_ptr_nonnull(strstr(s, "ns5"));
    ck_assert_ptr_nonnull(strstr(s, "0.5"));
    ck_assert_ptr_nonnull(strstr(s, "nan"));
    ck_assert_ptr_nonnull(strstr(s, "-inf"));
    free(s);
    cli_table_free(t);
}
END_TEST

START_TEST(test_write_error_is_eio)
{
    /* /dev/full accepts open but every write fails with ENOSPC. */
    for (int fmt = CLI_TABLE; fmt <= CLI_JSON; fmt++) {
        FILE *f = fopen("/dev/full", "w");
        if (!f)
            return; /* no /dev/full in this environment */
        cli_table *t = sample_table();
        record_errors();
        int rc = cli_table_write(t, f, (cli_format)fmt);
        muon_set_error_handler(NULL);
        ck_assert_msg(rc == MUON_EIO, "format %d: rc %d, want EIO", fmt, rc);
        ck_assert_int_eq(rec_calls, 1);
        fclose(f);
        cli_table_free(t);
    }
}
END_TEST

static int
not_dots(const struct dirent *e)
{
    return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

/* Names of the entries of tmpdir, sorted, each followed by ' '. */
static char *
dir_listing(void)
{
    struct dirent **list;
    int n = scandir(tmpdir, &list, not_dots, alphasort);
    ck_assert_int_ge(n, 0);
    char *out = calloc(1, 4096);
    ck_assert_ptr_nonnull(out);
    for (int i = 0; i < n; i++) {
        strncat(out, list[i]->d_name, 4000 - strlen(out));
        strcat(out, " ");
        free(list[i]);
    }
    free(list);
    return out;
}

/* Saves t as tmpdir/out.json (path receives the name) and returns the
 * file parsed back, failing the test if it is not valid JSON. */
static json_t *
save_json(cli_table *t, char *path, size_t cap)
{
    snprintf(path, cap, "%s/out.json", tmpdir);
    ck_assert_int_eq(cli_table_save(t, path, CLI_JSON), MUON_SUCCESS);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(root != NULL, "saved JSON invalid: %s", jerr.text);
    return root;
}

START_TEST(test_table_save)
{
    set_provenance();
    cli_table *t = sample_table();
    char path[256];
    snprintf(path, sizeof path, "%s/out.csv", tmpdir);
    /* An older file is replaced as a whole. */
    FILE *old = fopen(path, "w");
    ck_assert_ptr_nonnull(old);
    fputs("old content\n", old);
    fclose(old);
    ck_assert_int_eq(cli_table_save(t, path, CLI_CSV), MUON_SUCCESS);
    char *s = test_slurp_path(path);
    ck_assert_int_eq(s[0], '#');
    ck_assert_ptr_null(strstr(s, "old content"));
    const char *tail = "\"two\nlines\",-4,-inf\n";
    ck_assert_str_eq(s + strlen(s) - strlen(tail), tail);
    free(s);
    /* No temporary file is left beside it. */
    char *ls = dir_listing();
    ck_assert_str_eq(ls, "out.csv ");
    free(ls);

    json_t *root = save_json(t, path, sizeof path);
    json_decref(root);

    /* A directory that does not exist: EIO naming the path, nothing
     * created. */
    snprintf(path, sizeof path, "%s/no/such/dir/out.csv", tmpdir);
    record_errors();
    ck_assert_int_eq(cli_table_save(t, path, CLI_CSV), MUON_EIO);
    muon_set_error_handler(NULL);
    ck_assert_int_eq(rec_calls, 1);
    ck_assert_msg(strstr(rec_reason, path), "reason '%s' lacks the path",
                  rec_reason);
    ls = dir_listing();
    ck_assert_str_eq(ls, "out.csv out.json ");
    free(ls);
    cli_table_free(t);
}
END_TEST

/* A results file says which OpenBLAS kernels produced it (an unset
 * OPENBLAS_CORETYPE may leave an AVX-512 CPU on generic ones): the CSV
 * header's comment lines and the JSON provenance object both. */
START_TEST(test_saved_blas_core)
{
    set_provenance();
    cli_table *t = sample_table();
    const char *core = muon_linalg_blas_core();
    char path[256], want[256];
    snprintf(path, sizeof path, "%s/out.csv", tmpdir);
    ck_assert_int_eq(cli_table_save(t, path, CLI_CSV), MUON_SUCCESS);
    char *s = test_slurp_path(path);
    snprintf(want, sizeof want, "\n# blas_core: %s\n", core);
    char *line = strstr(s, want);
    ck_assert_msg(line != NULL, "no '%s' line in:\n%s", want + 1, s);
    char *header = strstr(s, "\nmethod,step,value\n");
    ck_assert_msg(header && line < header,
                  "blas_core line not in the comment header:\n%s", s);
    free(s);

    json_t *root = save_json(t, path, sizeof path);
    json_t *v = json_object_get(json_object_get(root, "provenance"),
                                "blas_core");
    ck_assert_msg(json_is_string(v), "provenance lacks blas_core");
    ck_assert_str_eq(json_string_value(v), core);
    json_decref(root);
    cli_table_free(t);
}
END_TEST

static Suite *
cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_parse_usage_errors, 0,
                        (int)(sizeof usage_cases / sizeof usage_cases[0]));
    tcase_add_test(tc, test_parse_values_both_forms);
    tcase_add_test(tc, test_parse_defaults_kept);
    tcase_add_test(tc, test_parse_ranges_inclusive);
    tcase_add_loop_test(tc, test_parse_flags, 0,
                        (int)(sizeof flag_cases / sizeof flag_cases[0]));
    tcase_add_test(tc, test_parse_lists);
    tcase_add_test(tc, test_parse_list_overflow);
    tcase_add_test(tc, test_parse_positionals);
    tcase_add_test(tc, test_parse_help);
    tcase_add_test(tc, test_parse_unknown_suggests);
    tcase_add_loop_test(tc, test_parse_double, 0,
                        (int)(sizeof double_cases / sizeof double_cases[0]));
    tcase_add_test(tc, test_parse_double_null);
    tcase_add_test(tc, test_parse_leading_whitespace);
    tcase_add_loop_test(tc, test_parse_ll, 0,
                        (int)(sizeof ll_cases / sizeof ll_cases[0]));
    tcase_add_test(tc, test_parse_size);
    tcase_add_loop_test(tc, test_closest, 0,
                        (int)(sizeof closest_cases / sizeof closest_cases[0]));
    tcase_add_test(tc, test_closest_empty_list);
    tcase_add_loop_test(tc, test_exit_codes, 0,
                        (int)(sizeof exit_cases / sizeof exit_cases[0]));
    tcase_add_test(tc, test_cli_fail_and_usage_error);
    tcase_add_test(tc, test_format_by_name);
    tcase_add_test(tc, test_csv_layout);
    tcase_add_test(tc, test_csv_numbers_round_trip);
    tcase_add_test(tc, test_csv_long_string_truncated);
    tcase_add_test(tc, test_json_layout);
    tcase_add_test(tc, test_json_numbers_round_trip);
    tcase_add_test(tc, test_table_format);
    tcase_add_test(tc, test_write_error_is_eio);
    tcase_add_test(tc, test_table_save);
    tcase_add_test(tc, test_saved_blas_core);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return test_run_suite(cli_suite());
}
