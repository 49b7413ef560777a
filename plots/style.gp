# style.gp: the shared look of every muonlab figure, loaded by each
# fig-*.gp: terminal from the output's extension, CSV read by column name,
# one fixed colour per method so a method looks the same in every figure.
# The script sets _argc, _arg1 (input CSV), _arg2 (output) before loading.
if (_argc < 2) {
    print "usage: gnuplot -c plots/fig-X.gp in.csv out.{pdf,png,svg,txt}"
    exit status 2
}
IN = _arg1
OUT = _arg2
_ext = strlen(OUT) > 3 ? OUT[strlen(OUT)-2:] : ""
if (_ext eq "pdf") {
    set terminal pdfcairo enhanced color font "Helvetica,9" size 5in,3.4in linewidth 1.5
} else { if (_ext eq "png") {
    set terminal pngcairo enhanced font "Helvetica,11" size 1000,700 linewidth 1.5
} else { if (_ext eq "svg") {
    set terminal svg enhanced font "Helvetica,11" size 1000,700 linewidth 1.5
} else { if (_ext eq "txt") {
    # Text rendering, used by the tests to check labels and markers.
    set terminal dumb size 160,50
} else {
    print "output must end in .pdf, .png, .svg or .txt: ".OUT
    exit status 2
}}}}
set output OUT

# Tidy CSV from muonlab: '#' provenance lines, then a header line.
# Columns are read by name (column("loss")), so their order does not matter.
set datafile separator ','
set datafile commentschars '#'
set datafile columnheaders

set grid back lc rgb "#e0e0e0" lw 0.5
set key box opaque samplen 2 spacing 1.1 font ",8"
set style fill transparent solid 0.2 noborder

# One colour per method in every figure (tab10-like, colour-blind aware
# order for the methods most often compared: ns5 blue, polar-express red).
method_color(m) = \
    m eq "svd"            ? "#000000" : \
    m eq "ns3"            ? "#8c564b" : \
    m eq "ns5"            ? "#1f77b4" : \
    m eq "ns5-converging" ? "#17becf" : \
    m eq "you5"           ? "#2ca02c" : \
    m eq "you6"           ? "#bcbd22" : \
    m eq "cans"           ? "#9467bd" : \
    m eq "polar-express"  ? "#d62728" : \
    m eq "gram-ns"        ? "#e377c2" : \
    m eq "custom"         ? "#f7b6d2" : \
    m eq "adamw"          ? "#ff7f0e" : \
    m eq "sgd"            ? "#7f7f7f" : \
    m eq "sgemm"          ? "#000000" : "#555555"
# Line style per precision where precisions share a panel.
precision_dash(p) = p eq "fp64" ? 1 : p eq "fp32" ? 2 : p eq "bf16" ? 3 : p eq "fp16" ? 4 : 5

# Diverged or failed runs are drawn, never dropped (gnuplot silently skips
# nan points, PITFALLS 3.8).  bad("col") is true for a row whose status is
# not "ok" or whose column "col" is empty, nan or inf; it reads the fields
# as strings because gnuplot discards a point as soon as an expression
# reads a nan number.  Needs a "status" column.
bad(c) = strcol("status") ne "ok" || strcol(c) eq "" || strcol(c) eq "nan" || \
         strcol(c) eq "-nan" || strcol(c) eq "inf" || strcol(c) eq "-inf"
finite(y) = (y == y) && abs(y) < 1e308
# A key entry only when there is something to show.
badtitle(n, what) = n > 0 ? sprintf("%s (%d)", what, n) : ""

# Distinct values of column _col in order of appearance, into _list
# (space-separated; use words()/word()):  _col = "method"; @UNIQUE
UNIQUE = '_list = " "; stats IN using (_v = strcol(_col), (strstrt(_list, " "._v." ") == 0 ? _list = _list._v." " : 0), 0) nooutput'
