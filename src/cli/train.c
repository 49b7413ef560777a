/* train.c: `muonlab train`: trains a model (mlp, cnn, gpt, linear) on
 * Fashion-MNIST, a text corpus or a synthetic task with the Muon driver or
 * a plain AdamW/SGD baseline.  The work is in train_opts.c (shared with
 * tests/test-train.c); the output contract is in train_opts.h. */
#include "train_opts.h"

int
cmd_train(int argc, char **argv)
{
    return train_main(argc, argv);
}
