/* optim_ckpt.c: saving and restoring the Muon driver's state as sections of
 * a checkpoint container (muon/checkpoint.h).  Sections:
 *   optim.config    the canonical configuration text (muon_optim_config_
 *                   describe), compared line by line on load
 *   optim.params    one line per parameter: index, name, route, shape
 *   optim.counters  uint64 steps, calls, skipped
 *   optim.m.I / optim.gprev.I / optim.v.I      Muon state of parameter I
 *   optim.am.I / optim.av.I                    auxiliary moments
 * Buffers are float32 in native byte order (the container refuses another
 * endianness). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muon/status.h"
#include "optim_impl.h"

static char *
params_text(const muon_optim *o)
{
    size_t cap = 128 * (o->n + 1), pos = 0;
    char *t = malloc(cap);
    if (!t)
        return NULL;
    t[0] = '\0';
    for (size_t i = 0; i < o->n; i++) {
        const muon_param *p = &o->params[i];
        char line[160];
        int k = snprintf(line, sizeof line, "%zu %.60s %s", i,
                         p->name ? p->name : "?",
                         o->is_muon[i] ? "muon" : "aux");
        for (size_t d = 0; d < p->ndim && k > 0 && (size_t)k < sizeof line;
             d++)
            k += snprintf(line + k, sizeof line - (size_t)k, " %zu",
                          p->shape[d]);
        size_t len = strlen(line);
        if (pos + len + 2 > cap) {
            char *nt = realloc(t, cap * 2 + len + 2);
            if (!nt) {
                free(t);
                return NULL;
            }
            t = nt;
            cap = cap * 2 + len + 2;
        }
        memcpy(t + pos, line, len);
        pos += len;
        t[pos++] = '\n';
        t[pos] = '\0';
    }
    return t;
}

static void
add(muon_optim *o, const char *fmt, size_t i, const void *data, size_t size)
{
    snprintf(o->secname[o->nsec], sizeof o->secname[0], fmt, i);
    o->sec[o->nsec].name = o->secname[o->nsec];
    o->sec[o->nsec].data = data;
    o->sec[o->nsec].size = size;
    o->nsec++;
}

int
muon_optim_ckpt_init(muon_optim *o)
{
    size_t len = muon_optim_config_describe(&o->cfg, NULL, 0) + 1;
    o->config_text = malloc(len);
    o->params_text = params_text(o);
    size_t cap = 3 + 3 * o->n;
    o->sec = calloc(cap, sizeof *o->sec);
    o->secname = calloc(cap, sizeof *o->secname);
    if (!o->config_text || !o->params_text || !o->sec || !o->secname)
        return MUON_ERROR(MUON_ENOMEM, "optimizer: out of memory");
    muon_optim_config_describe(&o->cfg, o->config_text, len);
    add(o, "optim.config", 0, o->config_text, strlen(o->config_text));
    add(o, "optim.params", 0, o->params_text, strlen(o->params_text));
    add(o, "optim.counters", 0, o->ctr, sizeof o->ctr);
    for (size_t i = 0; i < o->n; i++) {
        size_t count = muon_param_count(&o->params[i]) * sizeof(float);
        if (o->is_muon[i]) {
            const muon_slot *s = &o->slot[i];
            add(o, "optim.m.%zu", i, s->m, count);
            if (s->gprev)
                add(o, "optim.gprev.%zu", i, s->gprev, count);
            if (s->v)
                add(o, "optim.v.%zu", i, s->v, s->A * sizeof(float));
        } else {
            add(o, "optim.am.%zu", i, o->aux_m[i], count);
            if (o->aux_v[i])
                add(o, "optim.av.%zu", i, o->aux_v[i], count);
        }
    }
    return MUON_SUCCESS;
}

int
muon_optim_ckpt_sections(const muon_optim *o, muon_ckpt_section *out,
                         size_t cap, size_t *n)
{
    *n = o->nsec;
    if (cap < o->nsec)
        return MUON_ERROR(MUON_EBADLEN, "optimizer has %zu checkpoint "
                          "sections, room for %zu", o->nsec, cap);
    memcpy(out, o->sec, o->nsec * sizeof *out);
    return MUON_SUCCESS;
}

int
muon_optim_save(const muon_optim *o, const char *path)
{
    return muon_ckpt_write(path, o->sec, o->nsec);
}

/* The first line where two texts differ, for the refusal message. */
static void
first_diff(const char *a, size_t alen, const char *b, size_t blen,
           char *out, size_t outlen)
{
    size_t i = 0, start = 0;
    while (i < alen && i < blen && a[i] == b[i]) {
        if (a[i] == '\n')
            start = i + 1;
        i++;
    }
    size_t ea = start, eb = start;
    while (ea < alen && a[ea] != '\n')
        ea++;
    while (eb < blen && b[eb] != '\n')
        eb++;
    snprintf(out, outlen, "checkpoint has '%.*s', this run has '%.*s'",
             (int)(ea - start > 120 ? 120 : ea - start), a + start,
             (int)(eb - start > 120 ? 120 : eb - start), b + start);
}

static int
same_text(const muon_ckpt *c, const char *name, const char *mine,
          int status, const char *what)
{
    const void *data;
    size_t size;
    int rc = muon_ckpt_find(c, name, &data, &size);
    if (rc)
        return rc;
    size_t len = strlen(mine);
    if (size == len && !memcmp(data, mine, len))
        return MUON_SUCCESS;
    char diff[320];
    first_diff(data, size, mine, len, diff, sizeof diff);
    return MUON_ERROR(status, "checkpoint %s: %s differ: %s",
                      muon_ckpt_path(c), what, diff);
}

int
muon_optim_load_ckpt(muon_optim *o, const muon_ckpt *c)
{
    int rc;
    if ((rc = same_text(c, "optim.params", o->params_text, MUON_EBADLEN,
                        "parameter names, routes or shapes")) ||
        (rc = same_text(c, "optim.config", o->config_text, MUON_EINVAL,
                        "optimizer configurations")))
        return rc;
    /* Check every section before copying any, so a refused checkpoint
     * leaves the optimizer as it was. */
    for (size_t k = 2; k < o->nsec; k++) {
        const void *data;
        size_t size;
        if ((rc = muon_ckpt_find(c, o->sec[k].name, &data, &size)))
            return rc;
        if (size != o->sec[k].size)
            return MUON_ERROR(MUON_EBADLEN, "checkpoint %s: section '%s' has "
                              "%zu bytes, expected %zu", muon_ckpt_path(c),
                              o->sec[k].name, size, o->sec[k].size);
    }
    for (size_t k = 2; k < o->nsec; k++) {
        const void *data;
        size_t size;
        muon_ckpt_find(c, o->sec[k].name, &data, &size);
        memcpy((void *)o->sec[k].data, data, size);
    }
    o->last_skipped = 0;
    return MUON_SUCCESS;
}

int
muon_optim_load(muon_optim *o, const char *path)
{
    muon_ckpt *c;
    int rc = muon_ckpt_read(path, &c);
    if (rc)
        return rc;
    rc = muon_optim_load_ckpt(o, c);
    muon_ckpt_free(c);
    return rc;
}
