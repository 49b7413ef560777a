#!/usr/bin/python3
"""train_torch.py: PyTorch reference for `muonlab train` throughput (and a
sanity check of the accuracy).  Trains the same models on the same
Fashion-MNIST preprocessing (one scalar mean/std over the training pixels)
with AdamW at batch 128 and prints samples/s of the training steps only
(data batching included, evaluation excluded), the figure muonlab reports
as samples_per_s.

  scripts/train_torch.py [--model mlp|cnn|both] [--epochs N] [--threads T]
                         [--max-steps N]

Needs python3-torch and python3-numpy (Debian); exits 0 with a message when
they are absent: nothing in the build or the tests depends on it.
"""
import argparse
import gzip
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"train_torch.py: {e}; install python3-torch and python3-numpy "
          "(apt-get install python3-torch) to run the PyTorch reference")
    sys.exit(0)

DIR = "/usr/share/datasets/fashion-mnist"


def load(prefix):
    with gzip.open(os.path.join(DIR, f"{prefix}-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(DIR, f"{prefix}-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc0 = nn.Linear(784, 256)
        self.fc1 = nn.Linear(256, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(F.relu(self.fc0(x)))))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def run(name, epochs, batch, xtr, ytr, xte, yte, lr, max_steps):
    torch.manual_seed(0)
    model = MLP() if name == "mlp" else CNN()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    n = xtr.shape[0] // batch * batch
    g = torch.Generator().manual_seed(0)
    train_s, samples = 0.0, 0
    for _ in range(epochs):
        perm = torch.randperm(xtr.shape[0], generator=g)
        model.train()
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            if max_steps and i // batch >= max_steps:
                n = i
                break
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        train_s += time.perf_counter() - t0
        samples += n
    model.eval()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(f"torch {torch.__version__} {name} AdamW lr {lr} batch {batch} "
          f"threads {torch.get_num_threads()}: {samples / train_s:.0f} "
          f"samples/s ({train_s / epochs:.2f} s/epoch), test_acc {acc:.4f} "
          f"after {epochs} epoch(s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="both", choices=["mlp", "cnn", "both"])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0,
                    help="stop each epoch after this many steps (timing)")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(DIR, "train-images-idx3-ubyte.gz")):
        print(f"train_torch.py: {DIR} is missing "
              "(apt-get install dataset-fashion-mnist)")
        return 0
    torch.set_num_threads(a.threads)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    mean, std = xtr[5000:].mean(), xtr[5000:].std()
    xtr = torch.from_numpy((xtr[5000:] - mean) / std)
    ytr = torch.from_numpy(ytr[5000:])
    xte = torch.from_numpy((xte - mean) / std)
    yte = torch.from_numpy(yte)
    for name in (["mlp", "cnn"] if a.model == "both" else [a.model]):
        run(name, a.epochs, a.batch, xtr, ytr, xte, yte, 1e-3, a.max_steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
