/* poly_source.c: the polynomial iteration for one base type.  Included by
 * poly.c with BASE, SFX, GEMM, SYRK, MIRROR, COMB_SYM and EMULATED(w) defined. */
#define PCAT2(a, b) a##_##b
#define PCAT(a, b) PCAT2(a, b)
#define PFN(name) PCAT(name, SFX)

/* Runs p->steps iterations on s0 X0 (rows x cols, rows <= cols) and
 * returns the buffer holding the result: dst when given, else work or the
 * state's Y.  work is the workspace's own buffer of that size; X0 is work,
 * or (fp32 only) the caller's matrix with the normalisation s0 still to
 * apply, which the first step folds into its products instead of a pass
 * (syrk alpha s0^2, gemm alpha s0).  Emulated precisions take X0 = work,
 * s0 = 1 and no dst (their first rounding is the front end's).
 *
 * Native: A = X X^T (syrk, upper), mirrored; B = A A (syrk, upper);
 * B <- b A + c B + a I on the upper triangle, mirrored; Y = B X (one gemm);
 * the steps' outputs alternate between Y and work, the last one dst.
 * Emulated bf16/fp16: the same products, every stored value rounded where
 * an op-by-op evaluation of `a*X + (b*A + c*A@A)@X` rounds, each rounding
 * fused into the pass that already touches the data. */
static BASE *
PFN(poly_run)(muon_orth_workspace *w, BASE *work, const BASE *X0, double s0,
              BASE *dst)
{
    poly_state *s = w->state;
    const muon_linalg_backend *be = w->be;
    const size_t r = w->rows, c = w->cols, rc = r * c;
    BASE *A = s->A, *B = s->B, *Y = s->Y;
    const int emu = EMULATED(w);
    const muon_precision prec = w->p.precision;
    const BASE *X = X0;

    for (size_t t = 0; t < w->p.steps; t++) {
        const muon_coeff k = muon_orth_step_coeff(&w->p, t);
        const BASE a = (BASE)k.a, b = (BASE)k.b, cc = (BASE)k.c;
        const BASE sx = t ? 1 : (BASE)s0, sa = t ? 1 : (BASE)(s0 * s0);

        /* A = X X^T on the upper triangle. */
        be->SYRK(r, c, sa, X, c, 0, A, r);
        if (emu)
            for (size_t i = 0; i < r; i++)
                muon_lowp_round(prec, (float *)A + i * r + i, r - i);
        /* The next syrk reads A as a full matrix. */
        if (cc != 0)
            MIRROR(A, r);

        if (cc != 0)
            be->SYRK(r, r, 1, A, r, 0, B, r); /* A A^T = A A */
        if (emu) {
            for (size_t i = 0; i < r; i++)
                muon_lowp_comb(prec, (float)b, (float)cc,
                               (float *)A + i * r + i, (float *)B + i * r + i,
                               r - i);
            MIRROR(B, r);
            /* Y = B X;  X <- R(R(a X) + R(Y)), in place in work. */
            be->GEMM(0, 0, r, c, r, 1, B, r, work, c, 0, Y, c);
            muon_lowp_axpy(prec, (float)a, (float *)work, (float *)Y, rc);
            X = work;
        } else {
            /* Fold a into the diagonal: X <- (a I + B) X, one gemm. */
            COMB_SYM(B, A, r, a, b, cc);
            BASE *out = t + 1 == w->p.steps && dst ? dst : t % 2 ? work : Y;
            be->GEMM(0, 0, r, c, r, sx, B, r, X, c, 0, out, c);
            X = out;
        }
    }
    return (BASE *)X;
}

#undef PFN
#undef PCAT
#undef PCAT2
