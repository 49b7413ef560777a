/* schedule.c: constant, warm-up + cosine and warm-up-stable-decay learning
 * rates (see muon/schedule.h for the exact formulas). */
#include <math.h>
#include <string.h>

#include "muon/schedule.h"
#include "muon/status.h"

static const char *const names[] = {"constant", "cosine", "wsd"};

const char *
muon_sched_kind_name(muon_sched_kind k)
{
    return (unsigned)k < 3 ? names[k] : "?";
}

int
muon_sched_kind_by_name(const char *name, muon_sched_kind *out)
{
    for (unsigned i = 0; i < 3; i++)
        if (name && !strcmp(name, names[i])) {
            *out = (muon_sched_kind)i;
            return MUON_SUCCESS;
        }
    return MUON_ERROR(MUON_EUNKNOWN, "unknown schedule '%s' (valid: constant, "
                      "cosine, wsd)", name ? name : "(null)");
}

int
muon_schedule_validate(const muon_schedule *s)
{
    if ((unsigned)s->kind > MUON_SCHED_WSD)
        return MUON_ERROR(MUON_ERANGE, "schedule kind %d is not one of "
                          "constant, cosine, wsd", (int)s->kind);
    if (!isfinite(s->peak) || s->peak <= 0.0)
        return MUON_ERROR(MUON_ERANGE, "schedule peak lr must be finite and "
                          "> 0 (got %g)", s->peak);
    if (!(s->min_frac >= 0.0 && s->min_frac <= 1.0))
        return MUON_ERROR(MUON_ERANGE, "schedule min_frac must be in [0, 1] "
                          "(got %g)", s->min_frac);
    if (s->kind == MUON_SCHED_CONSTANT)
        return MUON_SUCCESS;
    if (s->total == 0)
        return MUON_ERROR(MUON_ERANGE, "%s schedule needs total >= 1 steps",
                          names[s->kind]);
    size_t need = s->warmup + (s->kind == MUON_SCHED_WSD ? s->decay : 0);
    if (need > s->total || need < s->warmup)
        return MUON_ERROR(MUON_ERANGE, "%s schedule: warmup %zu%s exceeds "
                          "total %zu steps", names[s->kind], s->warmup,
                          s->kind == MUON_SCHED_WSD ? " + decay" : "",
                          s->total);
    return MUON_SUCCESS;
}

double
muon_schedule_lr(const muon_schedule *s, size_t t)
{
    double peak = s->peak, lo = s->peak * s->min_frac;
    if (s->kind == MUON_SCHED_CONSTANT)
        return peak;
    /* Warm-up reaches the peak on its last step, never lr = 0 at t = 0:
     * a zero first step would waste a gradient. */
    if (t < s->warmup)
        return peak * (double)(t + 1) / (double)s->warmup;
    size_t last = s->total - 1;
    if (t > last)
        t = last;
    if (s->kind == MUON_SCHED_COSINE) {
        size_t span = last - s->warmup; /* steps after the first peak step */
        if (span == 0)
            return peak;
        double x = (double)(t - s->warmup) / (double)span;
        return lo + 0.5 * (peak - lo) * (1.0 + cos(M_PI * x));
    }
    /* wsd: the decay occupies steps (total - decay, ..., total - 1]. */
    size_t start = s->total - s->decay;
    if (s->decay == 0 || t < start)
        return peak;
    double x = (double)(t - start + 1) / (double)s->decay;
    return peak + (lo - peak) * x;
}
