/* verify-scalar-maps.c: the composed scalar maps reproduce the published
 * figures (REFERENCE.md section 2, "Scalar-map facts"), each given to 4
 * decimals, so each is checked to half a unit of the last place. */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "muon/orth.h"
#include "tol.h"
#include "vcheck.h"

typedef struct {
    const char *method;
    double lo, hi;
    double min, max; /* published; NAN = not published */
    const char *source;
} claim;

static const claim claims[] = {
    {"ns5", 0.05, 1.0, 0.6818, 1.1344, "modded-nanogpt README: 0.68..1.13"},
    {"ns5", 1e-3, 1.0, 0.4705, 1.2024, "REFERENCE.md section 2"},
    {"polar-express", 1e-3, 1.0, 0.8466, 1.1411, "REFERENCE.md section 2"},
    {"cans", 1e-3, 1.0, 0.8844, 1.1198, "REFERENCE.md section 2"},
    {"you6", 1e-3, 1.0, 0.8663, 0.9993, "REFERENCE.md section 2"},
};

int
main(void)
{
    gsl_set_error_handler_off();
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
        const claim *c = &claims[i];
        const muon_orth_type *T = muon_orth_type_by_name(c->method);
        muon_orth_params p;
        muon_map_range r;
        if (!T) {
            vcheck_true(0, "%s: not registered", c->method);
            continue;
        }
        muon_orth_default_params(T, &p);
        muon_orth_map_range(&p, c->lo, c->hi, &r);
        /* The open end (0.05 in "(0.05, 1]") does not change a min that is
         * attained in the interior. */
        vcheck_le(fabs(r.min - c->min), TOL_PUBLISHED_4DP,
                  "%s min on [%g, %g] = %.6f vs published %.4f (%s)",
                  c->method, c->lo, c->hi, r.min, c->min, c->source);
        vcheck_le(fabs(r.max - c->max), TOL_PUBLISHED_4DP,
                  "%s max on [%g, %g] = %.6f vs published %.4f (%s)",
                  c->method, c->lo, c->hi, r.max, c->max, c->source);
    }
    /* Slope at 0 of Jordan's NS5 is 3.4445^5 = 484.88..., published as 485. */
    const muon_orth_type *ns5 = muon_orth_type_by_name("ns5");
    muon_orth_params p;
    muon_map_range r;
    muon_orth_default_params(ns5, &p);
    muon_orth_map_range(&p, 1e-3, 1.0, &r);
    vcheck_le(fabs(r.slope0 - 485.0), 0.5,
              "ns5 slope at 0 = %.4f vs published 485", r.slope0);
    /* An independent estimate of the slope: map(h)/h for tiny h. */
    double h = 1e-9;
    vcheck_le(fabs(muon_orth_map(&p, h) / h - r.slope0) / r.slope0, 1e-6,
              "ns5 slope at 0: product of a_t vs map(1e-9)/1e-9");
    /* Cubic NS x 5 at 1e-3: 0.0076 (1.5^5 * 1e-3 = 0.00759...). */
    const muon_orth_type *ns3 = muon_orth_type_by_name("ns3");
    muon_orth_default_params(ns3, &p);
    double v = muon_orth_map(&p, 1e-3);
    vcheck_le(fabs(v - 0.0076), TOL_PUBLISHED_4DP,
              "ns3 x 5 steps at 1e-3 = %.6f vs published 0.0076", v);
    /* The converging quintic (2, -1.5, 0.5) has p(1) = 1, p'(1) = 0: after
     * 12 steps every x in [0.05, 1] is within 1e-6 of 1. */
    const muon_orth_type *nc = muon_orth_type_by_name("ns5-converging");
    muon_orth_default_params(nc, &p);
    muon_orth_map_range(&p, 0.05, 1.0, &r);
    double dev = fmax(fabs(r.min - 1), fabs(r.max - 1));
    vcheck_le(dev, 1e-6, "ns5-converging x 12 on [0.05, 1]: max |map - 1|");
    return vcheck_finish();
}
