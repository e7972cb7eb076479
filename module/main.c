// SPDX-License-Identifier: GPL-2.0
/*
 * ephport: shows step by step how the kernel picks an ephemeral port when
 * a socket binds or listens on port 0 (inet_csk_get_port()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "perturb.h"
#include "counters.h"
#include "debugfs.h"
#include "probes.h"
#include "ring.h"
#include "search.h"

#define EPHPORT_RING_DEFAULT 8192

static unsigned int ring_size = EPHPORT_RING_DEFAULT;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size,
		 "records the ring holds, rounded up to a power of two (64..1048576, default 8192)");

static char *detail = "passes";
module_param(detail, charp, 0444);
MODULE_PARM_DESC(detail,
		 "initial detail: searches, passes (default) or candidates; change it in control");

static bool slot_load = true;
module_param(slot_load, bool, 0444);
MODULE_PARM_DESC(slot_load,
		 "take connect()'s slot value from the kernel's load of it (default 1; 0: read around it)");

static int __init ephport_init(void)
{
	struct ephport_config config = {};
	int err;

	err = match_string(ephport_detail_names, EPHPORT_DETAIL_COUNT, detail);
	if (err < 0) {
		pr_err("detail=%s: expected searches, passes or candidates\n",
		       detail);
		return -EINVAL;
	}
	config.detail = err;
	if (ring_size < EPHPORT_RING_MIN || ring_size > EPHPORT_RING_MAX) {
		pr_err("ring_size=%u: expected %u..%lu\n", ring_size,
		       EPHPORT_RING_MIN, EPHPORT_RING_MAX);
		return -EINVAL;
	}
	if (config.detail == EPHPORT_DETAIL_CANDIDATES) {
		err = ephport_search_want_candidates();
		if (err) {
			pr_err("detail=candidates: no memory for the searches waiting for the worker\n");
			return err;
		}
	}
	ephport_config_set(&config);

	err = ephport_ring_init(ring_size);
	if (err)
		goto free_searches;
	err = ephport_counters_init();
	if (err)
		goto free_ring;
	/* the writers of searches handed over, before any probe can hand one */
	ephport_search_init();
	err = ephport_probes_register(config.detail, slot_load);
	if (err)
		goto counters;
	err = ephport_debugfs_init();
	if (err)
		goto unregister;
	pr_info("tracing port-0 searches, detail=%s, ring of %lu records\n",
		detail, roundup_pow_of_two(ring_size));
	if (!ephport_secrets_allowed())
		pr_info(EPHPORT_WITHHELD "\n");
	return 0;

unregister:
	ephport_probes_unregister();
	ephport_search_flush();
counters:
	ephport_counters_exit();
free_ring:
	ephport_ring_exit();
free_searches:
	ephport_search_exit();
	return err;
}

static void __exit ephport_exit(void)
{
	ephport_debugfs_exit();
	ephport_probes_unregister();
	ephport_search_flush();
	ephport_counters_exit();
	ephport_ring_exit();
	ephport_search_exit();
}

module_init(ephport_init);
module_exit(ephport_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Trace how the kernel picks an ephemeral port for bind/listen on port 0");
MODULE_VERSION(EPHPORT_VERSION);
