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
     * `inp > 0 ? inp : 0` would silently turn a NaN into 0. */
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] < 0 ? 0 : inp[i];
}

void
FUNCTION(muon_relu_backward)(BASE *dinp /* (n) */, const BASE *dout /* (n) */,
                             const BASE *inp /* (n) */, size_t n)
{
    /* The derivative at exactly 0 is taken as 0 (PyTorch's choice). */
    for (size_t i = 0; i < n; i++)
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

/* col (C*KH*KW, OH*OW): row (c, kh, kw) holds, for every output position,
 * the input value under that filter tap (0 in the padding), so that the
 * convolution of one image is the product weight (OC, C*KH*KW) col. */
static void
FUNCTION(im2col)(BASE *col, const BASE *img /* (C,H,W) */,
                 const muon_conv2d_dims *d)
{
    const size_t P = d->OH * d->OW;
    for (size_t c = 0; c < d->C; c++)
        for (size_t kh = 0; kh < d->KH; kh++)
            for (size_t kw = 0; kw < d->KW; kw++) {
                BASE *row = col + ((c * d->KH + kh) * d->KW + kw) * P;
                for (size_t oh = 0; oh < d->OH; oh++) {
                    /* Signed: the window may start inside the padding. */
                    long ih = (long)(oh * d->stride + kh) - (long)d->pad;
                    BASE *r = row + oh * d->OW;
                    if (ih < 0 || ih >= (long)d->H) {
                        memset(r, 0, d->OW * sizeof *r);
                        continue;
                    }
                    const BASE *src = img + (c * d->H + (size_t)ih) * d->W;
                    for (size_t ow = 0; ow < d->OW; ow++) {
                        long iw = (long)(ow * d->stride + kw) - (long)d->pad;
                        r[ow] = (iw >= 0 && iw < (long)d->W) ? src[iw] : 0;
                    }
                }
            }
}

/* The adjoint of im2col: img = 0, then every column entry is added back to
 * the input pixel it was copied from. */
static void
FUNCTION(col2im)(BASE *img /* (C,H,W) */, const BASE *col,
                 const muon_conv2d_dims *d)
{
    const size_t P = d->OH * d->OW;
    memset(img, 0, d->C * d->H * d->W * sizeof *img);
    for (size_t c = 0; c < d->C; c++)
        for (size_t kh = 0; kh < d->KH; kh++)
            for (size_t kw = 0; kw < d->KW; kw++) {
                const BASE *row = col + ((c * d->KH + kh) * d->KW + kw) * P;
                for (size_t oh = 0; oh < d->OH; oh++) {
                    long ih = (long)(oh * d->stride + kh) - (long)d->pad;
                    if (ih < 0 || ih >= (long)d->H)
                        continue;
                    BASE *dst = img + (c * d->H + (size_t)ih) * d->W;
                    const BASE *r = row + oh * d->OW;
                    for (size_t ow = 0; ow < d->OW; ow++) {
                        long iw = (long)(ow * d->stride + kw) - (long)d->pad;
                        if (iw >= 0 && iw < (long)d->W)
                            dst[iw] += r[ow];
                    }
                }
            }
}

void
FUNCTION(muon_conv2d_forward)(BASE *out /* (B,OC,OH,OW) */,
                              BASE *col /* (C*KH*KW, OH*OW) scratch */,
                              const BASE *inp /* (B,C,H,W) */,
                              const BASE *weight /* (OC,C,KH,KW) */,
                              const BASE *bias /* (OC) or NULL */,
                              const muon_conv2d_dims *d)
{
    const size_t P = d->OH * d->OW, K = d->C * d->KH * d->KW;
    const size_t in_sz = d->C * d->H * d->W, out_sz = d->OC * P;
    for (size_t b = 0; b < d->B; b++) {
        BASE *o = out + b * out_sz;
        BASE beta = 0;
        FUNCTION(im2col)(col, inp + b * in_sz, d);
        if (bias) {
            for (size_t oc = 0; oc < d->OC; oc++)
                for (size_t p = 0; p < P; p++)
                    o[oc * P + p] = bias[oc];
            beta = 1;
        }
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)d->OC, (int)P,
             (int)K, 1, weight, (int)K, col, (int)P, beta, o, (int)P);
    }
}

void
FUNCTION(muon_conv2d_backward)(BASE *dinp /* (B,C,H,W) or NULL */,
                               BASE *dweight /* (OC,C,KH,KW) */,
                               BASE *dbias /* (OC) or NULL */,
                               BASE *col /* (C*KH*KW, OH*OW) scratch */,
                               const BASE *dout /* (B,OC,OH,OW) */,
                               const BASE *inp /* (B,C,H,W) */,
                               const BASE *weight /* (OC,C,KH,KW) */,
                               const muon_conv2d_dims *d)
{
    const size_t P = d->OH * d->OW, K = d->C * d->KH * d->KW;
    const size_t in_sz = d->C * d->H * d->W, out_sz = d->OC * P;
    for (size_t b = 0; b < d->B; b++) {
        const BASE *g = dout + b * out_sz;
        /* Recomputing the columns costs one pass over the image and saves
         * storing B of them. */
        FUNCTION(im2col)(col, inp + b * in_sz, d);
        /* dweight (OC,K) += dout_b (OC,P) col^T (P,K) */
        GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d->OC, (int)K,
             (int)P, 1, g, (int)P, col, (int)P, 1, dweight, (int)K);
        if (dbias)
            for (size_t oc = 0; oc < d->OC; oc++) {
                BASE s = 0;
                for (size_t p = 0; p < P; p++)
                    s += g[oc * P + p];
                dbias[oc] += s;
            }
        if (dinp) {
            /* The columns are no longer needed: reuse the buffer for their
             * gradient, dcol (K,P) = weight^T (K,OC) dout_b (OC,P). */
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)P,
                 (int)d->OC, 1, weight, (int)K, g, (int)P, 0, col, (int)P);
            FUNCTION(col2im)(dinp + b * in_sz, col, d);
        }
    }
}

/* ---- max pooling -------------------------------------------------------- */

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
    memset(dinp, 0, B * C * H * W * sizeof *dinp);
    for (size_t plane = 0; plane < B * C; plane++) {
        BASE *dx = dinp + plane * H * W;
        const BASE *g = dout + plane * OH * OW;
        const int *ix = idx + plane * OH * OW;
        /* Windows do not overlap (stride = k), so each input receives at
         * most one gradient; += keeps this correct if that ever changes. */
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
