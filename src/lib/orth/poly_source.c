/* poly_source.c: the polynomial iteration for one base type.  Included by
 * poly.c with BASE, SFX, GEMM, SYRK and EMULATED(w) defined. */
#define PCAT2(a, b) a##_##b
#define PCAT(a, b) PCAT2(a, b)
#define PFN(name) PCAT(name, SFX)

/* Runs p->steps iterations on X (rows x cols, rows <= cols) and returns the
 * buffer holding the result (X or the state's Y). */
static BASE *
PFN(poly_run)(muon_orth_workspace *w, BASE *X)
{
    poly_state *s = w->state;
    const muon_linalg_backend *be = w->be;
    const size_t r = w->rows, c = w->cols, rr = r * r, rc = r * c;
    BASE *A = s->A, *B = s->B, *Y = s->Y;
    const int emu = EMULATED(w);
    const muon_precision prec = w->p.precision;

    for (size_t t = 0; t < w->p.steps; t++) {
        const muon_coeff k = muon_orth_step_coeff(&w->p, t);
        const BASE a = (BASE)k.a, b = (BASE)k.b, cc = (BASE)k.c;

        /* A = X X^T, upper triangle, then mirrored: the next syrk and the
         * gemm read A and B as full matrices. */
        be->SYRK(r, c, 1, X, c, 0, A, r);
        if (emu)
            muon_round_array(prec, (float *)A, rr);
        POLY_SYMMETRIZE(BASE, A, r);

        if (cc != 0) {
            /* B = A A^T = A A (A is symmetric). */
            be->SYRK(r, r, 1, A, r, 0, B, r);
            if (emu) {
                muon_round_array(prec, (float *)B, rr);
                /* B = round(round(b A) + round(c A A)) */
                float *Bf = (float *)B, *Af = (float *)A;
                for (size_t i = 0; i < rr; i++) {
                    float u = muon_round_float(prec, (float)b * Af[i]);
                    float v = muon_round_float(prec, (float)cc * Bf[i]);
                    Bf[i] = muon_round_float(prec, u + v);
                }
            } else {
                for (size_t i = 0; i < r; i++)
                    for (size_t j = i; j < r; j++)
                        B[i * r + j] = b * A[i * r + j] + cc * B[i * r + j];
            }
        } else {
            if (emu) {
                float *Bf = (float *)B, *Af = (float *)A;
                for (size_t i = 0; i < rr; i++)
                    Bf[i] = muon_round_float(prec, (float)b * Af[i]);
            } else {
                for (size_t i = 0; i < r; i++)
                    for (size_t j = i; j < r; j++)
                        B[i * r + j] = b * A[i * r + j];
            }
        }

        if (emu) {
            /* syrk filled only B's upper triangle. */
            POLY_SYMMETRIZE(BASE, B, r);
            /* Y = round(B X);  X <- round(round(a X) + Y). */
            be->GEMM(0, 0, r, c, r, 1, B, r, X, c, 0, Y, c);
            float *Yf = (float *)Y, *Xf = (float *)X;
            for (size_t i = 0; i < rc; i++) {
                float y = muon_round_float(prec, Yf[i]);
                float ax = muon_round_float(prec, (float)a * Xf[i]);
                Xf[i] = muon_round_float(prec, ax + y);
            }
        } else {
            /* Fold a into the diagonal: X <- (a I + B) X, one gemm. */
            for (size_t i = 0; i < r; i++)
                B[i * r + i] += a;
            POLY_SYMMETRIZE(BASE, B, r);
            be->GEMM(0, 0, r, c, r, 1, B, r, X, c, 0, Y, c);
            BASE *tmp = X;
            X = Y;
            Y = tmp;
        }
    }
    (void)rc;
    return X;
}

#undef PFN
#undef PCAT
#undef PCAT2
