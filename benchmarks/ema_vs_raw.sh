#!/bin/bash
# Raw against averaged generators (docs/study.md, "Generator EMA: raw against averaged"):
#   bash benchmarks/ema_vs_raw.sh ROOT
# trains the demo config (alphagan_stacked_mnist, seeds 0-2) and alphagan_ring8 (seeds 0-4), each as one group, then
# evaluates every seed three ways from the same checkpoint: --weights=raw, --weights=ema (ema.batch_stats=raw, the
# default) and the average with averaged BatchNorm statistics, through a copy of the run (its checkpoints linked, not
# copied) whose config.json says ema.batch_stats=averaged. Prints the table. Resumable: finished evals are skipped.
set -euo pipefail
root=${1:?usage: bash benchmarks/ema_vs_raw.sh ROOT}
python -m aegan.train --config=experiments/alphagan_ring8.py --workdir="$root/ring8" --seeds=0,1,2,3,4
python -m aegan.train --config=experiments/alphagan_stacked_mnist.py --workdir="$root/demo" --seeds=0,1,2
for run in "$root"/ring8/seed_{0,1,2,3,4} "$root"/demo/seed_{0,1,2}; do
  averaged=$run-averaged
  compgen -G "$averaged/eval_*.json" > /dev/null && continue
  python -m aegan.eval --checkpoint="$run" --weights=raw
  python -m aegan.eval --checkpoint="$run" --weights=ema
  mkdir -p "$averaged" && ln -sfn "$run/checkpoints" "$averaged/checkpoints"
  python - "$run" "$averaged" <<'PY'
import json, sys
config = json.load(open(f'{sys.argv[1]}/config.json'))
config['ema']['batch_stats'] = 'averaged'
json.dump(config, open(f'{sys.argv[2]}/config.json', 'w'), indent=2)
PY
  python -m aegan.eval --checkpoint="$averaged" --weights=ema
done
python - "$root" <<'PY'
import glob, json, sys
import numpy as np
root = sys.argv[1]
for suite, keys in (('ring8', ('modes', 'high_quality_fraction', 'reverse_kl')),
                    ('demo', ('modes', 'reverse_kl', 'confident_fraction'))):
    print(suite)
    for name, pattern in (('raw', 'seed_{}/eval_*_raw.json'), ('ema, raw BN statistics', 'seed_{}/eval_[0-9]*[0-9].json'),
                          ('ema, averaged BN statistics', 'seed_{}-averaged/eval_[0-9]*[0-9].json')):
        seeds = sorted(int(p.rsplit('_', 1)[1]) for p in glob.glob(f'{root}/{suite}/seed_[0-9]*') if p[-1].isdigit())
        results = [json.load(open(glob.glob(f'{root}/{suite}/' + pattern.format(s))[0]))['metrics'] for s in seeds]
        cells = [f'{k} {np.mean([r[k] for r in results]):.4g} ({", ".join(f"{r[k]:.4g}" for r in results)})' for k in keys]
        print(f'  {name:<28}', '  '.join(cells))
PY
