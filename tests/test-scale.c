/* test-scale.c: the learning-rate scale-mode registry against the formulas
 * of REFERENCE.md section 3, worked out by hand for small shapes. */
#include <check.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "muon/scale.h"
#include "muon/status.h"

/* Hand-computed factors for (A, B) = (1, 4), (4, 1), (4, 4), (2, 8) and
 * ||M||_F = 2: e.g. original (4, 1) = sqrt(max(1, 4)) = 2; match_rms
 * (2, 8) = 0.2 * sqrt(8); seed002 (2, 8) = sqrt(16) / 2 = 2. */
static const struct {
    const char *name;
    double f[4];
} table[] = {
    {"none", {1, 1, 1, 1}},
    {"original", {1, 2, 1, 1}},
    {"match_rms_adamw", {0.4, 0.4, 0.4, 0.565685424949238}},
    {"spectral", {0.5, 2, 1, 0.5}},
    {"spectral_max", {2, 2, 2, 2.82842712474619}},
    {"seed002", {1, 1, 2, 2}},
};
static const size_t shapes[4][2] = {{1, 4}, {4, 1}, {4, 4}, {2, 8}};

START_TEST(test_factor_table)
{
    const muon_scale_type *T = muon_scale_type_by_name(table[_i].name);
    ck_assert_msg(T, "mode %s not registered", table[_i].name);
    muon_scale_params p;
    muon_scale_default_params(&p);
    for (size_t k = 0; k < 4; k++) {
        double f = muon_scale_factor(T, shapes[k][0], shapes[k][1], &p, 2.0);
        ck_assert_msg(fabs(f - table[_i].f[k]) <= 1e-14 * table[_i].f[k],
                      "%s on %zux%zu: got %.17g, expected %.17g",
                      table[_i].name, shapes[k][0], shapes[k][1], f,
                      table[_i].f[k]);
    }
}
END_TEST

/* Every registered mode: finite positive factor, 0 on empty matrices,
 * described, and listed in the hand table (a new mode needs its row). */
START_TEST(test_every_type)
{
    const muon_scale_type *T = muon_scale_types()[_i];
    muon_scale_params p;
    muon_scale_default_params(&p);
    ck_assert_msg(T->description && T->source, "%s undocumented", T->name);
    double f = muon_scale_factor(T, 3, 5, &p, 1.5);
    ck_assert_msg(isfinite(f) && f > 0, "%s: factor %g", T->name, f);
    ck_assert_msg(muon_scale_factor(T, 0, 5, &p, 1.0) == 0.0, "%s", T->name);
    int found = 0;
    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++)
        found |= !strcmp(table[k].name, T->name);
    ck_assert_msg(found, "mode %s has no hand-computed row", T->name);
    ck_assert_ptr_eq(muon_scale_type_by_name(T->name), T);
}
END_TEST

START_TEST(test_unknown_and_params)
{
    muon_clear_error();
    ck_assert_ptr_null(muon_scale_type_by_name("spectral_norm"));
    ck_assert_msg(strstr(muon_last_error(), "spectral_max") &&
                  strstr(muon_last_error(), "spectral_norm"),
                  "message lists valid names: %s", muon_last_error());
    ck_assert_ptr_null(muon_scale_type_by_name(NULL));
    muon_scale_params p;
    muon_scale_default_params(&p);
    ck_assert_double_eq(p.rms_factor, 0.2);
    ck_assert_int_eq(muon_scale_params_validate(&p), MUON_SUCCESS);
    p.rms_factor = NAN;
    ck_assert_int_eq(muon_scale_params_validate(&p), MUON_ERANGE);
    p.rms_factor = 0.0;
    ck_assert_int_eq(muon_scale_params_validate(&p), MUON_ERANGE);
    ck_assert_str_eq(muon_scale_default()->name, "original");
    /* seed002 with a zero norm: no division by zero. */
    const muon_scale_type *S = muon_scale_type_by_name("seed002");
    muon_scale_default_params(&p);
    ck_assert_double_eq(muon_scale_factor(S, 3, 3, &p, 0.0), 0.0);
    /* The rms factor is a parameter: 0.3 * sqrt(9). */
    p.rms_factor = 0.3;
    const muon_scale_type *R = muon_scale_type_by_name("match_rms_adamw");
    ck_assert_double_eq_tol(muon_scale_factor(R, 9, 4, &p, 1.0), 0.9, 1e-15);
}
END_TEST

static Suite *
scale_suite(void)
{
    Suite *s = suite_create("scale");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    size_t ntypes = 0;
    while (muon_scale_types()[ntypes])
        ntypes++;
    tcase_add_loop_test(tc, test_factor_table, 0,
                        (int)(sizeof table / sizeof table[0]));
    tcase_add_loop_test(tc, test_every_type, 0, (int)ntypes);
    tcase_add_test(tc, test_unknown_and_params);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    SRunner *r = srunner_create(scale_suite());
    srunner_run_all(r, CK_ENV);
    int failed = srunner_ntests_failed(r), run = srunner_ntests_run(r);
    srunner_free(r);
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? 1 : 0;
}
