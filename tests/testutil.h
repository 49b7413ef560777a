/* testutil.h: what the Check suites share: reading a stream or file whole,
 * and running a suite (GSL's aborting handler off; the summary line). */
#ifndef MUON_TESTUTIL_H
#define MUON_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "muon/status.h"

/* Reads a whole stream from its start; the caller frees. */
static inline char *
test_slurp(FILE *f)
{
    ck_assert_int_eq(fflush(f), 0);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    return b;
}

/* Reads a whole file; the caller frees. */
static inline char *
test_slurp_path(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    char *b = test_slurp(f);
    fclose(f);
    return b;
}

static inline int
test_rm_entry(const char *p, const struct stat *sb, int flag,
              struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Makes a fresh /tmp/muontest-XXXXXX directory into dir (64 bytes). */
static inline void
test_tmpdir_make(char *dir)
{
    snprintf(dir, 64, "/tmp/muontest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes dir and everything below it (no-op for ""), then clears it. */
static inline void
test_tmpdir_remove(char *dir)
{
    if (dir[0])
        nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    dir[0] = '\0';
}

/* An error handler that records what it receives: rec_calls (how many
 * reports) and the last report's rec_reason, rec_file, rec_line and
 * rec_status.  rec_reset() clears the record; record_errors() clears it and
 * installs the handler; muon_set_error_handler(NULL) restores the default. */
static int rec_calls, rec_status, rec_line;
static char rec_reason[2048];
static char rec_file[512];

static inline void
recording_handler(const char *reason, const char *file, int line, int status)
{
    rec_calls++;
    snprintf(rec_reason, sizeof rec_reason, "%s", reason);
    snprintf(rec_file, sizeof rec_file, "%s", file);
    rec_line = line;
    rec_status = status;
}

static inline void
rec_reset(void)
{
    rec_calls = 0;
    rec_reason[0] = rec_file[0] = '\0';
    rec_line = -1;
    rec_status = -1;
}

static inline void
record_errors(void)
{
    rec_reset();
    muon_set_error_handler(recording_handler);
}

/* Runs the suite (CK_ENV verbosity) and returns the process exit status.
 * GSL's default handler aborts: it must never end a test run. */
static inline int
test_run_suite(Suite *s)
{
    gsl_set_error_handler_off();
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_ENV);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* MUON_TESTUTIL_H */
