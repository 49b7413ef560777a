# fig-convergence.gp: convergence per optimizer (experiment 4): mean over
# seeds with a shaded 95% confidence band, in up to three panels: loss vs
# step, accuracy vs step (when the runs have an accuracy), loss vs wall
# time (when they have a time).  Reads the statistics that `muonlab plot`
# computes from the train rows (grouped by label, else method, and step):
# columns method, step, n, n_invalid, mean, ci_lo, ci_hi (the loss), and
# when present val_acc_mean/_lo/_hi, time_s_mean and metric (the name of
# the loss column: val_loss or loss).  `muonlab stats --by method,step
# --metric loss --format csv` output also works (one panel).
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

# Which optional columns the file has (column() of a missing name is an
# error): the header line, the first one that is not a '#' comment.
_hdr = system(sprintf("awk '!/^#/ { gsub(/[\\r\"]/, \"\"); print; exit }' '%s'", IN))
has(c) = strstrt(",". _hdr .",", ",".c.",") > 0
_has_acc = has("val_acc_mean")
_has_time = has("time_s_mean")
_metric = "loss"
if (has("metric")) {
    stats IN using (_metric = strcol("metric"), 0) every ::0::0 nooutput
}
_ylabel = _metric eq "val_loss" ? "validation loss" : \
          _metric eq "loss" ? "training loss" : _metric
# The figure's name (the output file without folder and extension).
_j = strlen(OUT); while (_j > 0 && OUT[_j:_j] ne "/") { _j = _j - 1 }
_name = OUT[_j + 1 : strlen(OUT) - 4]

# An optional column counts only if some value is a number (regressions
# have no accuracy); read as strings, since a nan number drops the row.
num(c) = strcol(c) ne "" && strcol(c) ne "nan" && strcol(c) ne "-nan" && \
         strcol(c) ne "inf" && strcol(c) ne "-inf"
_col = "method"; @UNIQUE
stats IN using (column("n_invalid") > 0 ? 1 : 0) nooutput
_nbad = STATS_sum
stats IN using (column("n") + column("n_invalid")) nooutput
_nseeds = int(STATS_max)
stats IN using (num("mean") ? 1 : 0) nooutput
_nmean = STATS_sum
_top = 1
if (_nmean > 0) {
    stats IN using (num("mean") ? column("mean") : NaN) nooutput
    _top = STATS_max * 1.5
    # Log y for losses: the first evaluation (an untrained model) is far
    # above the rest, which a linear axis would squash to the floor
    # (unless the whole range is within a factor of 4).
    _logy = STATS_min > 0 && STATS_max / STATS_min > 4
    # Bands of few seeds reach far down on a log axis: clip them at half
    # the lowest mean.
    _ybot = STATS_min / 2
} else {
    _logy = 0
}
if (_has_acc) {
    stats IN using (num("val_acc_mean") ? 1 : 0) nooutput
    _has_acc = STATS_sum > 0
}
if (_has_time) {
    stats IN using (num("time_s_mean") ? 1 : 0) nooutput
    _has_time = STATS_sum > 0
}
_np = 1 + _has_acc + _has_time
# Wider canvas for several panels side by side.
if (_np > 1 && _ext eq "png") {
    set terminal pngcairo enhanced font "Helvetica,11" size 560 * _np, 520 linewidth 1.5
    set output OUT
}
if (_np > 1 && _ext eq "pdf") {
    _pw = 2.6 * _np
    set terminal pdfcairo enhanced color font "Helvetica,8" size _pw, 2.6 linewidth 1.5
    set output OUT
}

set multiplot layout 1, _np title sprintf("%s: mean and 95%% CI over %d seeds", _name, _nseeds) noenhanced

# Panel 1: loss vs step.  Steps where some seeds diverged: those runs are
# not in the mean, so a marker on the top edge says so.
set title _ylabel." vs step"
set xlabel "training step"
set ylabel _ylabel
# Log axes over a decade or two: label 1, 2 and 5 times each power of 10
# (only the tics inside the range show).
LOGY = 'set logscale y; set yrange [_ybot : _top / 1.5 * 1.3]; set ytics (); \
    do for [e=-6:3] { set ytics add (sprintf("%g", 10.0**e) 10.0**e, \
    sprintf("%g", 2 * 10.0**e) 2 * 10.0**e, sprintf("%g", 5 * 10.0**e) 5 * 10.0**e) }'
if (_logy) { @LOGY }
set key right top
plot for [i=1:words(_list)] IN \
    using (strcol("method") eq word(_list, i) && finite(column("ci_lo")) ? column("step") : NaN):(column("ci_lo")):(column("ci_hi")) \
    with filledcurves lc rgb method_color(word(_list, i)) notitle, \
    for [i=1:words(_list)] IN \
    using (strcol("method") eq word(_list, i) ? column("step") : NaN):(column("mean")) \
    with lines lw 1.5 lc rgb method_color(word(_list, i)) title word(_list, i), \
    IN using (column("n_invalid") > 0 ? column("step") : NaN):(_top) \
    with points pt 2 ps 0.8 lc rgb "#000000" \
    title badtitle(_nbad, "steps with diverged runs")
unset logscale y
set autoscale y
set ytics autofreq

# Panel 2: validation accuracy vs step (classification only).
if (_has_acc) {
    set title "validation accuracy vs step"
    set ylabel "validation accuracy"
    unset key
    # The first evaluation (step 0, chance level) would flatten the rest:
    # the axis covers the means from the first tenth of the run on, with
    # room for the bands (clipped beyond).
    stats IN using (column("step")) nooutput
    _smax = STATS_max
    stats IN using (num("val_acc_mean") && column("step") >= 0.1 * _smax ? column("val_acc_mean") : NaN) nooutput
    _alo = STATS_min
    _ahi = STATS_max
    _ar = _ahi > _alo ? _ahi - _alo : 0.01
    set yrange [(_alo - 0.3 * _ar) : (_ahi + 0.2 * _ar)]
    plot for [i=1:words(_list)] IN \
        using (strcol("method") eq word(_list, i) && finite(column("val_acc_lo")) ? column("step") : NaN):(column("val_acc_lo")):(column("val_acc_hi")) \
        with filledcurves lc rgb method_color(word(_list, i)) notitle, \
        for [i=1:words(_list)] IN \
        using (strcol("method") eq word(_list, i) ? column("step") : NaN):(column("val_acc_mean")) \
        with lines lw 1.5 lc rgb method_color(word(_list, i)) notitle
    set autoscale y
}

# Panel 3: loss vs wall time (the mean over seeds of the time at which
# each evaluation was made, including the evaluations themselves).
if (_has_time) {
    set title _ylabel." vs wall time"
    set xlabel "wall time (s, mean over seeds)"
    set ylabel _ylabel
    unset key
    if (_logy) { @LOGY }
    plot for [i=1:words(_list)] IN \
        using (strcol("method") eq word(_list, i) && finite(column("ci_lo")) ? column("time_s_mean") : NaN):(column("ci_lo")):(column("ci_hi")) \
        with filledcurves lc rgb method_color(word(_list, i)) notitle, \
        for [i=1:words(_list)] IN \
        using (strcol("method") eq word(_list, i) ? column("time_s_mean") : NaN):(column("mean")) \
        with lines lw 1.5 lc rgb method_color(word(_list, i)) notitle
}
unset multiplot
