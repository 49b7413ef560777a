/* test-models.c: every model family: parameter table, initial loss,
 * determinism, training signal, error reporting. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "muon/model.h"
#include "muon/nn.h"
#include "muon/status.h"
#include "tol.h"

/* A spec per family, small enough for ASan, with its class count (0 for
 * regression) and learning rate for the descent test. */
static const struct {
    const char *spec;
    size_t classes;
    double lr;
} specs[] = {
    {"linear:20-6", 0, 0.3},
    {"mlp:20-16-12-5", 5, 0.5},
    {"mlp:20-16-3,act=tanh,loss=mse", 0, 0.3},
    {"cnn:input=1x8x8,channels=4-6,hidden=10,classes=5", 5, 0.5},
    {"gpt:vocab=13,seq=6,layers=2,heads=2,width=16", 13, 0.5},
    {"gpt:vocab=13,seq=6,layers=1,heads=4,width=16,tied=0", 13, 0.5},
};
#define NSPECS (sizeof specs / sizeof specs[0])
enum { BATCH = 8 };

typedef struct {
    float x[BATCH * 64], y[BATCH * 6];
    int labels[BATCH], tokens[BATCH * 6], targets[BATCH * 6];
    muon_batch b;
} batch_data;

static void
make_batch(batch_data *d, unsigned long seed, unsigned long classes)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < BATCH * 64; i++)
        d->x[i] = (float)gsl_rng_uniform(r);
    for (size_t i = 0; i < BATCH * 6; i++) {
        d->y[i] = (float)(2 * gsl_rng_uniform(r) - 1);
        d->tokens[i] = (int)gsl_rng_uniform_int(r, 13);
        d->targets[i] = (int)gsl_rng_uniform_int(r, 13);
    }
    for (size_t i = 0; i < BATCH; i++)
        d->labels[i] = (int)gsl_rng_uniform_int(r, classes ? classes : 2);
    gsl_rng_free(r);
    d->b = (muon_batch){d->x, d->labels, d->y, d->tokens, d->targets};
}

static muon_model *
make(const char *spec, unsigned long long seed)
{
    muon_model_config c;
    ck_assert_msg(muon_model_config_parse(&c, spec) == MUON_SUCCESS,
                  "%s: %s", spec, muon_last_error());
    muon_model *m = muon_model_create(&c, seed);
    ck_assert_msg(m != NULL, "%s: %s", spec, muon_last_error());
    ck_assert_int_eq(muon_model_reserve(m, BATCH), MUON_SUCCESS);
    return m;
}

/* The MLP 784-256-128-10 has 784*256+256 + 256*128+128 + 128*10+10 =
 * 235146 parameters; roles INPUT, HIDDEN, HEAD, biases BIAS. */
START_TEST(test_mlp_table)
{
    muon_model *m = make("mlp:784-256-128-10", 1);
    size_t n;
    const muon_param *p = muon_model_params(m, &n);
    ck_assert_uint_eq(muon_model_nparams(m), 235146);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(p[0].name, "fc0.weight");
    ck_assert_uint_eq(p[0].shape[0], 256);
    ck_assert_uint_eq(p[0].shape[1], 784);
    ck_assert_int_eq(p[0].role, MUON_ROLE_INPUT);
    ck_assert_int_eq(p[1].role, MUON_ROLE_BIAS);
    ck_assert_int_eq(p[2].role, MUON_ROLE_HIDDEN);
    ck_assert_int_eq(p[4].role, MUON_ROLE_HEAD);
    /* Views tile the one buffer, in order, without gaps. */
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_eq(p[i].data, muon_model_data(m) + off);
        ck_assert_ptr_eq(p[i].grad, muon_model_grad(m) + off);
        off += muon_param_count(&p[i]);
    }
    ck_assert_uint_eq(off, 235146);
    /* Kaiming-uniform bound 1/sqrt(784), zero biases. */
    for (size_t i = 0; i < muon_param_count(&p[0]); i++)
        ck_assert(fabsf(p[0].data[i]) <= 1 / sqrtf(784.f));
    for (size_t i = 0; i < 256; i++)
        ck_assert(p[1].data[i] == 0.0f);
    muon_model_free(m);
}
END_TEST

/* CNN defaults: conv1 (32,1,3,3) INPUT, conv2 (32->64) 4-D HIDDEN, fc1
 * (128, 64*7*7) HIDDEN, fc2 HEAD. */
START_TEST(test_cnn_table)
{
    muon_model *m = make("cnn", 1);
    size_t n;
    const muon_param *p = muon_model_params(m, &n);
    ck_assert_uint_eq(n, 8);
    ck_assert_uint_eq(p[0].ndim, 4);
    ck_assert_int_eq(p[0].role, MUON_ROLE_INPUT);
    ck_assert_uint_eq(p[2].ndim, 4);
    ck_assert_uint_eq(p[2].shape[0], 64);
    ck_assert_uint_eq(p[2].shape[1], 32);
    ck_assert_int_eq(p[2].role, MUON_ROLE_HIDDEN);
    ck_assert_uint_eq(p[4].shape[1], 64 * 7 * 7);
    ck_assert_int_eq(p[6].role, MUON_ROLE_HEAD);
    ck_assert_uint_eq(muon_model_nparams(m),
                      32 * 9 + 32 + 64 * 32 * 9 + 64 + 128 * 3136 + 128 +
                          10 * 128 + 10);
    muon_model_free(m);
}
END_TEST

/* GPT: 2 embeddings, 12 tensors per block, lnf; tied = no head tensor. */
START_TEST(test_gpt_table)
{
    const size_t V = 13, T = 6, C = 16, L = 2;
    muon_model *m = make("gpt:vocab=13,seq=6,layers=2,heads=2,width=16", 1);
    size_t n;
    const muon_param *p = muon_model_params(m, &n);
    ck_assert_uint_eq(n, 2 + 12 * L + 2);
    ck_assert_int_eq(p[0].role, MUON_ROLE_EMBEDDING);
    ck_assert_int_eq(p[1].role, MUON_ROLE_EMBEDDING);
    ck_assert_str_eq(p[4].name, "h.0.attn.qkv.weight");
    ck_assert_int_eq(p[2].role, MUON_ROLE_GAIN);
    ck_assert_int_eq(p[4].role, MUON_ROLE_HIDDEN);
    ck_assert_uint_eq(muon_model_nparams(m),
                      V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C);
    for (size_t i = 0; i < C; i++)
        ck_assert(p[2].data[i] == 1.0f);
    muon_model_free(m);
    m = make("gpt:vocab=13,seq=6,layers=2,heads=2,width=16,tied=0", 1);
    p = muon_model_params(m, &n);
    ck_assert_int_eq(p[n - 1].role, MUON_ROLE_HEAD);
    muon_model_free(m);
}
END_TEST

/* Fresh classifiers start near the uniform prediction: loss ~ log K (the
 * excess is ~ var(logits)/2, small at this initialisation). */
START_TEST(test_initial_loss)
{
    const size_t i = (size_t)_i;
    batch_data d;
    double L;
    if (!specs[i].classes)
        return;
    make_batch(&d, 3, specs[i].classes);
    muon_model *m = make(specs[i].spec, 5);
    ck_assert_int_eq(muon_model_forward(m, &d.b, BATCH, &L), MUON_SUCCESS);
    ck_assert_msg(fabs(L - log((double)specs[i].classes)) < 0.3,
                  "%s: initial loss %g, log K = %g", specs[i].spec, L,
                  log((double)specs[i].classes));
    size_t ok, tot;
    ck_assert_int_eq(muon_model_correct(m, &ok, &tot), MUON_SUCCESS);
    ck_assert_uint_eq(tot, BATCH * (strncmp(specs[i].spec, "gpt", 3) ? 1 : 6));
    ck_assert(ok <= tot);
    muon_model_free(m);
}
END_TEST

START_TEST(test_determinism)
{
    const size_t i = (size_t)_i;
    muon_model *a = make(specs[i].spec, 42), *b = make(specs[i].spec, 42),
               *c = make(specs[i].spec, 43);
    size_t n = muon_model_nparams(a);
    ck_assert_msg(!memcmp(muon_model_data(a), muon_model_data(b),
                          n * sizeof(float)), "%s: same seed differs",
                  specs[i].spec);
    ck_assert_msg(memcmp(muon_model_data(a), muon_model_data(c),
                         n * sizeof(float)), "%s: seeds 42 and 43 agree",
                  specs[i].spec);
    muon_model_free(a), muon_model_free(b), muon_model_free(c);
}
END_TEST

/* Plain gradient descent on one batch lowers the loss. */
START_TEST(test_descent)
{
    const size_t i = (size_t)_i;
    batch_data d;
    make_batch(&d, 9, specs[i].classes);
    muon_model *m = make(specs[i].spec, 1);
    double L0 = 0, L = 0;
    float *w = muon_model_data(m), *g = muon_model_grad(m);
    for (int step = 0; step < 10; step++) {
        ck_assert_int_eq(muon_model_forward(m, &d.b, BATCH, &L),
                         MUON_SUCCESS);
        if (!step)
            L0 = L;
        ck_assert_int_eq(muon_model_backward(m), MUON_SUCCESS);
        for (size_t k = 0; k < muon_model_nparams(m); k++)
            w[k] -= (float)specs[i].lr * g[k];
    }
    ck_assert_int_eq(muon_model_forward(m, &d.b, BATCH, &L), MUON_SUCCESS);
    ck_assert_msg(L < 0.9 * L0, "%s: loss %g -> %g after 10 steps",
                  specs[i].spec, L0, L);
    muon_model_free(m);
}
END_TEST

START_TEST(test_parse_errors)
{
    muon_model_config c;
    const struct {
        const char *spec;
        int status;
        const char *needle;
    } bad[] = {
        {"resnet", MUON_EUNKNOWN, "resnet"},
        {"mlp:784-x-10", MUON_EINVAL, "'x'"},
        {"mlp:784", MUON_EINVAL, "2.."},
        {"mlp:784-0-10", MUON_EINVAL, "got 0"},
        {"mlp:act=swish", MUON_EUNKNOWN, "relu|gelu|tanh"},
        {"mlp:vocab=3", MUON_EUNKNOWN, "vocab"},
        {"gpt:width=10,heads=4", MUON_EINVAL, "divisible"},
        {"cnn:kernel=4", MUON_EINVAL, "odd"},
        {"cnn:input=1x28", MUON_EINVAL, "CxHxW"},
        {"gpt:tied=2", MUON_EINVAL, "tied"},
        {"linear:4-3-2", MUON_EINVAL, "exactly 2"},
        {"gpt:layers", MUON_EINVAL, "key=value"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_msg(muon_model_config_parse(&c, bad[k].spec) ==
                          bad[k].status, "%s: wrong status", bad[k].spec);
        ck_assert_msg(strstr(muon_last_error(), bad[k].needle), "%s: '%s'",
                      bad[k].spec, muon_last_error());
    }
}
END_TEST

START_TEST(test_forward_errors)
{
    batch_data d;
    double L;
    make_batch(&d, 1, 5);
    muon_model_config c;
    ck_assert_int_eq(muon_model_config_parse(&c, "mlp:20-8-5"), 0);
    muon_model *m = muon_model_create(&c, 1);
    ck_assert_int_eq(muon_model_forward(m, &d.b, 2, &L), MUON_EINVAL);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "reserve"));
    ck_assert_int_eq(muon_model_backward(m), MUON_EINVAL);
    ck_assert_int_eq(muon_model_reserve(m, 0), MUON_EINVAL);
    ck_assert_int_eq(muon_model_reserve(m, 4), MUON_SUCCESS);
    ck_assert_int_eq(muon_model_forward(m, &d.b, 5, &L), MUON_EINVAL);
    d.labels[2] = 7;
    ck_assert_int_eq(muon_model_forward(m, &d.b, 4, &L), MUON_EINVAL);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "labels[2] = 7"));
    d.b.labels = NULL;
    ck_assert_int_eq(muon_model_forward(m, &d.b, 4, &L), MUON_EINVAL);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "'labels'"));
    /* A failed forward leaves nothing for backward. */
    ck_assert_int_eq(muon_model_backward(m), MUON_EINVAL);
    d.labels[2] = 1, d.b.labels = d.labels;
    d.x[0] = NAN; /* must survive the ReLU */
    ck_assert_int_eq(muon_model_forward(m, &d.b, 4, &L), MUON_ENONFINITE);
    muon_model_free(m);
    muon_model_free(NULL);

    m = make("gpt:vocab=13,seq=6,layers=1,heads=2,width=8", 1);
    d.tokens[7] = 13;
    ck_assert_int_eq(muon_model_forward(m, &d.b, 2, &L), MUON_EINVAL);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "tokens[1][1] = 13"));
    muon_model_free(m);

    m = make("linear:20-6", 1);
    d.tokens[7] = 0, d.x[0] = 0.5f;
    ck_assert_int_eq(muon_model_forward(m, &d.b, 2, &L), MUON_SUCCESS);
    size_t ok, tot;
    ck_assert_int_eq(muon_model_correct(m, &ok, &tot), MUON_EINVAL);
    muon_model_free(m);

    c.nwidths = 1;
    ck_assert_ptr_null(muon_model_create(&c, 1));
}
END_TEST

/* max |a - b| <= TOL_F32_VS_F64 max |b|: both sides are fp32 and differ
 * only in the order of their sums (and in routing a zero gradient), far
 * below the bound; a wiring error is O(1). */
static void
near_f32(const float *a, const float *b, size_t n, const char *what)
{
    double mx = 0, err = 0;
    for (size_t i = 0; i < n; i++) {
        mx = fmax(mx, fabs((double)b[i]));
        err = fmax(err, fabs((double)a[i] - (double)b[i]));
    }
    ck_assert_msg(err <= TOL_F32_VS_F64 * mx, "%s: max error %g, scale %g",
                  what, err, mx);
}

/* The ReLU CNN (channel-major inside, pooling before the activation)
 * against the textbook network built here from the NCHW layers: conv,
 * relu, pool, conv, relu, pool, fc, relu, fc, cross-entropy, and the
 * backward pass in reverse.  Two input channels and odd pooled sizes
 * (10x6 -> 5x3 -> 2x1) exercise the reorderings and the dropped rows; a
 * batch below the reserved size exercises a short chunk. */
START_TEST(test_cnn_reference)
{
    enum { B = 5, IC = 2, H = 10, W = 6, C1 = 3, C2 = 4, HID = 7, K = 5 };
    enum { H2 = H / 2, W2 = W / 2, H4 = H2 / 2, W4 = W2 / 2, F = C2 * H4 * W4 };
    muon_model *m = make("cnn:input=2x10x6,channels=3-4,hidden=7,classes=5",
                         3);
    size_t np;
    const muon_param *p = muon_model_params(m, &np);
    batch_data d;
    static float x[B * IC * H * W];
    make_batch(&d, 17, K);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 18);
    for (size_t i = 0; i < B * IC * H * W; i++) /* centred: both signs */
        x[i] = (float)(gsl_rng_uniform(r) - 0.5);
    gsl_rng_free(r);
    d.b.x = x;
    /* Non-zero biases, so that they take part in the comparison. */
    for (size_t t = 1; t < np; t += 2)
        for (size_t i = 0; i < muon_param_count(&p[t]); i++)
            p[t].data[i] = 0.1f * ((float)(i % 5) - 2);
    double L;
    ck_assert_int_eq(muon_model_forward(m, &d.b, B, &L), MUON_SUCCESS);
    ck_assert_int_eq(muon_model_backward(m), MUON_SUCCESS);
    size_t rows, cols;
    const float *out = muon_model_output(m, &rows, &cols);

    muon_conv2d_dims d1, d2;
    ck_assert_int_eq(muon_conv2d_dims_init(&d1, B, IC, H, W, C1, 3, 3, 1, 1),
                     MUON_SUCCESS);
    ck_assert_int_eq(muon_conv2d_dims_init(&d2, B, C1, H2, W2, C2, 3, 3, 1,
                                           1), MUON_SUCCESS);
    d1.NB = d2.NB = 1;
    static float c1[B * C1 * H * W], a1[B * C1 * H * W], p1[B * C1 * H2 * W2];
    static float c2[B * C2 * H2 * W2], a2[B * C2 * H2 * W2], p2[B * F];
    static float z3[B * HID], h3[B * HID], lg[B * K], pr[B * K];
    static float col[2000], g[8][4000], da[B * C1 * H * W], db[B * C1 * H * W];
    static int i1[B * C1 * H2 * W2], i2[B * F];
    ck_assert(muon_conv2d_col_size(&d1) <= 2000);
    ck_assert(muon_conv2d_col_size(&d2) <= 2000);
    for (size_t t = 0; t < np; t++)
        ck_assert(muon_param_count(&p[t]) <= 4000);
    memset(g, 0, sizeof g);
    muon_conv2d_forward_f32(c1, col, x, p[0].data, p[1].data, &d1);
    muon_relu_forward_f32(a1, c1, B * C1 * H * W);
    muon_maxpool_forward_f32(p1, i1, a1, B, C1, H, W, 2);
    muon_conv2d_forward_f32(c2, col, p1, p[2].data, p[3].data, &d2);
    muon_relu_forward_f32(a2, c2, B * C2 * H2 * W2);
    muon_maxpool_forward_f32(p2, i2, a2, B, C2, H2, W2, 2);
    muon_linear_forward_f32(z3, p2, p[4].data, p[5].data, B, F, HID);
    muon_relu_forward_f32(h3, z3, B * HID);
    muon_linear_forward_f32(lg, h3, p[6].data, p[7].data, B, HID, K);
    double L0 = muon_crossentropy_forward_f32(pr, lg, d.labels, B, K);
    muon_crossentropy_backward_f32(da, pr, d.labels, 1.0, B, K);
    muon_linear_backward_f32(db, g[6], g[7], da, h3, p[6].data, B, HID, K);
    muon_relu_backward_f32(db, db, z3, B * HID);
    muon_linear_backward_f32(da, g[4], g[5], db, p2, p[4].data, B, F, HID);
    muon_maxpool_backward_f32(db, da, i2, B, C2, H2, W2, 2);
    muon_relu_backward_f32(db, db, c2, B * C2 * H2 * W2);
    muon_conv2d_backward_f32(da, g[2], g[3], col, db, p1, p[2].data, &d2);
    muon_maxpool_backward_f32(db, da, i1, B, C1, H, W, 2);
    muon_relu_backward_f32(db, db, c1, B * C1 * H * W);
    muon_conv2d_backward_f32(NULL, g[0], g[1], col, db, x, p[0].data, &d1);

    ck_assert_uint_eq(rows, B);
    ck_assert_uint_eq(cols, K);
    ck_assert_msg(fabs(L - L0) <= TOL_F32_VS_F64 * fabs(L0),
                  "loss %.9g vs reference %.9g", L, L0);
    near_f32(out, lg, B * K, "logits");
    for (size_t t = np; t-- > 0;)
        near_f32(p[t].grad, g[t], muon_param_count(&p[t]), p[t].name);
    muon_model_free(m);
}
END_TEST

START_TEST(test_describe)
{
    char dir[] = "/tmp/test-models-XXXXXX", path[64], line[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/table.txt", dir);
    muon_model *m = make("mlp:784-256-128-10", 1);
    FILE *f = fopen(path, "w");
    ck_assert_int_eq(muon_model_describe(m, f), MUON_SUCCESS);
    fclose(f);
    f = fopen(path, "r");
    int found = 0;
    while (fgets(line, sizeof line, f))
        found += (strstr(line, "fc0.weight") && strstr(line, "256x784") &&
                  strstr(line, "input") && strstr(line, "200704")) ||
                 (strstr(line, "total") && strstr(line, "235146"));
    fclose(f);
    ck_assert_int_eq(found, 2);
    f = fopen("/dev/full", "w");
    if (f) {
        ck_assert_int_eq(muon_model_describe(m, f), MUON_EIO);
        fclose(f);
    }
    unlink(path);
    rmdir(dir);
    muon_model_free(m);
}
END_TEST

static Suite *
models_suite(void)
{
    Suite *s = suite_create("models");
    TCase *tc = tcase_create("models");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mlp_table);
    tcase_add_test(tc, test_cnn_table);
    tcase_add_test(tc, test_gpt_table);
    tcase_add_loop_test(tc, test_initial_loss, 0, NSPECS);
    tcase_add_loop_test(tc, test_determinism, 0, NSPECS);
    tcase_add_loop_test(tc, test_descent, 0, NSPECS);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_forward_errors);
    tcase_add_test(tc, test_describe);
    tcase_add_test(tc, test_cnn_reference);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    SRunner *r = srunner_create(models_suite());
    srunner_run_all(r, CK_ENV);
    int nf = srunner_ntests_failed(r), nr = srunner_ntests_run(r);
    srunner_free(r);
    printf("%d passed, %d failed\n", nr - nf, nf);
    return nf ? 1 : 0;
}
