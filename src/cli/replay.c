/* replay.c: `muonlab replay`: runs the Muon driver over a recorded gradient
 * trace (G is T x shape, one gradient per step) from W0, writing the final
 * weights and per-step statistics.  With the defaults one step is
 * KellerJordan's SingleDeviceMuon step with the orthogonalizer in fp32.
 * --save-state / --load-state checkpoint the optimizer; a loaded state
 * continues at trace row muon_optim_calls(), so replaying rows [0, k) then
 * resuming from the saved state and W_k gives the same bits as one run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "muon/npy.h"
#include "muon/optim.h"
#include "muon/status.h"
#include "optim_opts.h"

static const char *const stat_cols[] = {
    "step", "lr", "skipped", "grad_norm", "momentum_norm", "update_rms",
    "svd", "m_min", "m_max", "m_spread", "u_min", "u_max", "u_spread",
    "polar_error"};
#define NSTAT (sizeof stat_cols / sizeof stat_cols[0])

static void
stats_row(cli_table *t, unsigned long long step, double lr, int skipped,
          const muon_optim_stats *s)
{
    cli_table_int(t, (long long)step);
    cli_table_num(t, lr);
    cli_table_int(t, skipped);
    if (skipped) {
        for (size_t k = 3; k < NSTAT; k++)
            cli_table_num(t, NAN);
        return;
    }
    cli_table_num(t, s->grad_norm);
    cli_table_num(t, s->momentum_norm);
    cli_table_num(t, s->update_rms);
    cli_table_int(t, s->svd);
    /* Rows without an SVD carry nan: the columns exist in every row so
     * the CSV stays tidy. */
    double v[] = {s->m_min, s->m_max, s->m_spread, s->u_min,
                  s->u_max, s->u_spread, s->polar_error};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
        cli_table_num(t, s->svd ? v[k] : NAN);
}

static int
write_weights(const char *path, const muon_npy_array *like, const float *w)
{
    if (like->dtype == MUON_NPY_F32)
        return muon_npy_write_f32(path, like->ndim, like->shape, w);
    double *d = malloc((like->count ? like->count : 1) * sizeof *d);
    if (!d)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    for (size_t i = 0; i < like->count; i++)
        d[i] = w[i];
    int rc = muon_npy_write_f64(path, like->ndim, like->shape, d);
    free(d);
    return rc;
}

int
cmd_replay(int argc, char **argv)
{
    const char *cmd = "replay";
    const char *wpath = NULL, *gpath = NULL, *out = NULL, *stats = NULL;
    const char *load = NULL, *save = NULL;
    size_t stop = 0;
    optim_cli oc;
    optim_cli_init(&oc);
    cli_opt opts[] = {
        {"param", CLI_STRING, &wpath, "W0.npy", "initial weights (required)",
         1, 0, 0},
        {"grads", CLI_STRING, &gpath, "G.npy",
         "gradient trace, T x shape (required)", 1, 0, 0},
        {"out", CLI_STRING, &out, "W.npy", "final weights", 1, 0, 0},
        {"stats", CLI_STRING, &stats, "stats.csv", "per-step statistics", 1,
         0, 0},
        {"load-state", CLI_STRING, &load, "CKPT",
         "resume from an optimizer checkpoint (W0 = the weights it goes with)",
         1, 0, 0},
        {"save-state", CLI_STRING, &save, "CKPT",
         "save the optimizer state at the end", 1, 0, 0},
        {"stop", CLI_SIZE, &stop, "N", "stop after trace row N-1 (default T)",
         1, 0, 0},
        OPTIM_CLI_OPTS(&oc),
        {0},
    };
    int rc = cli_parse(cmd, "--param W0.npy --grads G.npy [--out W.npy] "
                       "[--stats stats.csv] [OPTIONS]", argc, argv, opts,
                       NULL, 0, NULL);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (!wpath || !gpath)
        return cli_usage_error(cmd, "--param and --grads are required");

    muon_npy_array W0, G;
    memset(&G, 0, sizeof G);
    float *w = NULL, *g = NULL, *gall = NULL;
    muon_optim *o = NULL;
    cli_table *tab = NULL;
    int status = MUON_SUCCESS, exitc = CLI_EXIT_OK;
    if ((status = muon_npy_read(wpath, &W0)) ||
        (status = muon_npy_read(gpath, &G)))
        goto done;
    if (G.ndim != W0.ndim + 1) {
        char a[96], b[96];
        status = MUON_ERROR(MUON_EBADLEN, "%s: shape %s is not T x %s (the "
                            "shape of %s)", gpath,
                            muon_npy_shape_str(&G, a, sizeof a),
                            muon_npy_shape_str(&W0, b, sizeof b), wpath);
        goto done;
    }
    for (size_t d = 0; d < W0.ndim; d++)
        if (G.shape[d + 1] != W0.shape[d]) {
            char a[96], b[96];
            status = MUON_ERROR(MUON_EBADLEN, "%s: shape %s does not match "
                                "T x %s (%s): dimension %zu is %zu, expected "
                                "%zu", gpath,
                                muon_npy_shape_str(&G, a, sizeof a),
                                muon_npy_shape_str(&W0, b, sizeof b), wpath,
                                d + 1, G.shape[d + 1], W0.shape[d]);
            goto done;
        }
    size_t T = G.shape[0], count = W0.count;
    if (!stop)
        stop = T;
    if (stop > T) {
        exitc = cli_usage_error(cmd, "--stop %zu exceeds the trace length %zu",
                                stop, T);
        goto done;
    }
    muon_optim_config cfg;
    muon_schedule ls, as;
    if ((exitc = optim_cli_config(cmd, &oc, T, &cfg, &ls, &as)))
        goto done;
    if ((status = muon_npy_to_f32(&W0, &w)) ||
        (status = muon_npy_to_f32(&G, &gall)))
        goto done;
    g = malloc((count ? count : 1) * sizeof *g);
    if (!g) {
        status = MUON_ERROR(MUON_ENOMEM, "out of memory");
        goto done;
    }
    muon_param p = {"param", w, g, W0.ndim, {0}, MUON_ROLE_HIDDEN};
    memcpy(p.shape, W0.shape, W0.ndim * sizeof *p.shape);
    if (!(o = muon_optim_alloc(&cfg, &p, 1, NULL))) {
        status = MUON_EINVAL;
        goto done;
    }
    if (load && (status = muon_optim_load(o, load)))
        goto done;
    size_t start = (size_t)muon_optim_calls(o);
    if (start > stop) {
        exitc = cli_usage_error(cmd, "the state in %s has %zu steps, beyond "
                                "--stop %zu", load, start, stop);
        goto done;
    }
    if (stats && !(tab = cli_table_new(stat_cols, NSTAT))) {
        status = MUON_ERROR(MUON_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t t = start; t < stop; t++) {
        memcpy(g, gall + t * count, count * sizeof *g);
        double lr = muon_schedule_lr(&ls, t), lra = muon_schedule_lr(&as, t);
        if ((status = muon_optim_step(o, lr, lra)))
            goto done;
        int skipped = muon_optim_last_skipped(o);
        if (skipped)
            fprintf(stderr, "muonlab replay: warning: %s\n",
                    muon_optim_warning(o));
        if (tab) {
            muon_optim_stats st;
            muon_optim_param_stats(o, 0, &st);
            stats_row(tab, (unsigned long long)t, muon_optim_is_muon(o, 0)
                      ? lr : lra, skipped, &st);
        }
    }
    if (muon_optim_skipped(o))
        fprintf(stderr, "muonlab replay: %llu of %zu steps skipped for "
                "non-finite gradients\n",
                (unsigned long long)muon_optim_skipped(o), stop - start);
    if (out && (status = write_weights(out, &W0, w)))
        goto done;
    if (tab && (status = cli_table_save(tab, stats, CLI_CSV)))
        goto done;
    if (save && (status = muon_optim_save(o, save)))
        goto done;
done:
    if (status)
        exitc = cli_fail(cmd, status);
    cli_table_free(tab);
    muon_optim_free(o);
    free(w);
    free(g);
    free(gall);
    muon_npy_array_free(&W0);
    muon_npy_array_free(&G);
    return exitc;
}
