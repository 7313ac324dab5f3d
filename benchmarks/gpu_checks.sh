#!/usr/bin/env bash
# The GPU checks of the issues, as one prepared run for the device tool (a lent GPU machine
# has PyTorch, numpy, scipy, scikit-learn, matplotlib, pytest and hypothesis, and no network).
#
#   bash benchmarks/gpu_checks.sh prepare     # here, once: .gpu/ (ignored) gets FrEIA's wheel
#                                             # and MNIST (from $INFOPLANE_DATA or ../shared/data)
#   device run: command "bash benchmarks/gpu_checks.sh", carry [".gpu"], timeout_s 600
#
# In that order, each step under `timeout`, every log under $OUT (or .gpu/out):
#   1. pytest -k cuda over tests/ (the CUDA tests the CPU CI skips)
#   2. benchmarks/ibinn.py --device cuda: one MNIST IB-INN training step against its FrEIA
#      twins (ms/step, s/epoch, GPU memory peak, ratio)
#   3. KSG at N = 1e5, d = 64 per side on the GPU (time; estimate against the exact value)
#   4. benchmarks/ibinn_mnist.py --device cuda --conv-blocks 4,4 --stretch 1e-3: the IB-INN at gamma = 1 and its
#      twin on MNIST (issue 13's targets: error <= 1.5 %, bits/dim <= 1.3), each model given half
#      the time left before the deadline, less what step 5 keeps
#   5. benchmarks/ibinn.py --device cuda --sides infoplane --compile default reduce-overhead:
#      the same step under torch.compile, plain and with CUDA graphs (compile times printed),
#      in the time that is left
# The whole run ends within GPU_BUDGET seconds (default 540), inside one 600 s command.
set -u
cd "$(dirname "$0")/.."

if [ "${1:-}" = "prepare" ]; then
    set -e
    grep -qx "/.gpu/" .git/info/exclude 2>/dev/null || echo "/.gpu/" >> .git/info/exclude
    mkdir -p .gpu/whl .gpu/data
    python3 -m pip wheel --quiet --no-deps -w .gpu/whl "freia==0.2"   # pure Python: any Python 3
    data="${INFOPLANE_DATA:-../shared/data}"
    cp "$data/mnist.pkl.gz" .gpu/data/
    du -sh .gpu
    exit 0
fi

deadline=$((SECONDS + ${GPU_BUDGET:-540}))
out="${OUT:-.gpu/out}"
mkdir -p "$out"
export PYTHONPATH="$PWD:/tmp/site" PYTHONUNBUFFERED=1 INFOPLANE_DATA="$PWD/.gpu/data"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    .gpu/whl/*.whl > "$out/pip.log" 2>&1 || echo "FrEIA wheel not installed (see pip.log)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$out/gpu.txt"

step() {   # step NAME SECONDS COMMAND...: run with a time limit, log to $out/NAME.log, say how it ended
    local name=$1 limit=$2
    shift 2
    local start=$SECONDS
    timeout "$limit" "$@" > "$out/$name.log" 2>&1
    local rc=$?
    echo "== $name: rc $rc in $((SECONDS - start)) s (limit $limit s)"
    tail -n 25 "$out/$name.log"
}

step pytest_cuda 120 python3 -m pytest -q -p no:cacheprovider -k cuda tests/
step ibinn_freia 100 python3 benchmarks/ibinn.py --device cuda --rounds 10 --steps 10
step ksg_gpu 60 python3 -c "
import time, torch
from infoplane.data.toys import correlated_gaussians
from infoplane.estimators import mutual_information
x, y, exact = correlated_gaussians(100_000, d=64, rho=0.5, seed=0)
x, y = torch.from_numpy(x).to('cuda'), torch.from_numpy(y).to('cuda')
mutual_information(x[:2000], y[:2000]); torch.cuda.synchronize()
start = time.perf_counter(); est = float(mutual_information(x, y)); torch.cuda.synchronize()
print(f'KSG N=1e5 d=64 on {torch.cuda.get_device_name()}: {time.perf_counter() - start:.2f} s, '
      f'estimate {est:.4f} nats, exact {exact:.4f} nats')
"
left=$((deadline - SECONDS - 60 - 130))   # 60 s to score and test OoD, 130 s for step 5
if [ "$left" -gt 60 ]; then
    minutes=$(python3 -c "print(round($left / 2 / 60, 2))")
    # four couplings per convolutional stage: on the CPU they reach the default's bits/dim after
    # 15 epochs in 9, at 1.2-1.35 times its seconds per epoch, and end 0.1 lower; the input stretch
    # at sigma pays most of the log-det the soft clamp holds back (README, MNIST: the CPU run of
    # this configuration)
    step ibinn_mnist $((left + 55)) python3 benchmarks/ibinn_mnist.py --device cuda --epochs 30 \
        --milestones 20,27 --conv-blocks 4,4 --stretch 1e-3 --minutes "$minutes" --out "$out/ibinn_mnist.json"
else
    echo "== ibinn_mnist: skipped, only $left s left"
fi
left=$((deadline - SECONDS))
if [ "$left" -gt 30 ]; then
    step ibinn_compile "$left" python3 benchmarks/ibinn.py --device cuda --rounds 10 --steps 10 \
        --sides infoplane --compile default reduce-overhead
fi
echo "== total $SECONDS s"
