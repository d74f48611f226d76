#!/usr/bin/env python3
"""Checks xcorr's conv2d forward and backward against PyTorch's.

Random cases of every kind (stride, asymmetric padding, dilation, groups,
depthwise, 1x1, both layouts) run through conv_runner (the C API) and through
torch.nn.functional.conv2d with autograd, in float64; each xcorr output must be
within the contract's bound, 1e-4 * S, S being the sum of |terms|. Shapes torch
refuses must be refused by xcorr too. Usage: torch_check.py CONV_RUNNER [CASES]
"""
import random
import subprocess
import sys

import torch
import torch.nn.functional as F


def run_xcorr(runner, fields, with_bias, inputs):
    data = b"".join(t.to(torch.float32).contiguous().numpy().tobytes() for t in inputs)
    args = [runner] + [str(f) for f in fields] + ["bias" if with_bias else "nobias"]
    done = subprocess.run(args, input=data, capture_output=True, check=False)
    if done.returncode != 0:
        return None, done.stdout.decode()
    return torch.frombuffer(bytearray(done.stdout), dtype=torch.float32).double(), ""


def torch_conv(x, w, bias, stride, pads, dilation, groups):
    top, bottom, left, right = pads
    x = F.pad(x, (left, right, top, bottom))
    return F.conv2d(x, w, bias, stride=stride, dilation=dilation, groups=groups)


def check_case(runner, rng, case):
    groups = rng.choice([1, 1, 2, 3])
    cin = groups * rng.randint(1, 3)
    cout = groups * rng.randint(1, 3)
    if rng.random() < 0.2:  # depthwise
        groups, cin, cout = cin, cin, cin * rng.choice([1, 2])
    n = rng.randint(1, 2)
    h, w_in = rng.randint(1, 20), rng.randint(1, 40)
    kh, kw = rng.randint(1, 5), rng.randint(1, 5)
    sh, sw = rng.randint(1, 3), rng.randint(1, 3)
    dh, dw = rng.randint(1, 3), rng.randint(1, 3)
    pads = [rng.randint(0, 3) for _ in range(4)]
    layout = rng.randint(0, 1)
    with_bias = rng.random() < 0.5
    fields = [n, cin, cout, h, w_in, kh, kw, sh, sw, *pads, dh, dw, groups, layout]

    x = torch.randn(n, cin, h, w_in, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(cout, cin // groups, kh, kw, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(cout, dtype=torch.float64, requires_grad=True) if with_bias else None
    try:
        y = torch_conv(x, weight, bias, (sh, sw), pads, (dh, dw), groups)
    except RuntimeError:
        y = None
    if y is None or y.numel() == 0:
        _, err = run_xcorr(runner, fields, with_bias, [])
        assert err, f"case {case}: torch refuses {fields} but xcorr accepts it"
        return "refused"
    dy = torch.randn_like(y)
    y.backward(dy)
    # Term sums S for the bound: the same ops on absolute values.
    with torch.no_grad():
        abs_bias = bias.abs() if with_bias else None
        s_y = torch_conv(x.abs(), weight.abs(), abs_bias, (sh, sw), pads, (dh, dw), groups)
    xa = x.detach().abs().requires_grad_(True)
    wa = weight.detach().abs().requires_grad_(True)
    ba = bias.detach().abs().requires_grad_(True) if with_bias else None
    torch_conv(xa, wa, ba, (sh, sw), pads, (dh, dw), groups).backward(dy.abs())

    nhwc = layout == 1
    to_layout = (lambda t: t.permute(0, 2, 3, 1)) if nhwc else (lambda t: t)
    inputs = [to_layout(x.detach()), to_layout(weight.detach())]
    if with_bias:
        inputs.append(bias.detach())
    inputs.append(to_layout(dy))
    got, err = run_xcorr(runner, fields, with_bias, inputs)
    assert got is not None, f"case {case}: xcorr refused {fields}: {err}"
    expected = [
        ("y", to_layout(y.detach()), to_layout(s_y)),
        ("dx", to_layout(x.grad), to_layout(xa.grad)),
        ("dw", to_layout(weight.grad), to_layout(wa.grad)),
        ("dbias", bias.grad if with_bias else dy.sum((0, 2, 3)),
         ba.grad if with_bias else dy.abs().sum((0, 2, 3))),
    ]
    offset = 0
    for name, want, bound in expected:
        want, bound = want.reshape(-1), bound.reshape(-1)
        part = got[offset:offset + want.numel()]
        offset += want.numel()
        error = (part - want).abs()
        worst = int(torch.argmax(error - 1e-4 * bound))
        assert bool((error <= 1e-4 * bound + 1e-30).all()), (
            f"case {case} {fields} bias={with_bias}: {name}[{worst}] = {part[worst]}, "
            f"torch {want[worst]}, bound {1e-4 * bound[worst]}")
    return "checked"


def main():
    runner = sys.argv[1]
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rng = random.Random(20261125)
    torch.manual_seed(20261125)
    outcomes = {"checked": 0, "refused": 0}
    for case in range(cases):
        outcomes[check_case(runner, rng, case)] += 1
    print(f"torch_check: {outcomes['checked']} cases match PyTorch "
          f"{torch.__version__}, {outcomes['refused']} refused by both")


if __name__ == "__main__":
    main()
