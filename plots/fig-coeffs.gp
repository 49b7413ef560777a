# fig-coeffs.gp: coefficient ablation (experiment 6): the same short
# training with each coefficient list, orthogonalizing in fp32 and in bf16.
# One point per (list, precision): mean over seeds with its 95% CI; left
# the final validation loss, right the test accuracy (when present).
# Reads the statistics that `muonlab plot` computes from the train
# summaries (grouped by label or method, and precision): columns method,
# precision, n, n_invalid, mean, ci_lo, ci_hi (the loss), test_acc_mean,
# test_acc_lo, test_acc_hi (optional), metric (the loss column's name).
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

_hdr = system(sprintf("awk '!/^#/ { gsub(/[\\r\"]/, \"\"); print; exit }' '%s'", IN))
has(c) = strstrt(",". _hdr .",", ",".c.",") > 0
_has_acc = has("test_acc_mean")
_metric = "final_loss"
if (has("metric")) {
    stats IN using (_metric = strcol("metric"), 0) every ::0::0 nooutput
}
_ylabel = _metric eq "final_loss" || _metric eq "final_val_loss" ? \
          "final validation loss" : _metric

_col = "method"; @UNIQUE
_methods = _list
_col = "precision"; @UNIQUE
_precs = _list
_nm = words(_methods)
_npr = words(_precs)
stats IN using (column("n_invalid")) nooutput
_nbad = STATS_sum
stats IN using (column("n") + column("n_invalid")) nooutput
_nseeds = int(STATS_max)
if (_has_acc) {
    stats IN using (strcol("test_acc_mean") ne "nan" && strcol("test_acc_mean") ne "" ? 1 : 0) nooutput
    _has_acc = STATS_sum > 0
}
# x position of (method i, precision p): side by side around i.
xpos(i, p) = i + (p - (_npr + 1) / 2.0) * 0.22
prec_pt(p) = p == 1 ? 7 : p == 2 ? 9 : p == 3 ? 5 : 13
# A CI that is not defined (one seed) collapses to the mean.
lo(c, m) = finite(column(c)) ? column(c) : column(m)

_np = 1 + _has_acc
if (_np > 1 && _ext eq "png") {
    set terminal pngcairo enhanced font "Helvetica,11" size 1300, 560 linewidth 1.5
    set output OUT
}
if (_np > 1 && _ext eq "pdf") {
    set terminal pdfcairo enhanced color font "Helvetica,8" size 7in, 2.8in linewidth 1.5
    set output OUT
}
set xrange [0.5 : _nm + 0.5]
set xtics () nomirror
do for [i=1:_nm] { set xtics add (word(_methods, i) i) }
set xlabel "coefficient list"
set grid ytics noxtics
set bars small
set multiplot layout 1, _np title sprintf("Coefficient lists in training: mean and 95%% CI over %d seeds", _nseeds)

stats IN using (finite(column("mean")) ? column("mean") : NaN) nooutput
_top = STATS_max
set title _ylabel noenhanced
set ylabel _ylabel noenhanced
set key top left
# Runs that diverged or failed are not in the mean: a cross above the
# point's column says how many there were.
plot for [p=1:_npr] for [i=1:_nm] IN \
    using (strcol("method") eq word(_methods, i) && strcol("precision") eq word(_precs, p) && finite(column("mean")) ? xpos(i, p) : NaN):(column("mean")):(lo("ci_lo", "mean")):(lo("ci_hi", "mean")) \
    with yerrorbars pt prec_pt(p) ps 1.0 lw 1.2 lc rgb method_color(word(_methods, i)) notitle, \
    for [p=1:_npr] NaN with points pt prec_pt(p) ps 1.0 lc rgb "#444444" title word(_precs, p), \
    for [i=1:_nm] IN \
    using (strcol("method") eq word(_methods, i) && column("n_invalid") > 0 ? i : NaN):(_top) \
    with points pt 2 ps 1.5 lc rgb "#000000" \
    title (i == 1 ? badtitle(_nbad, "diverged/failed runs") : "")

if (_has_acc) {
    set title "test accuracy"
    set ylabel "test accuracy"
    unset key
    plot for [p=1:_npr] for [i=1:_nm] IN \
        using (strcol("method") eq word(_methods, i) && strcol("precision") eq word(_precs, p) && finite(column("test_acc_mean")) ? xpos(i, p) : NaN):(column("test_acc_mean")):(lo("test_acc_lo", "test_acc_mean")):(lo("test_acc_hi", "test_acc_mean")) \
        with yerrorbars pt prec_pt(p) ps 1.0 lw 1.2 lc rgb method_color(word(_methods, i)) notitle
}
unset multiplot
