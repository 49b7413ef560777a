/* muonlab.c: the command-line tool's entry point and subcommand table. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "muon/names.h"
#include "muon/io.h"
#include "muon_config.h"

/* Subcommands live one per file (src/cli/NAME.c).  They are declared weak so
 * that the tool links while a subcommand is still being written; the table
 * below reports one that is absent instead of crashing. */
#define CMD(name) int cmd_##name(int argc, char **argv) __attribute__((weak));
CMD(methods)
CMD(ortho)
CMD(spectrum)
CMD(coeffs)
CMD(replay)
CMD(train)
CMD(sweep)
CMD(stats)
CMD(plot)
CMD(bench)
#undef CMD

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} subcommand;

static const subcommand commands[] = {
    {"methods", cmd_methods, "list every orthogonalizer with its defaults"},
    {"ortho", cmd_ortho, "orthogonalize a matrix and measure the result"},
    {"spectrum", cmd_spectrum, "the composed scalar map of a method"},
    {"coeffs", cmd_coeffs, "derive, check and search coefficient schedules"},
    {"replay", cmd_replay, "run the Muon driver over a recorded gradient trace"},
    {"train", cmd_train, "train a model (mlp, cnn, gpt, linear)"},
    {"sweep", cmd_sweep, "run an ablation grid from an experiment file"},
    {"stats", cmd_stats, "statistics across seeds and Welch t-tests"},
    {"plot", cmd_plot, "regenerate figures from existing results"},
    {"bench", cmd_bench, "benchmark orthogonalizers against the machine"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
usage(FILE *f)
{
    fprintf(f, "usage: muonlab COMMAND [OPTIONS]   (muonlab COMMAND --help)\n\n"
               "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].fn)
            fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nmuonlab %s\n", MUON_VERSION);
}

int
main(int argc, char **argv)
{
    /* GSL's default handler aborts; the library checks GSL return codes
     * instead (PITFALLS.md 6). */
    gsl_set_error_handler_off();
    muon_provenance_set_command(argc, argv);

    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("muonlab %s\n", MUON_VERSION);
        return CLI_EXIT_OK;
    }
    const char *names[NCOMMANDS + 1];
    size_t k = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (!commands[i].fn)
            continue;
        names[k++] = commands[i].name;
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    }
    names[k] = NULL;
    const char *near = muon_closest_name(argv[1], names);
    fprintf(stderr, "muonlab: unknown command '%s'", argv[1]);
    if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, "\n");
    usage(stderr);
    return CLI_EXIT_USAGE;
}
