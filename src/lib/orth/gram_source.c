/* gram_source.c: the Gram Newton-Schulz iteration for one base type.
 * Included by gram.c with BASE, SFX, GEMM, SYRK, MIRROR, EMULATED(w). */
#define GCAT2(a, b) a##_##b
#define GCAT(a, b) GCAT2(a, b)
#define GFN(name) GCAT(name, SFX)

/* Rounds the upper triangle of the r x r S (emulated precisions only). */
static void
GFN(round_upper)(muon_precision p, BASE *S, size_t r)
{
    for (size_t i = 0; i < r; i++)
        muon_lowp_round(p, (float *)S + i * r + i, r - i);
}

static BASE *
GFN(gram_run)(muon_orth_workspace *w, BASE *X)
{
    gram_state *s = w->state;
    const muon_linalg_backend *be = w->be;
    const size_t r = w->rows, c = w->cols, rr = r * r, rc = r * c;
    BASE *R = s->R, *R2 = s->R2, *Z = s->Z, *Q = s->Q, *T = s->T;
    BASE *Xo = s->Y; /* the r x c buffer not holding X */
    const int emu = EMULATED(w);
    const muon_precision prec = w->p.precision;
    const size_t period = w->p.gram_restart;
    int have_q = 0;

    /* R = X X^T */
    be->SYRK(r, c, 1, X, c, 0, R, r);
    if (emu)
        GFN(round_upper)(prec, R, r);
    MIRROR(R, r);
    for (size_t t = 0; t < w->p.steps; t++) {
        const muon_coeff k = muon_orth_step_coeff(&w->p, t);
        const BASE a = (BASE)k.a, b = (BASE)k.b, cc = (BASE)k.c;
        const int last = t + 1 == w->p.steps;
        const int restart = period && (t + 1) % period == 0 && !last;
        /* Z = a I + b R + c R^2 (symmetric: upper triangle, mirrored). */
        if (cc != 0)
            be->SYRK(r, r, 1, R, r, 0, R2, r); /* R R^T = R^2 */
        if (emu) {
            for (size_t i = 0; i < r; i++) {
                if (cc != 0)
                    muon_lowp_round(prec, (float *)R2 + i * r + i, r - i);
                muon_lowp_comb(prec, (float)b, (float)cc,
                               (float *)R + i * r + i, (float *)R2 + i * r + i,
                               r - i);
                for (size_t j = i; j < r; j++)
                    Z[i * r + j] = R2[i * r + j];
                Z[i * r + i] = muon_round_float(prec, (float)(Z[i * r + i] +
                                                              a));
            }
        } else {
            for (size_t i = 0; i < r; i++) {
                for (size_t j = i; j < r; j++)
                    Z[i * r + j] = b * R[i * r + j] +
                                   (cc != 0 ? cc * R2[i * r + j] : 0);
                Z[i * r + i] += a;
            }
        }
        MIRROR(Z, r);
        /* Q <- Z Q (Q = I after a start or restart). */
        if (!have_q) {
            memcpy(Q, Z, rr * sizeof *Q);
            have_q = 1;
        } else {
            be->GEMM(0, 0, r, r, r, 1, Z, r, Q, r, 0, T, r);
            if (emu)
                muon_lowp_round(prec, (float *)T, rr);
            BASE *tmp = Q;
            Q = T;
            T = tmp;
        }
        if (last)
            break;
        if (restart) {
            /* X <- Q X, R <- X X^T, Q <- I: drops the error accumulated
             * in Q and R (Dao-AILab's restart). */
            be->GEMM(0, 0, r, c, r, 1, Q, r, X, c, 0, Xo, c);
            if (emu)
                muon_lowp_round(prec, (float *)Xo, rc);
            BASE *tmp = X;
            X = Xo;
            Xo = tmp;
            be->SYRK(r, c, 1, X, c, 0, R, r);
            if (emu)
                GFN(round_upper)(prec, R, r);
            MIRROR(R, r);
            have_q = 0;
            continue;
        }
        /* R <- Z R Z (symmetric in exact arithmetic: keep the upper
         * triangle so that the next R R^T is R^2). */
        be->GEMM(0, 0, r, r, r, 1, R, r, Z, r, 0, T, r);
        if (emu)
            muon_lowp_round(prec, (float *)T, rr);
        be->GEMM(0, 0, r, r, r, 1, Z, r, T, r, 0, R, r);
        if (emu)
            GFN(round_upper)(prec, R, r);
        MIRROR(R, r);
    }
    /* X <- Q X */
    if (have_q) {
        be->GEMM(0, 0, r, c, r, 1, Q, r, X, c, 0, Xo, c);
        if (emu)
            muon_lowp_round(prec, (float *)Xo, rc);
        X = Xo;
    }
    /* Keep the state's pointers (the swaps above are local). */
    return X;
}

#undef GFN
#undef GCAT
#undef GCAT2
