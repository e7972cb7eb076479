#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What the time tracing adds to a bind() iteration is spent on, from the
profile job's samples (tests/guest/profile.sh): per group of symbols, the
samples with the module loaded (at detail=passes, then tracing another
process) less those without it, in microseconds per iteration of
socket+bind+listen+close.

usage: profile.py CONSOLE_LOG
"""
import re
import sys
from collections import Counter, defaultdict

# The kprobe and kretprobe machinery, entry (through ftrace) and return
# (through a rethook), by name.
ENTRY = re.compile(r"^(ftrace_trampoline|ftrace_regs_caller|kprobe_ftrace_handler|"
                   r"pre_handler_kretprobe|rethook_try_get|arch_rethook_prepare|get_kprobe)$")
# A kprobe inside a function, optimized into a jump to its detour buffer.
OPTIMIZED = re.compile(r"^(kprobe_optinsn_page|optimized_callback|opt_pre_handler)$")
RETURN = re.compile(r"^(arch_rethook_trampoline.*|rethook_trampoline_handler|"
                    r"kretprobe_rethook_handler|rethook_recycle|arch_rethook_fixup_return)$")
# Interrupts are delivered where they are enabled again: a sample due in an
# interrupts-off stretch (the ring's lock, among others) lands here.
IRQS_ON = re.compile(r"^_raw_spin_unlock_irqrestore$")


def main():
    samples, module = defaultdict(Counter), set()
    iterations, hz, bench = {}, {}, {}
    for line in open(sys.argv[1], errors="replace"):
        f = line.strip().split(",")
        if f[0] == "PROF" and len(f) == 7:
            config, n, rate, _dso, sym, count = f[1:]
            samples[config][sym] += int(count)
            iterations[config], hz[config] = int(n), int(rate)
        elif f[0] == "MODSYM" and len(f) == 2:
            module.add(f[1])
        elif f[0] == "BENCH" and len(f) == 10:
            bench[f[1]] = (int(f[5]), float(f[7]))
    if "none" not in samples or "passes" not in samples:
        print("profile: no samples in", sys.argv[1])
        return 1
    us = {c: 1e6 / hz[c] / iterations[c] for c in samples}
    per_iter = {c: 1e6 / bench[c][1] for c in bench}
    for config, what in (("passes", "detail=passes"),
                         ("filtered", "loaded, tracing another process (pid=1)")):
        if config in samples:
            report(config, what, samples, us, module, bench, per_iter)
    return 0


def report(config, what, samples, us, module, bench, per_iter):
    """The groups of what @config adds to an iteration, and the module's own functions."""
    groups = defaultdict(float)
    own = Counter()
    for sym in set(samples["none"]) | set(samples[config]):
        added = samples[config][sym] * us[config] - samples["none"][sym] * us["none"]
        if sym in module:
            groups["ephport's handlers and records"] += added
            own[sym] += added
        elif ENTRY.match(sym):
            groups["kprobe entry (ftrace trampoline, kretprobe pre-handler)"] += added
        elif OPTIMIZED.match(sym):
            groups["kprobe inside a function (optimized: a jump to its detour)"] += added
        elif RETURN.match(sym):
            groups["kretprobe return (rethook trampoline)"] += added
        elif IRQS_ON.match(sym):
            groups["interrupts-off stretches (samples land at the unlock)"] += added
        else:
            groups["the rest (kernel and workload; sampling noise)"] += added
    total = sum(groups.values())
    print("\nprofile (perf, -icount: samples of virtual time, 1 per 100 us, no call chains): "
          f"what {what} adds per iteration of socket+bind+listen+close")
    if "none" in per_iter and config in per_iter:
        print(f"  iteration {per_iter['none']:.1f} us untraced, {per_iter[config]:.1f} us {config}: "
              f"+{per_iter[config] - per_iter['none']:.1f} us; bind() median "
              f"{bench['none'][0] / 1000:.1f} -> {bench[config][0] / 1000:.1f} us")
    print(f"  {'group':<58} {'us':>6} {'share':>6}")
    for name, value in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<58} {value:>6.2f} {value / total:>6.0%}")
    print(f"  {'sum of the samples':<58} {total:>6.2f}")
    # what no handler, however short, can save: the probes' own hooks
    hooks = sum(v for name, v in groups.items() if name.startswith(("kprobe", "kretprobe")))
    if "none" in per_iter:
        print(f"  {'the kprobe machinery alone':<58} {hooks:>6.2f} "
              f"{hooks / per_iter['none']:>6.1%} of an untraced iteration")
    print("  ephport's own, by function:")
    for sym, value in own.most_common(8):
        print(f"    {sym:<40} {value:>6.2f} us")

if __name__ == "__main__":
    sys.exit(main())
