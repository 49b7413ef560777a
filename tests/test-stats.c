/* test-stats.c: mean/sd/CI and Welch's t-test against independent
 * references (textbook t quantiles, Wikipedia's Welch examples recomputed
 * with mpmath at 50 digits), and `muonlab stats` grouping. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "muon/stats.h"
#include "muon/status.h"
#include "sweep_lib.h"
#include "tol.h"

/* Relative agreement with a reference computed elsewhere: GSL's t
 * distribution is accurate to ~1e-12 relative; 1e-9 leaves room for the
 * summation order of the means. */
#define REF_REL 1e-9

#define ck_rel(got, want, tol)                                                 \
    ck_assert_msg(fabs((got) - (want)) <= (tol) * fabs(want),                  \
                  "%s = %.17g, expected %.17g (rel tol %g)", #got, (double)(got), \
                  (double)(want), (double)(tol))

START_TEST(test_summary_textbook)
{
    /* x = 1..5: mean 3, s^2 = 10/4 = 2.5 by hand; t_{0.975,4} = 2.776445105
     * (printed t tables give 2.776; mpmath: 2.7764451051977944). */
    const double x[] = {1, 2, 3, 4, 5};
    muon_stats_summary s;
    ck_assert_int_eq(muon_stats_summarize(x, 5, 0.95, &s), MUON_SUCCESS);
    ck_assert_uint_eq(s.n, 5);
    ck_rel(s.mean, 3.0, 1e-15);
    ck_rel(s.sd, sqrt(2.5), 1e-15);
    ck_rel(s.sem, sqrt(2.5 / 5.0), 1e-15);
    double half = 2.7764451051977944 * sqrt(0.5);
    ck_rel(s.ci_half, half, REF_REL);
    ck_rel(s.ci_lo, 3.0 - half, REF_REL);
    ck_rel(s.ci_hi, 3.0 + half, REF_REL);
    /* Ten values 1..10: s^2 = 55/6 by hand, t_{0.975,9} = 2.2621571627982055. */
    double y[10];
    for (int i = 0; i < 10; i++)
        y[i] = i + 1;
    ck_assert_int_eq(muon_stats_summarize(y, 10, 0.95, &s), MUON_SUCCESS);
    ck_rel(s.ci_half, 2.2621571627982055 * sqrt(55.0 / 6.0 / 10.0), REF_REL);
    /* Two values: df = 1, t_{0.975,1} = 12.706204736174705. */
    ck_assert_int_eq(muon_stats_summarize(x, 2, 0.95, &s), MUON_SUCCESS);
    ck_rel(s.ci_half, 12.706204736174705 * sqrt(0.5) / sqrt(2.0), REF_REL);
}
END_TEST

START_TEST(test_summary_offset_and_single)
{
    /* A large common offset must not eat the spread: sd of 1e9 + (1..5)
     * is still sqrt(2.5) (a one-pass sum of squares loses ~all digits). */
    const double x[] = {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5};
    muon_stats_summary s;
    ck_assert_int_eq(muon_stats_summarize(x, 5, 0.95, &s), MUON_SUCCESS);
    ck_rel(s.sd, sqrt(2.5), 1e-6);
    /* One seed: a mean, no spread. */
    ck_assert_int_eq(muon_stats_summarize(x, 1, 0.95, &s), MUON_SUCCESS);
    ck_rel(s.mean, 1e9 + 1, 1e-15);
    ck_assert(isnan(s.sd) && isnan(s.ci_lo) && isnan(s.ci_hi));
}
END_TEST

START_TEST(test_summary_errors)
{
    const double x[] = {1, NAN, 3};
    muon_stats_summary s;
    ck_assert_int_eq(muon_stats_summarize(x, 0, 0.95, &s), MUON_EINVAL);
    ck_assert_int_eq(muon_stats_summarize(x, 1, 1.0, &s), MUON_EINVAL);
    ck_assert_int_eq(muon_stats_summarize(x, 1, 0.0, &s), MUON_EINVAL);
    ck_assert_int_eq(muon_stats_summarize(NULL, 2, 0.95, &s), MUON_EINVAL);
    ck_assert_int_eq(muon_stats_summarize(x, 3, 0.95, &s), MUON_ENONFINITE);
    ck_assert_msg(strstr(muon_last_error(), "value 2 of 3"), "%s",
                  muon_last_error());
}
END_TEST

/* Wikipedia "Welch's t-test", examples 1-3 (published: t = 2.46, df =
 * 25.0, p = 0.021; 1.57, 9.9, 0.149; 2.22, 24.5, 0.036); full-precision
 * values recomputed with mpmath (50 digits, betainc for the tail). */
static const double ex1a[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                              21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
static const double ex1b[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                              24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
static const double ex2a[] = {17.2, 20.9, 22.6, 18.1, 21.7,
                              21.4, 23.5, 24.2, 14.7, 21.8};
static const double ex2b[] = {21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5,
                              20.7, 23.4, 21.8, 20.7, 21.7, 21.5, 22.5,
                              23.6, 21.5, 22.5, 23.5, 21.5, 21.8};
static const double ex3a[] = {19.8, 20.4, 19.6, 17.8, 18.5,
                              18.9, 18.3, 18.9, 19.5, 22.0};
static const double ex3b[] = {28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7,
                              27.6, 20.6, 13.7, 23.2, 17.5, 20.6, 18.0,
                              23.9, 21.6, 24.3, 20.4, 23.9, 13.3};
static const struct {
    const double *a, *b;
    size_t na, nb;
    double t, df, p;
} welch_cases[] = {
    {ex1a, ex1b, 15, 15, -2.4553563982860051, 24.988529290231414,
     0.021378001462867032},
    {ex2a, ex2b, 10, 20, -1.5654335235985052, 9.9047412486508289,
     0.14884169660532799},
    {ex3a, ex3b, 10, 20, -2.2255120399698532, 24.524634944257348,
     0.035484530830010218},
};

START_TEST(test_welch_published)
{
    muon_stats_welch w;
    ck_assert_int_eq(muon_stats_welch_test(welch_cases[_i].a,
                                           welch_cases[_i].na,
                                           welch_cases[_i].b,
                                           welch_cases[_i].nb, &w),
                     MUON_SUCCESS);
    ck_rel(w.t, welch_cases[_i].t, REF_REL);
    ck_rel(w.df, welch_cases[_i].df, REF_REL);
    ck_rel(w.p, welch_cases[_i].p, REF_REL);
    /* Swapping the samples flips t and keeps df and p. */
    muon_stats_welch v;
    ck_assert_int_eq(muon_stats_welch_test(welch_cases[_i].b,
                                           welch_cases[_i].nb,
                                           welch_cases[_i].a,
                                           welch_cases[_i].na, &v),
                     MUON_SUCCESS);
    ck_rel(v.t, -welch_cases[_i].t, REF_REL);
    ck_rel(v.p, welch_cases[_i].p, REF_REL);
}
END_TEST

START_TEST(test_welch_errors)
{
    const double a[] = {1, 1, 1}, b[] = {2, 2, 2}, c[] = {1, INFINITY};
    muon_stats_welch w;
    ck_assert_int_eq(muon_stats_welch_test(a, 1, b, 3, &w), MUON_EINVAL);
    ck_assert_int_eq(muon_stats_welch_test(a, 3, b, 3, &w), MUON_EINVAL);
    ck_assert_msg(strstr(muon_last_error(), "zero variance"), "%s",
                  muon_last_error());
    ck_assert_int_eq(muon_stats_welch_test(a, 3, c, 2, &w), MUON_ENONFINITE);
    ck_assert_int_eq(muon_stats_welch_test(NULL, 3, c, 2, &w), MUON_EINVAL);
}
END_TEST

/* A results table with a diverged seed and a missing one. */
static const char *results_csv =
    "# muonlab provenance\n"
    "method,seed,status,loss\n"
    "ns5,1,ok,1\n"
    "ns5,2,ok,2\n"
    "ns5,3,ok,3\n"
    "ns5,4,ok,4\n"
    "ns5,5,ok,5\n"
    "pe,1,ok,2\n"
    "pe,2,diverged,nan\n"
    "pe,3,ok,4\n";

START_TEST(test_aggregate_groups)
{
    sweep_csv *c;
    ck_assert_int_eq(sweep_csv_parse(results_csv, "r.csv", &c), 0);
    cli_table *t;
    char *warn;
    const char *by[] = {"method"};
    ck_assert_int_eq(sweep_aggregate(c, "r.csv", by, 1, "loss", &t, &warn),
                     0);
    ck_assert_uint_eq(cli_table_rows(t), 2);
    /* Different n per group must be said with the counts. */
    ck_assert_ptr_nonnull(warn);
    ck_assert_msg(strstr(warn, "method=ns5: 5") && strstr(warn, "method=pe: 2"),
                  "%s", warn);
    free(warn);
    char path[] = "/tmp/muon-stats-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(path));
    char file[64];
    snprintf(file, sizeof file, "%s/s.csv", path);
    ck_assert_int_eq(cli_table_save(t, file, CLI_CSV), 0);
    cli_table_free(t);
    sweep_csv *s;
    ck_assert_int_eq(sweep_csv_read(file, &s), 0);
    long n = sweep_csv_col(s, "n"), bad = sweep_csv_col(s, "n_invalid"),
         mean = sweep_csv_col(s, "mean"), lo = sweep_csv_col(s, "ci_lo");
    ck_assert(n >= 0 && bad >= 0 && mean >= 0 && lo >= 0);
    ck_assert_str_eq(sweep_csv_at(s, 0, 0), "ns5");
    ck_assert_str_eq(sweep_csv_at(s, 0, n), "5");
    ck_assert_str_eq(sweep_csv_at(s, 1, n), "2");
    ck_assert_str_eq(sweep_csv_at(s, 1, bad), "1");
    /* ns5: 1..5, the textbook case above. */
    ck_rel(strtod(sweep_csv_at(s, 0, lo), NULL),
           3.0 - 2.7764451051977944 * sqrt(0.5), REF_REL);
    /* pe: only the two valid seeds (2, 4) are averaged: mean 3. */
    ck_rel(strtod(sweep_csv_at(s, 1, mean), NULL), 3.0, 1e-15);
    sweep_csv_free(s);
    remove(file);
    rmdir(path);

    /* An unknown column names the closest one. */
    const char *by2[] = {"methd"};
    ck_assert_int_eq(sweep_aggregate(c, "r.csv", by2, 1, "loss", &t, &warn),
                     MUON_EUNKNOWN);
    ck_assert_msg(strstr(muon_last_error(), "did you mean \"method\""), "%s",
                  muon_last_error());
    sweep_csv_free(c);
}
END_TEST

START_TEST(test_compare_welch)
{
    /* Example 1 as rows of a results table; the comparison must reproduce
     * the reference t-test. */
    char *text = malloc(8192);
    size_t len = (size_t)sprintf(text, "method,status,loss\n");
    for (size_t i = 0; i < 15; i++)
        len += (size_t)sprintf(text + len, "a,ok,%.17g\nb,ok,%.17g\n", ex1a[i],
                               ex1b[i]);
    len += (size_t)sprintf(text + len, "c,ok,1\n");
    sweep_csv *c;
    ck_assert_int_eq(sweep_csv_parse(text, "w.csv", &c), 0);
    free(text);
    cli_table *t;
    char *warn;
    ck_assert_int_eq(sweep_compare(c, "w.csv", NULL, 0, "method", "a", "b",
                                   "loss", &t, &warn),
                     0);
    ck_assert_ptr_null(warn);
    ck_assert_uint_eq(cli_table_rows(t), 1);
    char path[] = "/tmp/muon-stats-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(path));
    char file[64];
    snprintf(file, sizeof file, "%s/w.csv", path);
    ck_assert_int_eq(cli_table_save(t, file, CLI_CSV), 0);
    cli_table_free(t);
    sweep_csv *s;
    ck_assert_int_eq(sweep_csv_read(file, &s), 0);
    ck_rel(strtod(sweep_csv_at(s, 0, sweep_csv_col(s, "t")), NULL),
           welch_cases[0].t, REF_REL);
    ck_rel(strtod(sweep_csv_at(s, 0, sweep_csv_col(s, "df")), NULL),
           welch_cases[0].df, REF_REL);
    ck_rel(strtod(sweep_csv_at(s, 0, sweep_csv_col(s, "p")), NULL),
           welch_cases[0].p, REF_REL);
    sweep_csv_free(s);
    remove(file);
    rmdir(path);
    /* Neither value present. */
    ck_assert_int_eq(sweep_compare(c, "w.csv", NULL, 0, "method", "x", "y",
                                   "loss", &t, &warn),
                     MUON_EINVAL);
    sweep_csv_free(c);
}
END_TEST

/* The command itself, through the built tool. */
START_TEST(test_stats_cli)
{
    const char *root = getenv("MUON_BUILD_ROOT");
    if (!root) {
        fprintf(stderr, "test_stats_cli: MUON_BUILD_ROOT unset, skipped\n");
        return;
    }
    char dir[] = "/tmp/muon-stats-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char csv[128], out[128], cmd[1024];
    snprintf(csv, sizeof csv, "%s/r.csv", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    FILE *f = fopen(csv, "w");
    ck_assert_ptr_nonnull(f);
    fputs(results_csv, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s/src/cli/muonlab stats %s --by method "
             "--metric loss --format csv > %s 2>%s.err", root, csv, out, out);
    ck_assert_int_eq(system(cmd), 0);
    sweep_csv *s;
    ck_assert_int_eq(sweep_csv_read(out, &s), 0);
    ck_assert_uint_eq(s->nrows, 2);
    sweep_csv_free(s);
    /* Missing --metric and a bad --compare are usage errors (exit 2). */
    snprintf(cmd, sizeof cmd, "%s/src/cli/muonlab stats %s --by method "
             "2>/dev/null", root, csv);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "%s/src/cli/muonlab stats %s --metric loss "
             "--compare method=ns5,seed=1 2>/dev/null", root, csv);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *
stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_summary_textbook);
    tcase_add_test(tc, test_summary_offset_and_single);
    tcase_add_test(tc, test_summary_errors);
    tcase_add_loop_test(tc, test_welch_published, 0,
                        sizeof welch_cases / sizeof welch_cases[0]);
    tcase_add_test(tc, test_welch_errors);
    tcase_add_test(tc, test_aggregate_groups);
    tcase_add_test(tc, test_compare_welch);
    tcase_add_test(tc, test_stats_cli);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(stats_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    int run = srunner_ntests_run(sr);
    srunner_free(sr);
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
