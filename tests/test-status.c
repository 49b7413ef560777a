/* test-status.c: status strings, the replaceable error handler, the
 * per-thread last-error record and checked size arithmetic. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muon/status.h"
#include "testutil.h"

/* Every code of the enum in status.h, listed by hand so that a new code
 * missing here shows up as a review question, not a silent gap. */
static const int all_codes[] = {
    MUON_SUCCESS, MUON_EINVAL,  MUON_EBADLEN,    MUON_ENONFINITE,
    MUON_ENOMEM,  MUON_EIO,     MUON_ENOCONV,    MUON_EFORMAT,
    MUON_EUNKNOWN, MUON_ERANGE, MUON_ECORRUPT,   MUON_EINTERRUPT,
    MUON_EDIVERGED, MUON_EINTERNAL};
#define NCODES (sizeof all_codes / sizeof all_codes[0])

/* ---- the recording handler is testutil.h's ---------------------------- */

/* Restores the default handler and a clean record around every test, so
 * tests stay independent under CK_FORK=no too. */
static void
setup(void)
{
    muon_set_error_handler(NULL);
    muon_clear_error();
    rec_reset();
}

static void
teardown(void)
{
    muon_set_error_handler(NULL);
}

/* ---- strings ------------------------------------------------------------ */

START_TEST(test_strerror_distinct)
{
    /* The codes are documented as the integers 0..13 in order. */
    for (size_t i = 0; i < NCODES; i++)
        ck_assert_int_eq(all_codes[i], (int)i);
    for (size_t i = 0; i < NCODES; i++) {
        const char *s = muon_strerror(all_codes[i]);
        ck_assert_msg(s && *s, "code %d has an empty description",
                      all_codes[i]);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(s, muon_strerror(all_codes[j])) != 0,
                          "codes %d and %d share the description '%s'",
                          all_codes[i], all_codes[j], s);
    }
}
END_TEST

START_TEST(test_strerror_unknown_code)
{
    /* Out-of-range codes still get a usable string, distinct from every
     * real one (a tool must never print "success" for a failure). */
    const int bad[] = {-1, 14, 999, INT32_MIN};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *s = muon_strerror(bad[k]);
        ck_assert_msg(s && *s, "code %d: empty description", bad[k]);
        for (size_t i = 0; i < NCODES; i++)
            ck_assert_msg(strcmp(s, muon_strerror(all_codes[i])) != 0,
                          "unknown code %d described like code %d ('%s')",
                          bad[k], all_codes[i], s);
    }
}
END_TEST

/* ---- handler ------------------------------------------------------------ */

START_TEST(test_handler_receives_error_once)
{
    muon_set_error_handler(recording_handler);
    int line = __LINE__ + 1;
    int rc = MUON_ERROR(MUON_ERANGE, "lr must be > 0 (got %g) in '%s'", -0.5,
                        "cfg.json");
    ck_assert_int_eq(rc, MUON_ERANGE);
    ck_assert_int_eq(rec_calls, 1);
    ck_assert_str_eq(rec_reason, "lr must be > 0 (got -0.5) in 'cfg.json'");
    ck_assert_str_eq(rec_file, __FILE__);
    ck_assert_int_eq(rec_line, line);
    ck_assert_int_eq(rec_status, MUON_ERANGE);
    /* A custom handler replaces the default one: nothing is recorded. */
    ck_assert_str_eq(muon_last_error(), "");

    /* A second error is a second call, not a repeat of the first. */
    muon_error_at("x.c", 7, MUON_EIO, "%s", "second");
    ck_assert_int_eq(rec_calls, 2);
    ck_assert_str_eq(rec_reason, "second");
    ck_assert_str_eq(rec_file, "x.c");
    ck_assert_int_eq(rec_line, 7);
    ck_assert_int_eq(rec_status, MUON_EIO);
}
END_TEST

START_TEST(test_error_null_macro)
{
    muon_set_error_handler(recording_handler);
    void *p = MUON_ERROR_NULL(MUON_ENOMEM, "matrix %dx%d", 3, 4);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(rec_calls, 1);
    ck_assert_int_eq(rec_status, MUON_ENOMEM);
    ck_assert_str_eq(rec_reason, "matrix 3x4");
}
END_TEST

START_TEST(test_set_handler_returns_previous_and_null_restores)
{
    muon_error_handler_t *def = muon_set_error_handler(recording_handler);
    /* Function pointers are compared directly (ISO C forbids converting
     * them to void *). */
    ck_assert(def != NULL);
    ck_assert(def != recording_handler);
    /* Swapping back returns the handler that was installed. */
    muon_error_handler_t *prev = muon_set_error_handler(NULL);
    ck_assert(prev == recording_handler);
    /* NULL installed the default again: it is what the next swap returns,
     * and it records instead of calling ours. */
    (void)MUON_ERROR(MUON_EINVAL, "after restore %d", 42);
    ck_assert_int_eq(rec_calls, 0);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "after restore 42"));
    prev = muon_set_error_handler(recording_handler);
    ck_assert(prev == def);
}
END_TEST

/* ---- last error --------------------------------------------------------- */

START_TEST(test_last_error_formatted)
{
    ck_assert_str_eq(muon_last_error(), "");
    int rc = MUON_ERROR(MUON_ENONFINITE,
                        "gradient '%s' has %d non-finite entries", "fc1.weight",
                        3);
    ck_assert_int_eq(rc, MUON_ENONFINITE);
    const char *m = muon_last_error();
    /* The reason comes first: tools print it as the user-facing message. */
    const char *want = "gradient 'fc1.weight' has 3 non-finite entries";
    ck_assert_msg(!strncmp(m, want, strlen(want)),
                  "last error '%s' does not start with '%s'", m, want);
    /* The location is kept for bug reports. */
    ck_assert_ptr_nonnull(strstr(m, "test-status.c"));
    /* A later error replaces the earlier one. */
    (void)MUON_ERROR(MUON_EIO, "second %s", "message");
    m = muon_last_error();
    ck_assert_msg(!strncmp(m, "second message", 14), "got '%s'", m);
    ck_assert_ptr_null(strstr(m, "fc1.weight"));
    muon_clear_error();
    ck_assert_str_eq(muon_last_error(), "");
}
END_TEST

START_TEST(test_last_error_long_reason)
{
    /* A reason longer than any internal buffer is cut, never overflows. */
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    (void)MUON_ERROR(MUON_EINVAL, "%s", big);
    const char *m = muon_last_error();
    size_t n = strlen(m);
    ck_assert_uint_gt(n, 100);
    ck_assert_uint_lt(n, sizeof big);
    for (size_t i = 0; i < 100; i++)
        ck_assert_int_eq(m[i], 'x');
}
END_TEST

static void *
thread_error(void *arg)
{
    (void)arg;
    (void)MUON_ERROR(MUON_EIO, "from the worker thread");
    char *copy = strdup(muon_last_error());
    return copy;
}

START_TEST(test_last_error_per_thread)
{
    (void)MUON_ERROR(MUON_EINVAL, "from the main thread");
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, thread_error, NULL), 0);
    void *ret = NULL;
    ck_assert_int_eq(pthread_join(th, &ret), 0);
    ck_assert_ptr_nonnull(ret);
    ck_assert_ptr_nonnull(strstr(ret, "from the worker thread"));
    free(ret);
    /* The worker's error did not overwrite this thread's record. */
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "from the main thread"));
}
END_TEST

/* ---- checked sizes ------------------------------------------------------ */

/* Each row's verdict is proved by hand for a 64-bit size_t (SIZE_MAX =
 * 2^64 - 1); the loop test below skips itself on other widths. */
typedef struct {
    size_t a, b;
    int overflow;
    size_t product; /* when it fits */
} mul2_case;

#define P(k) ((size_t)1 << (k))
static const mul2_case mul2_cases[] = {
    {0, 0, 0, 0},
    {0, SIZE_MAX, 0, 0},
    {SIZE_MAX, 0, 0, 0},
    {1, SIZE_MAX, 0, SIZE_MAX},
    {SIZE_MAX, 1, 0, SIZE_MAX},
    {3, 5, 0, 15},
    /* (2^63 - 1) * 2 = 2^64 - 2: the largest even product that fits. */
    {SIZE_MAX / 2, 2, 0, SIZE_MAX - 1},
    /* 2^63 * 2 = 2^64: the first overflow. */
    {SIZE_MAX / 2 + 1, 2, 1, 0},
    {2, SIZE_MAX / 2 + 1, 1, 0},
    /* (2^32 - 1)(2^32 + 1) = 2^64 - 1 = SIZE_MAX exactly. */
    {P(32) - 1, P(32) + 1, 0, SIZE_MAX},
    /* 2^32 * 2^32 = 2^64. */
    {P(32), P(32), 1, 0},
    /* 3 * (2^64-1)/3 = 2^64 - 1 fits; 3 * ((2^64-1)/3 + 1) = 2^64 + 2. */
    {3, SIZE_MAX / 3, 0, SIZE_MAX},
    {3, SIZE_MAX / 3 + 1, 1, 0},
    {SIZE_MAX, SIZE_MAX, 1, 0},
};

START_TEST(test_size_mul)
{
    if (sizeof(size_t) != 8)
        return; /* the table is derived for 64-bit size_t */
    const mul2_case *c = &mul2_cases[_i];
    muon_set_error_handler(recording_handler);
    size_t out = 12345;
    int rc = muon_size_mul(&out, c->a, c->b);
    if (c->overflow) {
        ck_assert_msg(rc == MUON_ENOMEM, "%zu * %zu: rc %d, want ENOMEM",
                      c->a, c->b, rc);
        ck_assert_int_eq(rec_calls, 1);
        ck_assert_int_eq(rec_status, MUON_ENOMEM);
        /* The message names the operands. */
        char a[32];
        snprintf(a, sizeof a, "%zu", c->a);
        ck_assert_msg(strstr(rec_reason, a), "reason '%s' lacks %s",
                      rec_reason, a);
    } else {
        ck_assert_msg(rc == MUON_SUCCESS, "%zu * %zu: rc %d", c->a, c->b, rc);
        ck_assert_int_eq(rec_calls, 0);
        ck_assert_msg(out == c->product, "%zu * %zu = %zu, want %zu", c->a,
                      c->b, out, c->product);
    }
}
END_TEST

typedef struct {
    size_t a, b, c;
    int overflow;
    size_t product;
} mul3_case;

static const mul3_case mul3_cases[] = {
    {0, 0, 0, 0, 0},
    {7, 11, 13, 0, 1001},
    {SIZE_MAX, 1, 1, 0, SIZE_MAX},
    {1, 1, SIZE_MAX, 0, SIZE_MAX},
    {0, SIZE_MAX, SIZE_MAX, 0, 0}, /* a*b = 0 first: no intermediate overflow */
    /* 2^21 cubed = 2^63 fits; 2^21 * 2^21 * 2^22 = 2^64 does not. */
    {P(21), P(21), P(21), 0, P(63)},
    {P(21), P(21), P(22), 1, 0},
    {P(22), P(21), P(21), 1, 0},
    /* (2^32 - 1)^3 ~ 2^96: overflows (the intermediate fits, the final
     * product does not). */
    {P(32) - 1, P(32) - 1, P(32) - 1, 1, 0},
    /* The first product overflows already. */
    {P(40), P(40), 1, 1, 0},
    /* A typical matrix: 2^20 x 2^20 doubles = 2^43 bytes fits; 2^31 x 2^31
     * x 8 = 2^65 does not. */
    {P(20), P(20), 8, 0, P(43)},
    {P(31), P(31), 8, 1, 0},
    /* (2^64 - 1) = 3 * 5 * 17 * 257 * 641 * 65537 * 6700417: exact fit. */
    {3 * 5 * 17, 257 * 641, (size_t)65537 * 6700417, 0, SIZE_MAX},
    {3 * 5 * 17, 257 * 641, (size_t)65537 * 6700417 + 1, 1, 0},
};

START_TEST(test_size_mul3)
{
    if (sizeof(size_t) != 8)
        return;
    const mul3_case *c = &mul3_cases[_i];
    muon_set_error_handler(recording_handler);
    size_t out = 12345;
    int rc = muon_size_mul3(&out, c->a, c->b, c->c);
    if (c->overflow) {
        ck_assert_msg(rc == MUON_ENOMEM, "%zu*%zu*%zu: rc %d, want ENOMEM",
                      c->a, c->b, c->c, rc);
        ck_assert_int_eq(rec_calls, 1);
        ck_assert_int_eq(rec_status, MUON_ENOMEM);
    } else {
        ck_assert_msg(rc == MUON_SUCCESS, "%zu*%zu*%zu: rc %d", c->a, c->b,
                      c->c, rc);
        ck_assert_int_eq(rec_calls, 0);
        ck_assert_msg(out == c->product, "%zu*%zu*%zu = %zu, want %zu", c->a,
                      c->b, c->c, out, c->product);
    }
}
END_TEST

START_TEST(test_size_mul_random_vs_wide)
{
    /* Against 128-bit arithmetic (an independent reference), on random
     * operands spread over all magnitudes. */
    if (sizeof(size_t) != 8)
        return;
    unsigned long long s = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 200000; i++) {
        /* xorshift64*, then a random shift so small and large both occur */
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        size_t a = (size_t)(s * 2685821657736338717ull) >> (s % 64);
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        size_t b = (size_t)(s * 2685821657736338717ull) >> (s % 64);
        __extension__ unsigned __int128 w = (unsigned __int128)a * b;
        size_t out = 0;
        muon_set_error_handler(recording_handler);
        int rc = muon_size_mul(&out, a, b);
        /* if + ck_abort: a ck_assert per iteration costs a pipe write in
         * fork mode. */
        if (w > SIZE_MAX && rc != MUON_ENOMEM)
            ck_abort_msg("%zu * %zu should overflow (rc %d)", a, b, rc);
        if (w <= SIZE_MAX && (rc != MUON_SUCCESS || out != (size_t)w))
            ck_abort_msg("%zu * %zu: rc %d out %zu", a, b, rc, out);
    }
}
END_TEST

static Suite *
status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_strerror_distinct);
    tcase_add_test(tc, test_strerror_unknown_code);
    tcase_add_test(tc, test_handler_receives_error_once);
    tcase_add_test(tc, test_error_null_macro);
    tcase_add_test(tc, test_set_handler_returns_previous_and_null_restores);
    tcase_add_test(tc, test_last_error_formatted);
    tcase_add_test(tc, test_last_error_long_reason);
    tcase_add_test(tc, test_last_error_per_thread);
    tcase_add_loop_test(tc, test_size_mul, 0,
                        (int)(sizeof mul2_cases / sizeof mul2_cases[0]));
    tcase_add_loop_test(tc, test_size_mul3, 0,
                        (int)(sizeof mul3_cases / sizeof mul3_cases[0]));
    tcase_add_test(tc, test_size_mul_random_vs_wide);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return test_run_suite(status_suite());
}
