// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of any kprobe-based tracer of a walk, for make bench: an empty
 * kretprobe on the function the walk starts in, whose entry handler
 * declines the return, as ephport's does for a search it does not trace.
 * What it adds to a call is what no handler, however small, can win back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>

static char *symbol;
module_param(symbol, charp, 0444);
MODULE_PARM_DESC(symbol, "the function probed");

/* Instances: more than the calls a bench keeps in flight at once. */
#define FLOOR_MAXACTIVE 64

static int floor_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 1;
}

static int floor_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static struct kretprobe floor_probe = {
	.entry_handler = floor_entry,
	.handler = floor_return,
	.maxactive = FLOOR_MAXACTIVE,
};

static int __init floor_init(void)
{
	if (!symbol) {
		pr_err("symbol= names the function to probe\n");
		return -EINVAL;
	}
	floor_probe.kp.symbol_name = symbol;
	return register_kretprobe(&floor_probe);
}

static void __exit floor_exit(void)
{
	unregister_kretprobe(&floor_probe);
}

module_init(floor_init);
module_exit(floor_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("An empty kretprobe: the floor of a kprobe tracer's cost");
