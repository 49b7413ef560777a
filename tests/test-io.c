/* test-io.c: atomic output files (write, fsync, rename; PITFALLS.md 10,
 * FAULTS.md E) and provenance records. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cblas.h>
#include <gsl/gsl_version.h>
#include <jansson.h>
#include <zlib.h>

#include "muon/io.h"
#include "muon/status.h"
#include "muon_config.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

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
    muon_set_error_handler(NULL);
    test_tmpdir_remove(tmpdir);
}

static const char *
tpath(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static int
not_dots(const struct dirent *e)
{
    return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

/* Entries of directory d, sorted, each followed by ' '. */
static char *
listing(const char *d)
{
    struct dirent **list;
    int n = scandir(d, &list, not_dots, alphasort);
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

#define ASSERT_LISTING(dir, want)                                              \
    do {                                                                       \
        char *ls_ = listing(dir);                                              \
        ck_assert_msg(!strcmp(ls_, want), "directory holds '%s', want '%s'",   \
                      ls_, want);                                              \
        free(ls_);                                                             \
    } while (0)

/* ---- atomic files ------------------------------------------------------- */

START_TEST(test_afile_commit_creates)
{
    const char *path = tpath("result.csv");
    muon_afile *af = NULL;
    FILE *f = NULL;
    ck_assert_int_eq(muon_afile_open(&af, path, &f), MUON_SUCCESS);
    ck_assert_ptr_nonnull(af);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_gt(fprintf(f, "a,b\n1,2\n"), 0);
    /* Written but not committed: nothing under the final name yet. */
    ck_assert_int_eq(fflush(f), 0);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_eq(muon_afile_commit(af), MUON_SUCCESS);
    char *s = test_slurp_path(path);
    ck_assert_str_eq(s, "a,b\n1,2\n");
    free(s);
    ASSERT_LISTING(tmpdir, "result.csv ");
}
END_TEST

START_TEST(test_afile_commit_replaces)
{
    const char *path = tpath("ckpt.bin");
    write_file(path, "old old old old old old\n");
    muon_afile *af;
    FILE *f;
    ck_assert_int_eq(muon_afile_open(&af, path, &f), MUON_SUCCESS);
    fputs("new\n", f);
    ck_assert_int_eq(fflush(f), 0);
    /* Until the commit, readers still see the complete old file. */
    char *s = test_slurp_path(path);
    ck_assert_str_eq(s, "old old old old old old\n");
    free(s);
    ck_assert_int_eq(muon_afile_commit(af), MUON_SUCCESS);
    s = test_slurp_path(path);
    ck_assert_str_eq(s, "new\n"); /* replaced whole, no old tail */
    free(s);
    ASSERT_LISTING(tmpdir, "ckpt.bin ");
}
END_TEST

START_TEST(test_afile_large_and_binary)
{
    /* Several buffers' worth of bytes including NUL and 0xFF. */
    const char *path = tpath("big.bin");
    muon_afile *af;
    FILE *f;
    ck_assert_int_eq(muon_afile_open(&af, path, &f), MUON_SUCCESS);
    enum { N = 1 << 20 };
    unsigned char *b = malloc(N);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < N; i++)
        b[i] = (unsigned char)(i * 131 + (i >> 9));
    ck_assert_uint_eq(fwrite(b, 1, N, f), N);
    ck_assert_int_eq(muon_afile_commit(af), MUON_SUCCESS);
    FILE *r = fopen(path, "rb");
    ck_assert_ptr_nonnull(r);
    unsigned char *c = malloc(N + 1);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(fread(c, 1, N + 1, r), N);
    fclose(r);
    ck_assert(memcmp(b, c, N) == 0);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_afile_abort_keeps_old)
{
    const char *path = tpath("keep.csv");
    write_file(path, "precious\n");
    muon_afile *af;
    FILE *f;
    ck_assert_int_eq(muon_afile_open(&af, path, &f), MUON_SUCCESS);
    fputs("half-written garbage", f);
    ck_assert_int_eq(fflush(f), 0);
    muon_afile_abort(af);
    char *s = test_slurp_path(path);
    ck_assert_str_eq(s, "precious\n");
    free(s);
    ASSERT_LISTING(tmpdir, "keep.csv "); /* the temporary is gone */

    /* Abort without an existing destination creates nothing. */
    ck_assert_int_eq(muon_afile_open(&af, tpath("new.csv"), &f),
                     MUON_SUCCESS);
    fputs("x", f);
    muon_afile_abort(af);
    ASSERT_LISTING(tmpdir, "keep.csv ");
    muon_afile_abort(NULL); /* no-op */
}
END_TEST

START_TEST(test_afile_open_missing_dir)
{
    const char *path = tpath("no/such/dir/out.csv");
    muon_afile *af = (muon_afile *)1;
    FILE *f = (FILE *)1;
    record_errors();
    int rc = muon_afile_open(&af, path, &f);
    ck_assert_int_eq(rc, MUON_EIO);
    ck_assert_ptr_null(af);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(rec_calls, 1);
    ck_assert_int_eq(rec_status, MUON_EIO);
    ck_assert_msg(strstr(rec_reason, path), "reason '%s' lacks the path",
                  rec_reason);
    ck_assert_msg(strstr(rec_reason, strerror(ENOENT)),
                  "reason '%s' lacks strerror", rec_reason);
    ASSERT_LISTING(tmpdir, "");
}
END_TEST

START_TEST(test_afile_rename_fails)
{
    /* The destination is a non-empty directory: rename(2) fails
     * (EISDIR).  The directory and its content are untouched, no
     * temporary stays, the error is reported once with the path. */
    const char *path = tpath("out");
    ck_assert_int_eq(mkdir(path, 0755), 0);
    write_file(tpath("out/inner"), "inner\n");
    muon_afile *af;
    FILE *f;
    ck_assert_int_eq(muon_afile_open(&af, path, &f), MUON_SUCCESS);
    fputs("data\n", f);
    record_errors();
    ck_assert_int_eq(muon_afile_commit(af), MUON_EIO);
    ck_assert_int_eq(rec_calls, 1);
    ck_assert_int_eq(rec_status, MUON_EIO);
    ck_assert_ptr_nonnull(strstr(rec_reason, path));
    ASSERT_LISTING(tmpdir, "out ");
    char *s = test_slurp_path(tpath("out/inner"));
    ck_assert_str_eq(s, "inner\n");
    free(s);
}
END_TEST

/* Makes every later write(2) on the stream's descriptor fail with ENOSPC
 * by putting /dev/full behind it. */
static int
redirect_to_dev_full(FILE *f)
{
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0)
        return -1;
    int rc = dup2(fd, fileno(f));
    close(fd);
    return rc < 0 ? -1 : 0;
}

START_TEST(test_afile_write_error_keeps_old)
{
    /* _i = 0: more than a buffer, so fwrite itself fails and the stream's
     * error flag is set before commit; _i = 1: a few bytes that only fail
     * at the flush inside commit. */
    const char *path = tpath("results.csv");
    write_file(path, "old results\n");
    muon_afile *af;
    FILE *f;
    ck_assert_int_eq(muon_afile_open(&af, path, &f), MUON_SUCCESS);
    if (redirect_to_dev_full(f) != 0)
        return; /* no /dev/full here */
    if (_i == 0) {
        static char block[1 << 16];
        memset(block, 'x', sizeof block);
        for (int k = 0; k < 8; k++)
            fwrite(block, 1, sizeof block, f);
        ck_assert_msg(ferror(f), "writes to /dev/full did not fail");
    } else {
        fputs("tiny\n", f);
    }
    record_errors();
    int rc = muon_afile_commit(af);
    ck_assert_msg(rc == MUON_EIO, "commit after a failed write: rc %d", rc);
    ck_assert_int_eq(rec_calls, 1);
    ck_assert_ptr_nonnull(strstr(rec_reason, path));
    char *s = test_slurp_path(path);
    ck_assert_str_eq(s, "old results\n");
    free(s);
    ASSERT_LISTING(tmpdir, "results.csv ");
}
END_TEST

START_TEST(test_afile_relative_path)
{
    /* A bare file name: the temporary and the directory fsync use ".". */
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(tmpdir), 0);
    muon_afile *af;
    FILE *f;
    int rc = muon_afile_open(&af, "rel.txt", &f);
    if (rc == MUON_SUCCESS) {
        fputs("rel\n", f);
        rc = muon_afile_commit(af);
    }
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(rc, MUON_SUCCESS);
    char *s = test_slurp_path(tpath("rel.txt"));
    ck_assert_str_eq(s, "rel\n");
    free(s);
    ASSERT_LISTING(tmpdir, "rel.txt ");
}
END_TEST

/* ---- provenance --------------------------------------------------------- */

/* The OpenBLAS core in use, asked of OpenBLAS directly: what the
 * "blas_core" provenance item must say. */
static const char *
openblas_core(void)
{
    const char *c = openblas_get_corename();
    return c && *c ? c : "unknown";
}

/* The value of provenance line "<prefix><key>: <value>" in text, copied into
 * buf; NULL if absent. */
static const char *
prov_value(const char *text, const char *prefix, const char *key, char *buf,
           size_t cap)
{
    char head[128];
    snprintf(head, sizeof head, "%s%s: ", prefix, key);
    size_t hl = strlen(head);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= hl && !strncmp(p, head, hl)) {
            snprintf(buf, cap, "%.*s", (int)(len - hl), p + hl);
            return buf;
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static char *
provenance_text(const char *prefix)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(muon_provenance_write(f, prefix), MUON_SUCCESS);
    char *s = test_slurp(f);
    fclose(f);
    return s;
}

START_TEST(test_provenance_lines)
{
    char *argv[] = {(char *)"muonlab", (char *)"ortho", (char *)"--lr=0.02",
                    (char *)"--note", (char *)"a b", (char *)"it's", NULL};
    muon_provenance_set_command(6, argv);
    muon_provenance_set_seed(18446744073709551615ull);
    char *s = provenance_text("# ");
    /* Every line carries the prefix, and the text ends with a newline. */
    ck_assert_uint_gt(strlen(s), 0);
    ck_assert_int_eq(s[strlen(s) - 1], '\n');
    for (const char *p = s; *p; p = strchr(p, '\n') + 1)
        ck_assert_msg(!strncmp(p, "# ", 2), "line without prefix: '%.40s'",
                      p);
    char v[1024];
    /* POSIX shell quoting: single quotes around words with specials, a
     * quote inside as '\''. */
    ck_assert_ptr_nonnull(prov_value(s, "# ", "command", v, sizeof v));
    ck_assert_str_eq(v, "muonlab ortho --lr=0.02 --note 'a b' 'it'\\''s'");
    ck_assert_str_eq(muon_provenance_command(), v);
    ck_assert_ptr_nonnull(prov_value(s, "# ", "seed", v, sizeof v));
    ck_assert_str_eq(v, "18446744073709551615");
    ck_assert_ptr_nonnull(prov_value(s, "# ", "version", v, sizeof v));
    ck_assert_msg(strstr(v, "muonlab") && strstr(v, MUON_VERSION),
                  "version line '%s'", v);
    ck_assert_ptr_nonnull(prov_value(s, "# ", "gsl", v, sizeof v));
    ck_assert_msg(strstr(v, GSL_VERSION), "gsl line '%s', want %s", v,
                  GSL_VERSION);
    ck_assert_ptr_nonnull(prov_value(s, "# ", "zlib", v, sizeof v));
    ck_assert_msg(strstr(v, ZLIB_VERSION), "zlib line '%s', want %s", v,
                  ZLIB_VERSION);
    ck_assert_ptr_nonnull(prov_value(s, "# ", "jansson", v, sizeof v));
    ck_assert_msg(strstr(v, JANSSON_VERSION), "jansson line '%s'", v);
    ck_assert_ptr_nonnull(prov_value(s, "# ", "blas", v, sizeof v));
    ck_assert_msg(strstr(v, "OpenBLAS"), "blas line '%s'", v);
    ck_assert_msg(strstr(v, "OPENBLAS_CORETYPE="), "blas line '%s'", v);
    /* The kernels in use, next to the variable that chooses them. */
    ck_assert_ptr_nonnull(prov_value(s, "# ", "blas_core", v, sizeof v));
    ck_assert_str_eq(v, openblas_core());
    const char *blas = strstr(s, "# blas: ");
    ck_assert_ptr_nonnull(blas);
    ck_assert_msg(!strncmp(strchr(blas, '\n') + 1, "# blas_core: ", 13),
                  "blas_core does not follow the blas line:\n%s", s);
    /* date: ISO 8601 UTC, YYYY-MM-DDTHH:MM:SSZ */
    ck_assert_ptr_nonnull(prov_value(s, "# ", "date", v, sizeof v));
    ck_assert_uint_eq(strlen(v), 20);
    ck_assert_int_eq(v[4], '-');
    ck_assert_int_eq(v[10], 'T');
    ck_assert_int_eq(v[19], 'Z');
    free(s);

    /* Another prefix is used as given. */
    s = provenance_text("-- ");
    ck_assert_ptr_nonnull(prov_value(s, "-- ", "seed", v, sizeof v));
    free(s);
}
END_TEST

START_TEST(test_provenance_no_seed)
{
    /* In a fresh process (fork mode) no seed has been set; the line is
     * still there and says so rather than printing a made-up number. */
    if (getenv("CK_FORK") && !strcmp(getenv("CK_FORK"), "no"))
        return; /* state from earlier tests is visible without fork */
    char *s = provenance_text("# ");
    char v[256];
    ck_assert_ptr_nonnull(prov_value(s, "# ", "seed", v, sizeof v));
    ck_assert_msg(strcmp(v, "0") != 0, "unset seed written as 0");
    free(s);
}
END_TEST

/* The command string is a shell word list: feeding it to /bin/sh gives the
 * original arguments back, byte for byte (an independent check of the
 * quoting, by the shell itself). */
START_TEST(test_provenance_command_shell_round_trip)
{
    char *args[] = {(char *)"muonlab", (char *)"a b", (char *)"it's",
                    (char *)"", (char *)"$HOME", (char *)"`id`",
                    (char *)"back\\slash", (char *)"semi;colon", (char *)"*",
                    (char *)"tab\there", (char *)"\"dq\"", (char *)"'",
                    (char *)"x=1,y=2", (char *)"!bang", NULL};
    int argc = 14;
    muon_provenance_set_command(argc, args);
    const char *cmd = muon_provenance_command();
    char script[8192];
    snprintf(script, sizeof script,
             "set -- %s; for a; do printf '%%s\\001' \"$a\"; done",
             cmd);
    char *path = strdup(tpath("script.sh"));
    write_file(path, script);
    char shcmd[1024];
    snprintf(shcmd, sizeof shcmd, "/bin/sh %s", path);
    FILE *p = popen(shcmd, "r");
    ck_assert_ptr_nonnull(p);
    char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    const char *q = out;
    for (int i = 0; i < argc; i++) {
        const char *end = strchr(q, '\001');
        ck_assert_msg(end != NULL, "argument %d missing; command: %s", i,
                      cmd);
        ck_assert_msg((size_t)(end - q) == strlen(args[i]) &&
                          !strncmp(q, args[i], strlen(args[i])),
                      "argument %d: shell got '%.*s', want '%s' (command %s)",
                      i, (int)(end - q), q, args[i], cmd);
        q = end + 1;
    }
    ck_assert_msg(*q == '\0', "extra arguments: '%s'", q);
    free(path);
}
END_TEST

/* Regression (found by review, fixed): src/lib/core/io.c provenance_items()
 * copies the command into a 512-byte value with "%.500s", so the
 * "# command:" line of a results file silently loses everything after 500
 * characters (a sweep command with many options is longer), although
 * STYLE.md requires "# header lines recording the full command".
 * Expected: the provenance command equals muon_provenance_command(). */
START_TEST(test_provenance_long_command_truncated)
{
    enum { NARG = 60 };
    char *argv[NARG];
    char store[NARG][32];
    for (int i = 0; i < NARG; i++) {
        snprintf(store[i], sizeof store[i], "--opt%02d=value%02d", i, i);
        argv[i] = store[i];
    }
    muon_provenance_set_command(NARG, argv); /* ~1000 characters */
    const char *full = muon_provenance_command();
    ck_assert_uint_gt(strlen(full), 900);
    char *s = provenance_text("# ");
    char v[4096];
    ck_assert_ptr_nonnull(prov_value(s, "# ", "command", v, sizeof v));
    ck_assert_msg(!strcmp(v, full),
                  "provenance command has %zu of %zu characters", strlen(v),
                  strlen(full));
    json_t *o = muon_provenance_json();
    ck_assert_ptr_nonnull(o);
    const char *js = json_string_value(json_object_get(o, "command"));
    ck_assert_ptr_nonnull(js);
    ck_assert_msg(!strcmp(js, full), "JSON command has %zu of %zu characters",
                  strlen(js), strlen(full));
    json_decref(o);
    free(s);
}
END_TEST

/* Regression (found by review, fixed): an argument containing a newline is
 * shell-quoted correctly but the newline is written raw, so the provenance
 * "comment" spans two lines and the second one lacks the prefix: a CSV
 * reader takes it for the header row (src/lib/core/io.c,
 * muon_provenance_write).  Expected: every line starts with the prefix. */
START_TEST(test_provenance_newline_in_argument)
{
    char *argv[] = {(char *)"muonlab", (char *)"train", (char *)"--note",
                    (char *)"line one\nline two", NULL};
    muon_provenance_set_command(4, argv);
    char *s = provenance_text("# ");
    for (const char *p = s; *p; p = strchr(p, '\n') + 1)
        ck_assert_msg(!strncmp(p, "# ", 2),
                      "provenance line without the '# ' prefix: '%.40s'", p);
    free(s);
}
END_TEST

START_TEST(test_provenance_write_error)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        return;
    setvbuf(f, NULL, _IONBF, 0); /* every fprintf reaches write(2) */
    record_errors();
    ck_assert_int_eq(muon_provenance_write(f, "# "), MUON_EIO);
    ck_assert_int_eq(rec_calls, 1);
    ck_assert_int_eq(rec_status, MUON_EIO);
    fclose(f);
}
END_TEST

START_TEST(test_provenance_json)
{
    char *argv[] = {(char *)"muonlab", (char *)"spectrum", (char *)"x y",
                    NULL};
    muon_provenance_set_command(3, argv);
    muon_provenance_set_seed(7);
    json_t *o = muon_provenance_json();
    ck_assert_ptr_nonnull(o);
    ck_assert(json_is_object(o));
    const char *keys[] = {"command", "version", "seed", "date", "gsl",
                          "zlib", "jansson", "blas", "blas_core"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(json_object_get(o, keys[i]) != NULL, "no key '%s'",
                      keys[i]);
    ck_assert_str_eq(json_string_value(json_object_get(o, "command")),
                     "muonlab spectrum 'x y'");
    /* The seed as written, whatever the JSON type. */
    json_t *seed = json_object_get(o, "seed");
    if (json_is_string(seed))
        ck_assert_str_eq(json_string_value(seed), "7");
    else
        ck_assert_msg(json_is_integer(seed) && json_integer_value(seed) == 7,
                      "seed is neither \"7\" nor 7");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(o, "gsl")), GSL_VERSION));
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(o, "zlib")), ZLIB_VERSION));
    ck_assert_ptr_nonnull(strstr(
        json_string_value(json_object_get(o, "jansson")), JANSSON_VERSION));
    ck_assert_ptr_nonnull(strstr(
        json_string_value(json_object_get(o, "version")), MUON_VERSION));
    ck_assert_str_eq(json_string_value(json_object_get(o, "blas_core")),
                     openblas_core());
    /* It serialises and parses back (no NaN, valid UTF-8). */
    char *text = json_dumps(o, 0);
    ck_assert_ptr_nonnull(text);
    json_error_t err;
    json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(back != NULL, "provenance JSON invalid: %s", err.text);
    ck_assert(json_equal(o, back));
    json_decref(back);
    free(text);
    json_decref(o);
}
END_TEST

static Suite *
io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_afile_commit_creates);
    tcase_add_test(tc, test_afile_commit_replaces);
    tcase_add_test(tc, test_afile_large_and_binary);
    tcase_add_test(tc, test_afile_abort_keeps_old);
    tcase_add_test(tc, test_afile_open_missing_dir);
    tcase_add_test(tc, test_afile_rename_fails);
    tcase_add_loop_test(tc, test_afile_write_error_keeps_old, 0, 2);
    tcase_add_test(tc, test_afile_relative_path);
    tcase_add_test(tc, test_provenance_lines);
    tcase_add_test(tc, test_provenance_no_seed);
    tcase_add_test(tc, test_provenance_command_shell_round_trip);
    tcase_add_test(tc, test_provenance_long_command_truncated);
    tcase_add_test(tc, test_provenance_newline_in_argument);
    tcase_add_test(tc, test_provenance_write_error);
    tcase_add_test(tc, test_provenance_json);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return test_run_suite(io_suite());
}
