#!/bin/bash
# GPU session 2026-11-27 (eleventh session): three trainings at once.
# TINY=1 runs every command at toy size (a local check of the flags).
if [ -z "$TINY" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --target /tmp/site . > /dev/null 2>&1 || echo "pkg install failed"
  export PYTHONPATH=$PWD:/tmp/site XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
  nvidia-smi -L; python3 -c "import jax; print(jax.__version__, jax.devices())"
  LIMIT=${LIMIT:-450}; PY=python3
else
  LIMIT=300; PY=.venv/bin/python
fi
R=${OUT:-/tmp/out5}/r; W=/tmp/w5; rm -rf $W; mkdir -p $R/p $W; date +%s > $R/t0
size() { if [ -n "$TINY" ]; then echo "--train_size=128 --epochs=1 --test_size=32"; else echo "$1"; fi; }
go() {  # name, flags...
  local n=$1; shift
  timeout $LIMIT $PY -m experiments.train "$@" --workdir=$W/$n --export_params=$R/p/$n.msgpack > $R/$n.log 2>&1 &
}
# Issue 12: more steps at K = 100 (10 dB), and a smaller batch for mixed sizes.
go u100_l3_40k  --model=uwgnn --users=100 $(size "--train_size=40000 --epochs=40")
go mixed10_b32  --model=uwgnn --users=100 --users_min=10 --batch_size=32 $(size "--train_size=40000 --epochs=30")
go mixedsnr_b32 --model=uwgnn --users=100 --users_min=10 --batch_size=32 --snr_db_min=-5 --snr_db_max=45 --relative_loss $(size "--train_size=40000 --epochs=30")
wait; echo "train done $(( $(date +%s) - $(cat $R/t0) )) s"
for f in $R/*.log; do echo "== $f"; grep -v Warning $f | grep -E "epoch|%|total|rror" | tail -3; done
tar czf $R/workdirs.tgz -C $W . 2>/dev/null
cd ${OUT:-/tmp/out5} && tar czf all.tgz r && rm -rf r
