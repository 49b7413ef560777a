/* test-checkpoint.c: the checkpoint container (format in muon/checkpoint.h)
 * and the optimizer's save / load / resume on top of it: round trip,
 * bit-identical resume, and refusal of truncated, corrupted, foreign and
 * mismatched files with the right code. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "muon/checkpoint.h"
#include "muon/optim.h"
#include "muon/status.h"

static char tmpdir[] = "/tmp/muon-test-ckpt-XXXXXX";

static const char *
path_of(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len);
    ck_assert_uint_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void
spit(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static const double payload[3] = {1.5, -2.25, 1e-300};
static const char text[] = "hello";

static void
write_sample(const char *path)
{
    muon_ckpt_section s[3] = {{"a", payload, sizeof payload},
                              {"text", text, 5},
                              {"empty", NULL, 0}};
    ck_assert_int_eq(muon_ckpt_write(path, s, 3), MUON_SUCCESS);
}

START_TEST(test_roundtrip)
{
    const char *p = path_of("rt.ckpt");
    write_sample(p);
    muon_ckpt *c;
    ck_assert_int_eq(muon_ckpt_read(p, &c), MUON_SUCCESS);
    ck_assert_uint_eq(muon_ckpt_count(c), 3);
    ck_assert_str_eq(muon_ckpt_name(c, 1), "text");
    double back[3];
    ck_assert_int_eq(muon_ckpt_get(c, "a", back, sizeof back), MUON_SUCCESS);
    ck_assert_int_eq(memcmp(back, payload, sizeof back), 0);
    ck_assert_int_eq(muon_ckpt_get(c, "a", back, 8), MUON_EBADLEN);
    ck_assert_int_eq(muon_ckpt_get(c, "nope", back, 8), MUON_EFORMAT);
    const void *d;
    size_t n;
    ck_assert_int_eq(muon_ckpt_find(c, "empty", &d, &n), MUON_SUCCESS);
    ck_assert_uint_eq(n, 0);
    muon_ckpt_free(c);
    muon_ckpt_free(NULL);
    /* Size of the file = 40 + 3*80 + 24 + 5 (format in the header). */
    size_t len;
    free(slurp(p, &len));
    ck_assert_uint_eq(len, 40 + 3 * 80 + 24 + 5);
}
END_TEST

START_TEST(test_write_errors)
{
    muon_ckpt_section dup[2] = {{"x", text, 1}, {"x", text, 1}};
    ck_assert_int_eq(muon_ckpt_write(path_of("d.ckpt"), dup, 2), MUON_EINVAL);
    char longname[80];
    memset(longname, 'n', sizeof longname - 1);
    longname[79] = 0;
    muon_ckpt_section lg = {longname, text, 1};
    ck_assert_int_eq(muon_ckpt_write(path_of("l.ckpt"), &lg, 1), MUON_EINVAL);
    muon_ckpt_section ok = {"x", text, 1};
    ck_assert_int_eq(muon_ckpt_write("/nonexistent-dir/x.ckpt", &ok, 1),
                     MUON_EIO);
    muon_ckpt *c;
    ck_assert_int_eq(muon_ckpt_read(path_of("missing.ckpt"), &c), MUON_EIO);
    ck_assert_ptr_null(c);
}
END_TEST

/* Every truncation length is refused, with EFORMAT (never a crash or a
 * silent partial load). */
START_TEST(test_truncated)
{
    const char *p = path_of("t.ckpt"), *q = path_of("t2.ckpt");
    write_sample(p);
    size_t len;
    unsigned char *b = slurp(p, &len);
    for (size_t cut = 0; cut < len; cut++) {
        spit(q, b, cut);
        muon_ckpt *c;
        int rc = muon_ckpt_read(q, &c);
        ck_assert_msg(rc == MUON_EFORMAT, "truncated at %zu of %zu: rc %d (%s)",
                      cut, len, rc, muon_last_error());
    }
    free(b);
}
END_TEST

/* Flipping any single byte is refused: header fields by their own checks or
 * the header CRC, payload bytes by the section CRC. */
START_TEST(test_corrupted)
{
    const char *p = path_of("c.ckpt"), *q = path_of("c2.ckpt");
    write_sample(p);
    size_t len;
    unsigned char *b = slurp(p, &len);
    for (size_t i = 0; i < len; i++) {
        if (i >= 36 && i < 40)
            continue; /* reserved padding, documented as ignored */
        b[i] ^= 0x20;
        spit(q, b, len);
        b[i] ^= 0x20;
        muon_ckpt *c;
        int rc = muon_ckpt_read(q, &c);
        ck_assert_msg(rc == MUON_EFORMAT || rc == MUON_ECORRUPT,
                      "byte %zu flipped: rc %d", i, rc);
        if (i >= 40 + 3 * 80)
            ck_assert_msg(rc == MUON_ECORRUPT &&
                          strstr(muon_last_error(), "section"),
                          "payload byte %zu: %s", i, muon_last_error());
    }
    /* Specific messages for magic and version. */
    b[0] = 'X';
    spit(q, b, len);
    muon_ckpt *c;
    ck_assert_int_eq(muon_ckpt_read(q, &c), MUON_EFORMAT);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "bad magic"));
    b[0] = 'M';
    b[8] = 2;
    spit(q, b, len);
    ck_assert_int_eq(muon_ckpt_read(q, &c), MUON_EFORMAT);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "version"));
    b[8] = 1;
    b[12] ^= 0xff;
    spit(q, b, len);
    ck_assert_int_eq(muon_ckpt_read(q, &c), MUON_EFORMAT);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "endianness"));
    free(b);
}
END_TEST

/* ---- optimizer state ---------------------------------------------------- */

#define NP 3
typedef struct {
    float w1[12], g1[12], w2[12], g2[12], b[4], gb[4];
    muon_param p[NP];
} model;

static void
model_init(model *m)
{
    for (int i = 0; i < 12; i++) {
        m->w1[i] = (float)(0.1 * sin(0.7 * i + 0.1));
        m->w2[i] = (float)(0.1 * cos(0.9 * i + 0.2));
    }
    for (int i = 0; i < 4; i++)
        m->b[i] = (float)(0.01 * i);
    muon_param p[NP] = {
        {"w1", m->w1, m->g1, 2, {3, 4}, MUON_ROLE_HIDDEN},
        {"w2", m->w2, m->g2, 2, {3, 4}, MUON_ROLE_HIDDEN},
        {"b", m->b, m->gb, 1, {4}, MUON_ROLE_BIAS},
    };
    memcpy(m->p, p, sizeof p);
}

static void
grads(model *m, int t)
{
    for (int i = 0; i < 12; i++) {
        m->g1[i] = (float)sin(1.3 * i + 0.77 * t);
        m->g2[i] = (float)cos(0.37 * i * i + 1.1 * t);
    }
    for (int i = 0; i < 4; i++)
        m->gb[i] = (float)sin(2.1 * i - 0.5 * t);
}

static muon_optim_config
cfg_all(void)
{
    muon_optim_config c;
    muon_optim_default_config(&c);
    /* Every state buffer present: MARS, NorMuon, AdamW moments. */
    c.mars_gamma = 0.025;
    c.normuon = 1;
    c.wd = 0.01;
    c.aux_wd = 0.01;
    return c;
}

START_TEST(test_resume_bit_identical)
{
    muon_optim_config c = cfg_all();
    model a, b;
    model_init(&a);
    model_init(&b);
    muon_optim *oa = muon_optim_alloc(&c, a.p, NP, NULL);
    muon_optim *ob = muon_optim_alloc(&c, b.p, NP, NULL);
    ck_assert_ptr_nonnull(oa);
    for (int t = 0; t < 6; t++) {
        grads(&a, t);
        ck_assert_int_eq(muon_optim_step(oa, 0.02, 3e-4), MUON_SUCCESS);
        if (t < 3) {
            grads(&b, t);
            ck_assert_int_eq(muon_optim_step(ob, 0.02, 3e-4), MUON_SUCCESS);
        }
    }
    const char *p = path_of("opt.ckpt");
    ck_assert_int_eq(muon_optim_save(ob, p), MUON_SUCCESS);
    muon_optim_free(ob);
    /* A fresh optimizer (same config, same weights) resumes. */
    ob = muon_optim_alloc(&c, b.p, NP, NULL);
    ck_assert_int_eq(muon_optim_load(ob, p), MUON_SUCCESS);
    ck_assert_uint_eq(muon_optim_steps(ob), 3);
    for (int t = 3; t < 6; t++) {
        grads(&b, t);
        ck_assert_int_eq(muon_optim_step(ob, 0.02, 3e-4), MUON_SUCCESS);
    }
    ck_assert_int_eq(memcmp(a.w1, b.w1, sizeof a.w1), 0);
    ck_assert_int_eq(memcmp(a.w2, b.w2, sizeof a.w2), 0);
    ck_assert_int_eq(memcmp(a.b, b.b, sizeof a.b), 0);
    ck_assert_int_eq(memcmp(muon_optim_momentum(oa, 0),
                            muon_optim_momentum(ob, 0), sizeof a.w1), 0);
    muon_optim_free(oa);
    muon_optim_free(ob);
}
END_TEST

START_TEST(test_refuse_mismatch)
{
    muon_optim_config c = cfg_all();
    model a;
    model_init(&a);
    muon_optim *o = muon_optim_alloc(&c, a.p, NP, NULL);
    grads(&a, 0);
    muon_optim_step(o, 0.02, 3e-4);
    const char *p = path_of("mm.ckpt");
    ck_assert_int_eq(muon_optim_save(o, p), MUON_SUCCESS);
    uint64_t steps = muon_optim_steps(o);

    /* Different shape: refused naming the parameter lines. */
    model b;
    model_init(&b);
    b.p[1].shape[0] = 4;
    b.p[1].shape[1] = 3;
    muon_optim *ob = muon_optim_alloc(&c, b.p, NP, NULL);
    ck_assert_int_eq(muon_optim_load(ob, p), MUON_EBADLEN);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "w2"));
    ck_assert_uint_eq(muon_optim_steps(ob), 0); /* unchanged */
    muon_optim_free(ob);

    /* Different configuration: refused naming the line. */
    muon_optim_config c2 = c;
    c2.momentum = 0.9;
    ob = muon_optim_alloc(&c2, a.p, NP, NULL);
    ck_assert_int_eq(muon_optim_load(ob, p), MUON_EINVAL);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "momentum = 0.9"));
    muon_optim_free(ob);

    /* Different coefficient schedule (hash) under the same method name. */
    c2 = c;
    c2.orth_params.coeffs[0].a += 1e-12;
    ob = muon_optim_alloc(&c2, a.p, NP, NULL);
    ck_assert_int_eq(muon_optim_load(ob, p), MUON_EINVAL);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "coeffs_crc32"));
    muon_optim_free(ob);

    /* A corrupted state file is refused by the container. */
    size_t len;
    unsigned char *bytes = slurp(p, &len);
    bytes[len - 3] ^= 1;
    spit(path_of("bad.ckpt"), bytes, len);
    free(bytes);
    ck_assert_int_eq(muon_optim_load(o, path_of("bad.ckpt")), MUON_ECORRUPT);
    ck_assert_uint_eq(muon_optim_steps(o), steps);

    /* Sections: too small a buffer is reported. */
    muon_ckpt_section sec[2];
    size_t n;
    ck_assert_int_eq(muon_optim_ckpt_sections(o, sec, 2, &n), MUON_EBADLEN);
    ck_assert_uint_gt(n, 2);
    muon_optim_free(o);
}
END_TEST

static Suite *
ckpt_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_write_errors);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_corrupted);
    tcase_add_test(tc, test_resume_bit_identical);
    tcase_add_test(tc, test_refuse_mismatch);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 99;
    }
    SRunner *r = srunner_create(ckpt_suite());
    srunner_run_all(r, CK_ENV);
    int failed = srunner_ntests_failed(r), run = srunner_ntests_run(r);
    srunner_free(r);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? 1 : 0;
}
