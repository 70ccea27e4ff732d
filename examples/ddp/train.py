#!/usr/bin/python3
"""A small PyTorch DistributedDataParallel job for gantry: it trains, checkpoints, resumes.

Every rank runs this file. gantry gives each rank the environment that torchrun would
(MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK), so the process group starts
from env:// with no launcher in between. The model is a small MLP fitted to synthetic
data made from a fixed seed, so two runs of the same job compute the same thing.

Checkpoints. Every --ckpt-every steps rank 0 writes CKPT_DIR/ckpt.pt (model, optimizer
and step; written to a temporary name, then renamed, so a reader never sees half of one).
At start every rank loads it when it exists: a gang that gantry requeued (after a node
failure, or a preemption) starts again with GANTRY_RESTART_COUNT > 0 and goes on from its
last checkpoint instead of step 0. CKPT_DIR must be storage that every node sees.

At the end the ranks all-gather a checksum of their parameters, and rank 0 writes
--result (JSON): whether every rank holds the same parameters, the step the run resumed
from, and which node and address each rank ran on.

    /usr/bin/python3 train.py --steps 300 --ckpt-dir /shared/ckpt --result /shared/result.json
"""
import argparse
import json
import os
import socket
import sys
import time
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

FEATURES, HIDDEN, SAMPLES, BATCH = 16, 64, 4096, 32


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=300, help="optimizer steps in all")
    p.add_argument("--ckpt-dir", default=os.environ.get("CKPT_DIR", "checkpoints"))
    p.add_argument("--ckpt-every", type=int, default=20, help="steps between checkpoints")
    p.add_argument("--result", default="result.json", help="rank 0 writes the summary here")
    p.add_argument("--step-delay", type=float, default=0.0,
                   help="sleep this long after each step (to watch a run, or cut it off)")
    return p.parse_args()


def dataset():
    """Synthetic regression data, the same on every rank: y = f(x) + noise."""
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(SAMPLES, FEATURES, generator=g)
    w = torch.randn(FEATURES, 1, generator=g)
    y = torch.tanh(x @ w) + 0.05 * torch.randn(SAMPLES, 1, generator=g)
    return x, y


def batch(x, y, step, rank, world):
    """This rank's share of step `step`: a fixed function of (step, rank), so a resumed run
    sees exactly the batches the interrupted one would have."""
    start = ((step * world + rank) * BATCH) % SAMPLES
    return x[start:start + BATCH], y[start:start + BATCH]


def my_address():
    """The address this rank reaches rank 0 from (the host's own address, not loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])))
        return s.getsockname()[0]


def save_checkpoint(path, step, model, opt):
    tmp = f"{path}.tmp"
    torch.save({"step": step, "model": model.module.state_dict(),
                "optimizer": opt.state_dict()}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model, opt):
    """The step to go on from: the checkpoint's, or 0 when there is none."""
    if not os.path.exists(path):
        return 0
    ck = torch.load(path)
    model.module.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    return ck["step"]


def checksum(model):
    with torch.no_grad():
        return float(sum(p.double().sum() * (i + 1) for i, p in enumerate(model.parameters())))


def main():
    args = parse_args()
    torch.manual_seed(0)  # the same initial model everywhere (DDP also broadcasts rank 0's)
    dist.init_process_group("gloo", init_method="env://", timeout=timedelta(seconds=120))
    rank, world = dist.get_rank(), dist.get_world_size()
    restarts = int(os.environ.get("GANTRY_RESTART_COUNT", "0"))
    node = os.environ.get("GANTRY_NODE", socket.gethostname())
    print(f"rank {rank}/{world} on {node} ({my_address()}), restart {restarts}", flush=True)

    model = DDP(nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, 1)))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    os.makedirs(args.ckpt_dir, exist_ok=True)
    ckpt = os.path.join(args.ckpt_dir, "ckpt.pt")
    resumed_from = load_checkpoint(ckpt, model, opt)
    if resumed_from:
        print(f"rank {rank}: resumed from the checkpoint of step {resumed_from}", flush=True)

    x, y = dataset()
    loss_fn = nn.MSELoss()
    first_loss = loss = None
    for step in range(resumed_from, args.steps):
        bx, by = batch(x, y, step, rank, world)
        opt.zero_grad()
        loss = loss_fn(model(bx), by)
        loss.backward()  # DDP averages the gradients over every rank here
        opt.step()
        first_loss = first_loss if first_loss is not None else loss.item()
        if rank == 0 and (step + 1) % args.ckpt_every == 0:
            save_checkpoint(ckpt, step + 1, model, opt)
            print(f"step {step + 1}: loss {loss.item():.4f}, checkpoint saved", flush=True)
        if args.step_delay:
            time.sleep(args.step_delay)

    # Every rank's view of the run, gathered at rank 0.
    mine = {"rank": rank, "node": node, "addr": my_address(), "checksum": checksum(model),
            "resumed_from": resumed_from, "restart_count": restarts}
    views = [None] * world
    dist.all_gather_object(views, mine)
    if rank == 0:
        sums = {v["checksum"] for v in views}
        result = {"world_size": world, "steps": args.steps, "agree": len(sums) == 1,
                  "checksum": views[0]["checksum"], "resumed_from": resumed_from,
                  "restart_count": restarts, "first_loss": first_loss,
                  "final_loss": loss.item() if loss is not None else None, "ranks": views}
        with open(args.result + ".tmp", "w") as f:
            json.dump(result, f, indent=1)
        os.replace(args.result + ".tmp", args.result)
        print(f"done: ranks agree: {result['agree']}, final loss {result['final_loss']}",
              flush=True)
    # DDP's reducer before the process group it uses: the other way round, torch 1.13 can
    # hang for ever freeing the model once main() returns.
    del model, opt
    dist.barrier()
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
