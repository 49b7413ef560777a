/* schedule.h: learning-rate schedules, kept outside the optimizer.
 *
 * The optimizer takes the learning rate as an argument of every step, so a
 * schedule is just a function step -> lr that the training loop evaluates:
 *   constant  lr(t) = peak
 *   cosine    linear warm-up from 0 to peak over `warmup` steps (lr(t) =
 *             peak (t+1)/warmup for t < warmup), then cosine decay to
 *             peak*min_frac at t = total - 1
 *   wsd       warm-up-stable-decay (trapezoid): the same warm-up, constant
 *             peak, then linear decay to peak*min_frac over the last `decay`
 *             steps (reaching it at t = total - 1)
 * Steps are 0-based; t >= total keeps the final value.
 */
#ifndef MUON_SCHEDULE_H
#define MUON_SCHEDULE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MUON_SCHED_CONSTANT = 0,
    MUON_SCHED_COSINE = 1,
    MUON_SCHED_WSD = 2
} muon_sched_kind;

typedef struct {
    muon_sched_kind kind;
    double peak;     /* > 0, finite */
    size_t warmup;   /* warm-up steps (cosine, wsd); 0 = none */
    size_t decay;    /* wsd: decay steps */
    size_t total;    /* total steps (cosine, wsd), > warmup (+ decay) */
    double min_frac; /* final lr / peak, in [0, 1] */
} muon_schedule;

/* "constant", "cosine", "wsd". */
const char *muon_sched_kind_name(muon_sched_kind k);

/* Looks a kind up by name; MUON_EUNKNOWN (reported, listing the names). */
int muon_sched_kind_by_name(const char *name, muon_sched_kind *out);

/* Checks s: peak finite > 0, min_frac in [0, 1], and for cosine/wsd
 * total >= 1, warmup (+ decay for wsd) <= total.  MUON_ERANGE (reported,
 * naming the field) or MUON_SUCCESS. */
int muon_schedule_validate(const muon_schedule *s);

/* The learning rate at 0-based step t of a validated schedule. */
double muon_schedule_lr(const muon_schedule *s, size_t t);

#ifdef __cplusplus
}
#endif

#endif /* MUON_SCHEDULE_H */
