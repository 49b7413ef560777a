/* layers_source.c: every layer's forward and backward, written once for one
 * base type.  Included by layers.c with BASE (float or double), FUNCTION(n)
 * (n_f32 / n_f64) and GEMM (cblas_sgemm / cblas_dgemm) defined; <tgmath.h>
 * picks expf/exp etc. from the argument type.  Contracts are in muon/nn.h. */

/* ---- linear ------------------------------------------------------------ */

void
FUNCTION(muon_linear_forward)(BASE *out /* (N,OC) */,
                              const BASE *inp /* (N,C) */,
                              const BASE *weight /* (OC,C) */,
                              const BASE *bias /* (OC) or NULL */, size_t N,
                              size_t C, size_t OC)
{
    /* Seeding out with the bias lets the gemm add the product (beta = 1)
     * instead of a second pass over out. */
    BASE beta = 0;
    if (bias) {
        for (size_t n = 0; n < N; n++)
            memcpy(out + n * OC, bias, OC * sizeof *out);
        beta = 1;
    }
    GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)OC, (int)C, 1,
         inp, (int)C, weight, (int)C, beta, out, (int)OC);
}

void
FUNCTION(muon_linear_backward)(BASE *dinp /* (N,C) or NULL */,
                               BASE *dweight /* (OC,C) */,
                               BASE *dbias /* (OC) or NULL */,
                               const BASE *dout /* (N,OC) */,
                               const BASE *inp /* (N,C) */,
                               const BASE *weight /* (OC,C) */, size_t N,
                               size_t C, size_t OC)
{
    if (dinp) /* dinp = dout weight */
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)C,
             (int)OC, 1, dout, (int)OC, weight, (int)C, 0, dinp, (int)C);
    /* dweight += dout^T inp */
    GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)OC, (int)C, (int)N, 1,
         dout, (int)OC, inp, (int)C, 1, dweight, (int)C);
    if (dbias)
        for (size_t n = 0; n < N; n++) {
            const BASE *row = dout + n * OC;
            for (size_t o = 0; o < OC; o++)
                dbias[o] += row[o];
        }
}

/* ---- elementwise activations --------------------------------------------- */

void
FUNCTION(muon_relu_forward)(BASE *out /* (n) */, const BASE *inp /* (n) */,
                            size_t n)
{
    /* Written so that NaN propagates (NaN < 0 is false), as in PyTorch:
     * `inp > 0 ? inp : 0` would silently turn a NaN into 0.  Blocks of 8
     * through a local copy vectorise at -O2 (a compare and a mask, no
     * branch to mispredict) and allow out == inp. */
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        BASE t[8];
        for (size_t j = 0; j < 8; j++)
            t[j] = inp[i + j];
        for (size_t j = 0; j < 8; j++)
            out[i + j] = t[j] < 0 ? 0 : t[j];
    }
    for (; i < n; i++)
        out[i] = inp[i] < 0 ? 0 : inp[i];
}

void
FUNCTION(muon_relu_backward)(BASE *dinp /* (n) */, const BASE *dout /* (n) */,
                             const BASE *inp /* (n) */, size_t n)
{
    /* The derivative at exactly 0 is taken as 0 (PyTorch's choice).
     * Blocked like the forward pass; dinp == dout is allowed. */
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        BASE t[8], g[8];
        for (size_t j = 0; j < 8; j++)
            t[j] = inp[i + j], g[j] = dout[i + j];
        for (size_t j = 0; j < 8; j++)
            dinp[i + j] = t[j] > 0 ? g[j] : 0;
    }
    for (; i < n; i++)
        dinp[i] = inp[i] > 0 ? dout[i] : 0;
}

/* sqrt(2/pi) and the cubic coefficient of GPT-2's tanh approximation. */
#define GELU_S ((BASE)0.7978845608028654)
#define GELU_A ((BASE)0.044715)

void
FUNCTION(muon_gelu_forward)(BASE *out /* (n) */, const BASE *inp /* (n) */,
                            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        BASE x = inp[i];
        BASE t = tanh(GELU_S * (x + GELU_A * x * x * x));
        out[i] = (BASE)0.5 * x * (1 + t);
    }
}

void
FUNCTION(muon_gelu_backward)(BASE *dinp /* (n) */, const BASE *dout /* (n) */,
                             const BASE *inp /* (n) */, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        BASE x = inp[i];
        BASE t = tanh(GELU_S * (x + GELU_A * x * x * x));
        /* d/dx [x (1 + t(x)) / 2] with t' = (1 - t^2) s (1 + 3 a x^2). */
        BASE dt = (1 - t * t) * GELU_S * (1 + 3 * GELU_A * x * x);
        dinp[i] = dout[i] * (BASE)0.5 * ((1 + t) + x * dt);
    }
}

void
FUNCTION(muon_tanh_forward)(BASE *out /* (n) */, const BASE *inp /* (n) */,
                            size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tanh(inp[i]);
}

void
FUNCTION(muon_tanh_backward)(BASE *dinp /* (n) */, const BASE *dout /* (n) */,
                             const BASE *out /* (n), forward output */,
                             size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * (1 - out[i] * out[i]);
}

/* ---- conv2d (im2col + gemm) --------------------------------------------- */

/* Output columns [lo, hi) of filter tap kw whose input column
 * iw = ow * stride + kw - pad lies inside the image; the others read the
 * zero padding.  Computing the range once per tap keeps the inner loops
 * free of bounds tests (a plain copy when stride = 1). */
static void
FUNCTION(tap_range)(size_t *lo, size_t *hi, size_t kw, size_t n_in,
                    size_t n_out, const muon_conv2d_dims *d)
{
    const long s = (long)d->stride, k = (long)kw, p = (long)d->pad;
    long a = p > k ? (p - k + s - 1) / s : 0;      /* first iw >= 0 */
    long b = ((long)n_in + p - k + s - 1) / s;      /* first iw >= n_in */
    b = b < 0 ? 0 : b > (long)n_out ? (long)n_out : b;
    a = a > b ? b : a;
    *lo = (size_t)a, *hi = (size_t)b;
}

/* Rows [a, b) of tap kh whose input row ih = oh * stride + kh - pad lies
 * inside the image. */
static void
FUNCTION(tap_rows)(size_t *a, size_t *b, size_t kh, const muon_conv2d_dims *d)
{
    /* Same arithmetic as the columns, with the roles of H and W. */
    const long s = (long)d->stride, k = (long)kh, p = (long)d->pad;
    long lo = p > k ? (p - k + s - 1) / s : 0;
    long hi = ((long)d->H + p - k + s - 1) / s;
    hi = hi < 0 ? 0 : hi > (long)d->OH ? (long)d->OH : hi;
    lo = lo > hi ? hi : lo;
    *a = (size_t)lo, *b = (size_t)hi;
}

/* With stride 1 and OW == W (a "same" convolution) the column row of tap
 * (kh, kw) is the image plane shifted by delta = (kh-pad) W + (kw-pad) in
 * flat (oh*OW + ow) order: valid entries f in [f0, f1) read plane[f +
 * delta], and the only other entries inside that range are the lo + (W -
 * hi) padding columns at each row boundary.  This returns the range (f0 ==
 * f1 when the tap sees no pixel). */
static int
FUNCTION(tap_flat)(size_t *f0, size_t *f1, size_t *lo, size_t *hi,
                   size_t kh, size_t kw, const muon_conv2d_dims *d)
{
    size_t a, b;
    FUNCTION(tap_rows)(&a, &b, kh, d);
    FUNCTION(tap_range)(lo, hi, kw, d->W, d->OW, d);
    if (a == b || *lo == *hi) {
        *f0 = *f1 = 0;
        return 0;
    }
    *f0 = a * d->OW + *lo;
    *f1 = (b - 1) * d->OW + *hi;
    return 1;
}

/* Whether the flat shortcut of tap_flat applies. */
static int
FUNCTION(conv_is_flat)(const muon_conv2d_dims *d)
{
    return d->stride == 1 && d->OW == d->W;
}

/* Distance between the planes of consecutive images (is) and of
 * consecutive channels (cs) for the layout d->cnhw; `B` is the whole
 * batch, so both layouts are addressed as plane (b, c) = b is + c cs. */
static void
FUNCTION(conv_strides)(size_t *is, size_t *cs, size_t C, size_t HW,
                       const muon_conv2d_dims *d)
{
    *is = d->cnhw ? HW : C * HW;
    *cs = d->cnhw ? d->B * HW : HW;
}

/* x (n) = v, in blocks of 8 (vectorised at -O2). */
static void
FUNCTION(fill)(BASE *x, BASE v, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            x[i + j] = v;
    for (; i < n; i++)
        x[i] = v;
}

/* Zeroes the padding entries inside the valid flat range [f0, f1) of a
 * column row r of one image: the lo + (W - hi) entries at each row
 * boundary (see tap_flat). */
static void
FUNCTION(zero_pad_inner)(BASE *r, size_t f0, size_t f1, size_t lo,
                         size_t hi, size_t W)
{
    const size_t nz = lo + (W - hi); /* per boundary, from W - hi before */
    if (nz == 1) /* the common case (pad 1): a store, not a memset call */
        for (size_t e = f0 - lo + W; e < f1; e += W)
            r[e - (W - hi)] = 0;
    else if (nz > 1)
        for (size_t e = f0 - lo + W; e < f1; e += W)
            for (size_t q = e - (W - hi); q < e + lo; q++)
                r[q] = 0;
}

/* Zeroes every padding entry of a column row r (P values) of one image:
 * outside [f0, f1) and inside it. */
static void
FUNCTION(zero_pad_flat)(BASE *r, size_t f0, size_t f1, size_t lo, size_t hi,
                        size_t P, size_t W)
{
    /* Short runs: an inline loop beats a call to memset. */
    FUNCTION(fill)(r, 0, f0);
    FUNCTION(fill)(r + f1, 0, P - f1);
    FUNCTION(zero_pad_inner)(r, f0, f1, lo, hi, W);
}

/* col (C*KH*KW, nb*P), P = OH*OW: row (c, kh, kw) holds, for every output
 * position of the nb images side by side, the input value under that
 * filter tap (0 in the padding), so that the convolution of the nb images
 * is the single product weight (OC, C*KH*KW) col.  img points at plane
 * (0, 0) of the chunk. */
static void
FUNCTION(im2col)(BASE *col, const BASE *img, size_t nb,
                 const muon_conv2d_dims *d)
{
    const size_t P = d->OH * d->OW, NP = nb * P, st = d->stride;
    const size_t HW = d->H * d->W, W = d->W;
    size_t is, cs;
    FUNCTION(conv_strides)(&is, &cs, d->C, HW, d);
    if (FUNCTION(conv_is_flat)(d)) {
        /* One copy per (tap, image) plus the padding entries, instead of a
         * short copy per output row. */
        for (size_t c = 0; c < d->C; c++)
            for (size_t kh = 0; kh < d->KH; kh++)
                for (size_t kw = 0; kw < d->KW; kw++) {
                    BASE *row = col + ((c * d->KH + kh) * d->KW + kw) * NP;
                    size_t f0, f1, lo, hi;
                    FUNCTION(tap_flat)(&f0, &f1, &lo, &hi, kh, kw, d);
                    for (size_t j = 0; j < nb; j++) {
                        BASE *r = row + j * P;
                        /* plane + delta + f0 >= plane: f0 is valid. */
                        const BASE *src = img + j * is + c * cs +
                                          (f0 + kh * W + kw) -
                                          d->pad * (W + 1);
                        memcpy(r + f0, src, (f1 - f0) * sizeof *r);
                        FUNCTION(zero_pad_flat)(r, f0, f1, lo, hi, P, W);
                    }
                }
        return;
    }
    for (size_t c = 0; c < d->C; c++)
        for (size_t kh = 0; kh < d->KH; kh++)
            for (size_t kw = 0; kw < d->KW; kw++) {
                BASE *row = col + ((c * d->KH + kh) * d->KW + kw) * NP;
                size_t lo, hi;
                FUNCTION(tap_range)(&lo, &hi, kw, d->W, d->OW, d);
                for (size_t j = 0; j < nb; j++)
                    for (size_t oh = 0; oh < d->OH; oh++) {
                        /* Signed: the window may start in the padding. */
                        long ih = (long)(oh * st + kh) - (long)d->pad;
                        BASE *r = row + j * P + oh * d->OW;
                        if (ih < 0 || ih >= (long)d->H || lo == hi) {
                            memset(r, 0, d->OW * sizeof *r);
                            continue;
                        }
                        const BASE *src = img + j * is + c * cs +
                                          (size_t)ih * W + lo * st + kw -
                                          d->pad;
                        memset(r, 0, lo * sizeof *r);
                        if (st == 1)
                            memcpy(r + lo, src, (hi - lo) * sizeof *r);
                        else
                            for (size_t ow = lo; ow < hi; ow++)
                                r[ow] = src[(ow - lo) * st];
                        memset(r + hi, 0, (d->OW - hi) * sizeof *r);
                    }
            }
}

/* Adds n values of src into dst, in blocks of 8 that the compiler turns
 * into vector instructions even at -O2 (the copy into t orders every
 * load before every store, so no aliasing question arises). */
static void
FUNCTION(add_into)(BASE *dst, const BASE *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        BASE t[8];
        for (size_t j = 0; j < 8; j++)
            t[j] = src[i + j];
        for (size_t j = 0; j < 8; j++)
            dst[i + j] += t[j];
    }
    for (; i < n; i++)
        dst[i] += src[i];
}

/* Sum of n values, with 8 partial sums (vectorisable; the order of the
 * additions differs from a left-to-right sum by rounding only). */
static BASE
FUNCTION(sum)(const BASE *x, size_t n)
{
    BASE acc[8] = {0}, s = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            acc[j] += x[i + j];
    for (; i < n; i++)
        s += x[i];
    return s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
           ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* The adjoint of im2col: the chunk's planes of img = 0, then every column
 * entry is added back to the input pixel it was copied from.  Clobbers
 * the padding entries of col. */
static void
FUNCTION(col2im)(BASE *img, BASE *col, size_t nb, const muon_conv2d_dims *d)
{
    const size_t P = d->OH * d->OW, NP = nb * P, st = d->stride;
    const size_t HW = d->H * d->W, W = d->W;
    size_t is, cs;
    FUNCTION(conv_strides)(&is, &cs, d->C, HW, d);
    if (d->cnhw)
        for (size_t c = 0; c < d->C; c++)
            memset(img + c * cs, 0, nb * HW * sizeof *img);
    else
        memset(img, 0, nb * d->C * HW * sizeof *img);
    if (FUNCTION(conv_is_flat)(d)) {
        /* The flat shift of im2col, read backwards.  `col` is scratch:
         * zeroing its padding entries first makes each (tap, image) one
         * long vectorised addition. */
        for (size_t c = 0; c < d->C; c++)
            for (size_t kh = 0; kh < d->KH; kh++)
                for (size_t kw = 0; kw < d->KW; kw++) {
                    BASE *row = col + ((c * d->KH + kh) * d->KW + kw) * NP;
                    size_t f0, f1, lo, hi;
                    if (!FUNCTION(tap_flat)(&f0, &f1, &lo, &hi, kh, kw, d))
                        continue;
                    for (size_t j = 0; j < nb; j++) {
                        BASE *r = row + j * P;
                        BASE *dst = img + j * is + c * cs +
                                    (f0 + kh * W + kw) - d->pad * (W + 1);
                        /* Only [f0, f1) is read back. */
                        FUNCTION(zero_pad_inner)(r, f0, f1, lo, hi, W);
                        FUNCTION(add_into)(dst, r + f0, f1 - f0);
                    }
                }
        return;
    }
    for (size_t c = 0; c < d->C; c++)
        for (size_t kh = 0; kh < d->KH; kh++)
            for (size_t kw = 0; kw < d->KW; kw++) {
                const BASE *row = col + ((c * d->KH + kh) * d->KW + kw) * NP;
                size_t lo, hi;
                FUNCTION(tap_range)(&lo, &hi, kw, d->W, d->OW, d);
                if (lo == hi)
                    continue;
                for (size_t j = 0; j < nb; j++)
                    for (size_t oh = 0; oh < d->OH; oh++) {
                        long ih = (long)(oh * st + kh) - (long)d->pad;
                        if (ih < 0 || ih >= (long)d->H)
                            continue;
                        BASE *dst = img + j * is + c * cs +
                                    (size_t)ih * W + lo * st + kw - d->pad;
                        const BASE *r = row + j * P + oh * d->OW;
                        if (st == 1)
                            FUNCTION(add_into)(dst, r + lo, hi - lo);
                        else
                            for (size_t ow = lo; ow < hi; ow++)
                                dst[(ow - lo) * st] += r[ow];
                    }
            }
}

void
FUNCTION(muon_conv2d_forward)(BASE *out /* (B,OC,OH,OW) */,
                              BASE *col /* muon_conv2d_col_size(d) */,
                              const BASE *inp /* (B,C,H,W) */,
                              const BASE *weight /* (OC,C,KH,KW) */,
                              const BASE *bias /* (OC) or NULL */,
                              const muon_conv2d_dims *d)
{
    const size_t P = d->OH * d->OW, K = d->C * d->KH * d->KW;
    const size_t NB = d->NB ? d->NB : 1, HW = d->H * d->W;
    size_t is, cs, os, ocs;
    FUNCTION(conv_strides)(&is, &cs, d->C, HW, d);
    FUNCTION(conv_strides)(&os, &ocs, d->OC, P, d);
    /* (OC, nb*P): the product of an NCHW chunk, behind its columns. */
    BASE *prod = col + K * NB * P;
    for (size_t b0 = 0; b0 < d->B; b0 += NB) {
        const size_t nb = d->B - b0 < NB ? d->B - b0 : NB, NP = nb * P;
        BASE *o = out + b0 * os;
        FUNCTION(im2col)(col, inp + b0 * is, nb, d);
        if (nb == 1 || d->cnhw) {
            /* The product lands in place: row oc of the chunk is the nb
             * planes of channel oc, ocs apart.  Seeding it with the bias
             * lets the gemm add to it (beta = 1). */
            BASE beta = 0;
            if (bias) {
                for (size_t oc = 0; oc < d->OC; oc++)
                    FUNCTION(fill)(o + oc * ocs, bias[oc], NP);
                beta = 1;
            }
            GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)d->OC,
                 (int)NP, (int)K, 1, weight, (int)K, col, (int)NP, beta, o,
                 (int)ocs);
            continue;
        }
        /* prod (OC, nb*P) = weight (OC,K) col (K, nb*P): one large product
         * instead of nb small ones; then each (oc, image) row of P values
         * moves to its NCHW place, picking up the bias on the way. */
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)d->OC, (int)NP,
             (int)K, 1, weight, (int)K, col, (int)NP, 0, prod, (int)NP);
        for (size_t j = 0; j < nb; j++)
            for (size_t oc = 0; oc < d->OC; oc++) {
                BASE *dst = o + j * os + oc * P;
                const BASE *src = prod + oc * NP + j * P;
                if (bias) {
                    const BASE bv = bias[oc];
                    for (size_t p = 0; p < P; p++)
                        dst[p] = src[p] + bv;
                } else {
                    memcpy(dst, src, P * sizeof *dst);
                }
            }
    }
}

void
FUNCTION(muon_conv2d_backward)(BASE *dinp /* (B,C,H,W) or NULL */,
                               BASE *dweight /* (OC,C,KH,KW) */,
                               BASE *dbias /* (OC) or NULL */,
                               BASE *col /* muon_conv2d_col_size(d) */,
                               const BASE *dout /* (B,OC,OH,OW) */,
                               const BASE *inp /* (B,C,H,W) */,
                               const BASE *weight /* (OC,C,KH,KW) */,
                               const muon_conv2d_dims *d)
{
    const size_t P = d->OH * d->OW, K = d->C * d->KH * d->KW;
    const size_t NB = d->NB ? d->NB : 1, HW = d->H * d->W;
    size_t is, cs, os, ocs;
    FUNCTION(conv_strides)(&is, &cs, d->C, HW, d);
    FUNCTION(conv_strides)(&os, &ocs, d->OC, P, d);
    BASE *gbuf = col + K * NB * P; /* (OC, nb*P) */
    for (size_t b0 = 0; b0 < d->B; b0 += NB) {
        const size_t nb = d->B - b0 < NB ? d->B - b0 : NB, NP = nb * P;
        const BASE *g = dout + b0 * os;
        size_t ldg = ocs;
        /* Recomputing the columns costs one pass over the images and
         * saves storing B of them. */
        FUNCTION(im2col)(col, inp + b0 * is, nb, d);
        if (nb > 1 && !d->cnhw) {
            /* Gather dout of the chunk into (OC, nb*P), the layout of the
             * columns (channel-major data already has it). */
            for (size_t j = 0; j < nb; j++)
                for (size_t oc = 0; oc < d->OC; oc++)
                    memcpy(gbuf + oc * NP + j * P, g + j * os + oc * P,
                           P * sizeof *gbuf);
            g = gbuf, ldg = NP;
        }
        /* dweight (OC,K) += g (OC,nb*P) col^T (nb*P,K) */
        GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d->OC, (int)K,
             (int)NP, 1, g, (int)ldg, col, (int)NP, 1, dweight, (int)K);
        if (dbias)
            for (size_t oc = 0; oc < d->OC; oc++)
                dbias[oc] += FUNCTION(sum)(g + oc * ldg, NP);
        if (dinp) {
            /* The columns are no longer needed: reuse the buffer for their
             * gradient, dcol (K,nb*P) = weight^T (K,OC) g (OC,nb*P). */
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)NP,
                 (int)d->OC, 1, weight, (int)K, g, (int)ldg, 0, col,
                 (int)NP);
            FUNCTION(col2im)(dinp + b0 * is, col, nb, d);
        }
    }
}

/* ---- max pooling -------------------------------------------------------- */

/* Eight 2x2 windows: t0, t1 hold 16 values of the two input rows; m gets
 * each window's maximum and id its plane index, base + 2j plus the offset
 * (0, 1, W or W+1) of the winner.  The comparisons are selects, not
 * branches, so random data costs no mispredictions and the block
 * vectorises; the result is the generic loop's: the first maximum in
 * (t0[2j], t0[2j+1], t1[2j], t1[2j+1]) order, a NaN replacing any
 * number. */
static inline void
FUNCTION(pool2_block)(BASE *restrict m, int *restrict id,
                      const BASE *restrict t0, const BASE *restrict t1,
                      int base, int W)
{
    for (int j = 0; j < 8; j++) {
        BASE a = t0[2 * j], b = t0[2 * j + 1], c = t1[2 * j],
             e = t1[2 * j + 1], best = a;
        int bi = 0, sb, sc, se;
        sb = (b > best) | (b != b);
        best = sb ? b : best, bi = sb ? 1 : bi;
        sc = (c > best) | (c != c);
        best = sc ? c : best, bi = sc ? W : bi;
        se = (e > best) | (e != e);
        best = se ? e : best, bi = se ? W + 1 : bi;
        m[j] = best, id[j] = base + 2 * j + bi;
    }
}

/* One output row of 2x2 pooling: x0, x1 are the two input rows, `base`
 * the plane index of x0[0], `end` one past the input tensor.  A block may
 * read past the row into the following rows of the tensor (the extra
 * windows are computed and dropped); only where that would leave the
 * tensor does a block go through a zero-padded copy.  Whole blocks write
 * straight into the outputs. */
static void
FUNCTION(pool2_row)(BASE *o, int *ix, const BASE *x0, const BASE *x1,
                    const BASE *end, int base, int W, size_t OW)
{
    size_t ow = 0;
    for (; ow + 8 <= OW && (size_t)(end - (x1 + 2 * ow)) >= 16; ow += 8)
        FUNCTION(pool2_block)(o + ow, ix + ow, x0 + 2 * ow, x1 + 2 * ow,
                              base + 2 * (int)ow, W);
    for (; ow < OW; ow += 8) {
        const size_t n = OW - ow < 8 ? OW - ow : 8;
        BASE t0[16], t1[16], m[8];
        int id[8];
        if ((size_t)(end - (x1 + 2 * ow)) >= 16) {
            for (size_t j = 0; j < 16; j++)
                t0[j] = x0[2 * ow + j], t1[j] = x1[2 * ow + j];
        } else {
            for (size_t j = 0; j < 16; j++)
                t0[j] = t1[j] = 0;
            for (size_t j = 0; j < 2 * n; j++)
                t0[j] = x0[2 * ow + j], t1[j] = x1[2 * ow + j];
        }
        FUNCTION(pool2_block)(m, id, t0, t1, base + 2 * (int)ow, W);
        for (size_t j = 0; j < n; j++)
            o[ow + j] = m[j], ix[ow + j] = id[j];
    }
}

void
FUNCTION(muon_maxpool_forward)(BASE *out /* (B,C,OH,OW) */,
                               int *idx /* (B,C,OH,OW) */,
                               const BASE *inp /* (B,C,H,W) */, size_t B,
                               size_t C, size_t H, size_t W, size_t k)
{
    const size_t OH = H / k, OW = W / k;
    for (size_t plane = 0; plane < B * C; plane++) {
        const BASE *x = inp + plane * H * W;
        BASE *o = out + plane * OH * OW;
        int *ix = idx + plane * OH * OW;
        if (k == 2) {
            for (size_t oh = 0; oh < OH; oh++)
                FUNCTION(pool2_row)(o + oh * OW, ix + oh * OW,
                                    x + 2 * oh * W, x + (2 * oh + 1) * W,
                                    inp + B * C * H * W, (int)(2 * oh * W),
                                    (int)W, OW);
            continue;
        }
        for (size_t oh = 0; oh < OH; oh++)
            for (size_t ow = 0; ow < OW; ow++) {
                size_t best = oh * k * W + ow * k;
                for (size_t i = 0; i < k; i++)
                    for (size_t j = 0; j < k; j++) {
                        size_t at = (oh * k + i) * W + ow * k + j;
                        /* A NaN wins, so it propagates (PyTorch). */
                        if (x[at] > x[best] || isnan(x[at]))
                            best = at;
                    }
                o[oh * OW + ow] = x[best];
                ix[oh * OW + ow] = (int)best;
            }
    }
}

void
FUNCTION(muon_maxpool_backward)(BASE *dinp /* (B,C,H,W) */,
                                const BASE *dout /* (B,C,OH,OW) */,
                                const int *idx /* (B,C,OH,OW) */, size_t B,
                                size_t C, size_t H, size_t W, size_t k)
{
    const size_t OH = H / k, OW = W / k;
    for (size_t plane = 0; plane < B * C; plane++) {
        BASE *dx = dinp + plane * H * W;
        const BASE *g = dout + plane * OH * OW;
        const int *ix = idx + plane * OH * OW;
        /* Plane by plane, so the scatter finds the zeroed plane still in
         * cache.  Windows do not overlap (stride = k), so each input
         * receives at most one gradient; += keeps this correct if that
         * ever changes. */
        memset(dx, 0, H * W * sizeof *dx);
        for (size_t p = 0; p < OH * OW; p++)
            dx[ix[p]] += g[p];
    }
}

/* ---- layer normalisation ------------------------------------------------ */

void
FUNCTION(muon_layernorm_forward)(BASE *out /* (N,C) */, BASE *mean /* (N) */,
                                 BASE *rstd /* (N) */,
                                 const BASE *inp /* (N,C) */,
                                 const BASE *weight /* (C) */,
                                 const BASE *bias /* (C) */, size_t N,
                                 size_t C)
{
    for (size_t n = 0; n < N; n++) {
        const BASE *x = inp + n * C;
        BASE *o = out + n * C;
        /* Two passes (mean, then squared deviations): the one-pass
         * E[x^2] - E[x]^2 cancels catastrophically when |mean| >> std. */
        BASE m = 0, v = 0;
        for (size_t c = 0; c < C; c++)
            m += x[c];
        m /= (BASE)C;
        for (size_t c = 0; c < C; c++)
            v += (x[c] - m) * (x[c] - m);
        v /= (BASE)C;
        BASE s = 1 / sqrt(v + (BASE)MUON_LAYERNORM_EPS);
        for (size_t c = 0; c < C; c++)
            o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[n] = m;
        rstd[n] = s;
    }
}

void
FUNCTION(muon_layernorm_backward)(BASE *dinp /* (N,C) or NULL */,
                                  BASE *dweight /* (C) */,
                                  BASE *dbias /* (C) */,
                                  const BASE *dout /* (N,C) */,
                                  const BASE *inp /* (N,C) */,
                                  const BASE *weight /* (C) */,
                                  const BASE *mean /* (N) */,
                                  const BASE *rstd /* (N) */, size_t N,
                                  size_t C)
{
    for (size_t n = 0; n < N; n++) {
        const BASE *x = inp + n * C, *g = dout + n * C;
        const BASE m = mean[n], s = rstd[n];
        /* With xhat = (x - m) s and dxhat = g w:
         * dx = s (dxhat - mean(dxhat) - xhat mean(dxhat xhat)). */
        BASE mg = 0, mgx = 0;
        for (size_t c = 0; c < C; c++) {
            BASE xhat = (x[c] - m) * s, dxhat = g[c] * weight[c];
            mg += dxhat;
            mgx += dxhat * xhat;
            dbias[c] += g[c];
            dweight[c] += g[c] * xhat;
        }
        mg /= (BASE)C;
        mgx /= (BASE)C;
        if (dinp) {
            BASE *dx = dinp + n * C;
            for (size_t c = 0; c < C; c++) {
                BASE xhat = (x[c] - m) * s;
                dx[c] = s * (g[c] * weight[c] - mg - xhat * mgx);
            }
        }
    }
}

/* ---- token + position embedding ----------------------------------------- */

void
FUNCTION(muon_embedding_forward)(BASE *out /* (B,T,C) */,
                                 const int *tokens /* (B,T) */,
                                 const BASE *wte /* (V,C) */,
                                 const BASE *wpe /* (maxT,C) or NULL */,
                                 size_t B, size_t T_, size_t C)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T_; t++) {
            BASE *o = out + (b * T_ + t) * C;
            const BASE *e = wte + (size_t)tokens[b * T_ + t] * C;
            if (wpe) {
                const BASE *p = wpe + t * C;
                for (size_t c = 0; c < C; c++)
                    o[c] = e[c] + p[c];
            } else {
                memcpy(o, e, C * sizeof *o);
            }
        }
}

void
FUNCTION(muon_embedding_backward)(BASE *dwte /* (V,C) */,
                                  BASE *dwpe /* (maxT,C) or NULL */,
                                  const BASE *dout /* (B,T,C) */,
                                  const int *tokens /* (B,T) */, size_t B,
                                  size_t T_, size_t C)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T_; t++) {
            const BASE *g = dout + (b * T_ + t) * C;
            BASE *e = dwte + (size_t)tokens[b * T_ + t] * C;
            for (size_t c = 0; c < C; c++)
                e[c] += g[c];
            if (dwpe) {
                BASE *p = dwpe + t * C;
                for (size_t c = 0; c < C; c++)
                    p[c] += g[c];
            }
        }
}

/* ---- causal multi-head self-attention ----------------------------------- */

void
FUNCTION(muon_attention_forward)(BASE *out /* (B,T,C) */,
                                 BASE *att /* (B,NH,T,T) */,
                                 const BASE *qkv /* (B,T,3C) */, size_t B,
                                 size_t T_, size_t C, size_t NH)
{
    const size_t hs = C / NH;
    const int t = (int)T_, h3 = (int)(3 * C), ih = (int)hs;
    const BASE scale = 1 / sqrt((BASE)hs);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            const BASE *q = qkv + b * T_ * 3 * C + h * hs;
            const BASE *k = q + C, *v = q + 2 * C;
            BASE *a = att + (b * NH + h) * T_ * T_;
            /* a (T,T) = scale q k^T; the upper triangle is computed and
             * then discarded: the full product is still faster through
             * BLAS than a triangular loop. */
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, ih, scale, q,
                 h3, k, h3, 0, a, t);
            for (size_t i = 0; i < T_; i++) {
                BASE *r = a + i * T_, mx = r[0], sum = 0;
                for (size_t j = 1; j <= i; j++)
                    mx = r[j] > mx ? r[j] : mx;
                for (size_t j = 0; j <= i; j++) {
                    r[j] = exp(r[j] - mx);
                    sum += r[j];
                }
                for (size_t j = 0; j <= i; j++)
                    r[j] /= sum;
                for (size_t j = i + 1; j < T_; j++)
                    r[j] = 0; /* the causal mask */
            }
            /* out_h (T,hs) = a (T,T) v (T,hs) */
            GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, ih, t, 1, a, t,
                 v, h3, 0, out + b * T_ * C + h * hs, (int)C);
        }
}

void
FUNCTION(muon_attention_backward)(BASE *dqkv /* (B,T,3C) */,
                                  BASE *scratch /* (T,T) */,
                                  const BASE *dout /* (B,T,C) */,
                                  const BASE *qkv /* (B,T,3C) */,
                                  const BASE *att /* (B,NH,T,T) */, size_t B,
                                  size_t T_, size_t C, size_t NH)
{
    const size_t hs = C / NH;
    const int t = (int)T_, h3 = (int)(3 * C), ih = (int)hs, ic = (int)C;
    const BASE scale = 1 / sqrt((BASE)hs);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            const size_t off = b * T_ * 3 * C + h * hs;
            const BASE *q = qkv + off, *k = q + C, *v = q + 2 * C;
            BASE *dq = dqkv + off, *dk = dq + C, *dv = dq + 2 * C;
            const BASE *a = att + (b * NH + h) * T_ * T_;
            const BASE *g = dout + b * T_ * C + h * hs;
            BASE *da = scratch;
            /* da (T,T) = g (T,hs) v^T;  dv (T,hs) = a^T g */
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, ih, 1, g, ic,
                 v, h3, 0, da, t);
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, t, ih, t, 1, a, t,
                 g, ic, 0, dv, h3);
            /* Softmax backward per row: dpre_j = a_j (da_j - sum a da);
             * masked entries have a_j = 0 and get 0. */
            for (size_t i = 0; i < T_; i++) {
                const BASE *ar = a + i * T_;
                BASE *dr = da + i * T_, dot = 0;
                for (size_t j = 0; j <= i; j++)
                    dot += ar[j] * dr[j];
                for (size_t j = 0; j <= i; j++)
                    dr[j] = ar[j] * (dr[j] - dot);
                for (size_t j = i + 1; j < T_; j++)
                    dr[j] = 0;
            }
            /* dq = scale dpre k;  dk = scale dpre^T q */
            GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, ih, t, scale,
                 da, t, k, h3, 0, dq, h3);
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, t, ih, t, scale, da,
                 t, q, h3, 0, dk, h3);
        }
}

/* ---- residual ----------------------------------------------------------- */

void
FUNCTION(muon_residual_forward)(BASE *out /* (n) */, const BASE *inp /* (n) */,
                                const BASE *branch /* (n) */, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] + branch[i];
}

void
FUNCTION(muon_residual_backward)(BASE *dinp /* (n) or NULL */,
                                 BASE *dbranch /* (n) or NULL */,
                                 const BASE *dout /* (n) */, size_t n)
{
    if (dinp)
        for (size_t i = 0; i < n; i++)
            dinp[i] += dout[i];
    if (dbranch)
        for (size_t i = 0; i < n; i++)
            dbranch[i] += dout[i];
}

/* ---- losses ------------------------------------------------------------- */

double
FUNCTION(muon_crossentropy_forward)(BASE *probs /* (N,V) */,
                                    const BASE *logits /* (N,V) */,
                                    const int *targets /* (N) */, size_t N,
                                    size_t V)
{
    double total = 0;
    for (size_t n = 0; n < N; n++) {
        const BASE *z = logits + n * V;
        BASE *p = probs + n * V, mx = z[0], sum = 0;
        for (size_t v = 1; v < V; v++)
            mx = z[v] > mx ? z[v] : mx;
        for (size_t v = 0; v < V; v++) {
            p[v] = exp(z[v] - mx);
            sum += p[v];
        }
        /* -log softmax(z)_y = log sum exp(z - max) - (z_y - max): exact
         * for huge logits, and finite even when p_y underflows to 0. */
        total += (double)log(sum) - (double)(z[targets[n]] - mx);
        for (size_t v = 0; v < V; v++)
            p[v] /= sum;
    }
    return total / (double)N;
}

void
FUNCTION(muon_crossentropy_backward)(BASE *dlogits /* (N,V) */,
                                     const BASE *probs /* (N,V) */,
                                     const int *targets /* (N) */,
                                     double dloss, size_t N, size_t V)
{
    const BASE s = (BASE)(dloss / (double)N);
    for (size_t n = 0; n < N; n++) {
        BASE *d = dlogits + n * V;
        const BASE *p = probs + n * V;
        for (size_t v = 0; v < V; v++)
            d[v] = s * p[v];
        d[targets[n]] -= s;
    }
}

double
FUNCTION(muon_mse_forward)(const BASE *pred /* (N,D) */,
                           const BASE *target /* (N,D) */, size_t N,
                           size_t D)
{
    double total = 0;
    for (size_t i = 0; i < N * D; i++) {
        double e = (double)pred[i] - (double)target[i];
        total += e * e;
    }
    return total / ((double)N * (double)D);
}

void
FUNCTION(muon_mse_backward)(BASE *dpred /* (N,D) */,
                            const BASE *pred /* (N,D) */,
                            const BASE *target /* (N,D) */, double dloss,
                            size_t N, size_t D)
{
    const BASE s = (BASE)(2 * dloss / ((double)N * (double)D));
    for (size_t i = 0; i < N * D; i++)
        dpred[i] = s * (pred[i] - target[i]);
}

#undef GELU_S
#undef GELU_A
