#!/bin/bash
# The runs behind results/, in the order of issue 38's priorities, as a 2-core CPU trains them: each line resumes
# what an earlier call left (finished runs are skipped, killed ones resume from their checkpoints), so the same
# command continues the queue after any interruption. Budgets grow in stages on one root (constant learning rates:
# a staged run ends where a straight one would), and every stage leaves an eval, the report's learning curves.
#
#   bash results/study_queue.sh ROOT        # from a checkout of a fixed commit (git worktree), ROOT outside it
#   python -m aegan.study --report --root=ROOT/<suite> --out=results/<suite>   # as each suite's stage finishes
set -u
ROOT=${1:?usage: bash results/study_queue.sh ROOT}
cd "$(dirname "$0")/.."
study() { python -m aegan.study "$@" --group_seeds=auto || echo "QUEUE: failed: $*"; }
five=0,1,2,3,4
# (1) PacGAN's 2-D protocol, DCGAN (the GAN row to reproduce) and alpha-GAN: 10% of the budget on 5 seeds first.
# At 10% DCGAN's high-quality fraction sat below the published row's (ring 82% vs 98%, grid 54% vs 95%) and was
# still rising on the grid: DCGAN goes on to 25% before alpha-GAN starts, to tell the budget from the recipe.
for mixture in ring8 grid25; do
  study --suite=${mixture}_pacgan --root="$ROOT/${mixture}_pacgan" --methods=dcgan --seeds=$five --steps=40000
done
for mixture in ring8 grid25; do
  study --suite=${mixture}_pacgan --root="$ROOT/${mixture}_pacgan" --methods=dcgan --seeds=$five --steps=100000
done
for mixture in ring8 grid25; do
  study --suite=${mixture}_pacgan --root="$ROOT/${mixture}_pacgan" --methods=alphagan --seeds=$five --steps=40000
done
# (2) and (3) Stacked MNIST, alpha-GAN and DCGAN, D = G (veegan) then D = 1/4 G (hard), 3 seeds, in stages.
for steps in 1500 5000 10000 15000; do
  for setting in veegan hard; do
    study --suite=stacked_mnist --root="$ROOT/stacked_mnist" --methods=alphagan,dcgan --settings=$setting \
      --steps=$steps
  done
done
# (4) WGAN-GP and the methods without a data discriminator at the same budget.
study --suite=stacked_mnist --root="$ROOT/stacked_mnist" --methods=wgan_gp,ae,vae,aae,age --settings=veegan,hard \
  --steps=15000
# Then the 2-D protocol toward its full budget and 10 seeds.
for steps in 100000 400000; do
  for method in dcgan alphagan; do
    for mixture in ring8 grid25; do
      study --suite=${mixture}_pacgan --root="$ROOT/${mixture}_pacgan" --methods=$method --steps=$steps
    done
  done
done
echo QUEUE_DONE
