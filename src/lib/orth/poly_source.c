/* poly_source.c: the polynomial iteration for one base type.  Included by
 * poly.c with BASE, SFX, GEMM, SYRK, MIRROR, COMB_SYM and EMULATED(w) defined. */
#define PCAT2(a, b) a##_##b
#define PCAT(a, b) PCAT2(a, b)
#define PFN(name) PCAT(name, SFX)

/* Runs p->steps iterations on X (rows x cols, rows <= cols) and returns the
 * buffer holding the result (X or the state's Y).
 *
 * Native: A = X X^T (syrk, upper), mirrored; B = A A (syrk, upper);
 * B <- b A + c B + a I on the upper triangle, mirrored; Y = B X (one gemm);
 * swap X and Y.  Emulated bf16/fp16: the same products, every stored value
 * rounded where an op-by-op evaluation of `a*X + (b*A + c*A@A)@X` rounds,
 * each rounding fused into the pass that already touches the data. */
static BASE *
PFN(poly_run)(muon_orth_workspace *w, BASE *X)
{
    poly_state *s = w->state;
    const muon_linalg_backend *be = w->be;
    const size_t r = w->rows, c = w->cols, rc = r * c;
    BASE *A = s->A, *B = s->B, *Y = s->Y;
    const int emu = EMULATED(w);
    const muon_precision prec = w->p.precision;

    for (size_t t = 0; t < w->p.steps; t++) {
        const muon_coeff k = muon_orth_step_coeff(&w->p, t);
        const BASE a = (BASE)k.a, b = (BASE)k.b, cc = (BASE)k.c;

        /* A = X X^T on the upper triangle. */
        be->SYRK(r, c, 1, X, c, 0, A, r);
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
            /* Y = B X;  X <- R(R(a X) + R(Y)). */
            be->GEMM(0, 0, r, c, r, 1, B, r, X, c, 0, Y, c);
            muon_lowp_axpy(prec, (float)a, (float *)X, (float *)Y, rc);
        } else {
            /* Fold a into the diagonal: X <- (a I + B) X, one gemm. */
            COMB_SYM(B, A, r, a, b, cc);
            be->GEMM(0, 0, r, c, r, 1, B, r, X, c, 0, Y, c);
            BASE *tmp = X;
            X = Y;
            Y = tmp;
        }
    }
    return X;
}

#undef PFN
#undef PCAT
#undef PCAT2
