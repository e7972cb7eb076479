// SPDX-License-Identifier: GPL-2.0
/* simulate: one of the kernel's searches run on the module's model. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "simulate.h"
#include "source.h"
#include "view.h"

struct sim_args {
	struct ep_sim sim;
	unsigned int draws[EPHPORT_MAX_HALF_PASSES];
	bool have_range, have_rand, candidates, human;
};

enum {
	OPT_RANGE = 0x100, OPT_REUSE, OPT_AUTOBIND, OPT_OFFSET, OPT_CONNECT, OPT_ONE_SWEEP,
	OPT_UDP, OPT_RAND, OPT_SLOTS, OPT_USED, OPT_RESERVED, OPT_CANDIDATES, OPT_HUMAN,
	OPT_STRIDE,
};

static const struct argp_option options[] = {
	{ "range", OPT_RANGE, "LO-HI", 0, "net.ipv4.ip_local_port_range (required)", 0 },
	{ "used", OPT_USED, "LIST", 0,
	  "Ports already bound (connect: towards that peer), e.g. 40001,40010-40020", 0 },
	{ "reserved", OPT_RESERVED, "LIST", 0, "net.ipv4.ip_local_reserved_ports", 0 },
	{ "candidates", OPT_CANDIDATES, NULL, 0, "Also print every port tried", 0 },
	{ "human", OPT_HUMAN, NULL, 0, "The human view instead of records (--json: JSON)", 0 },
	{ NULL, 0, NULL, 0, "bind() and listen() (the default):", 1 },
	{ "reuse", OPT_REUSE, NULL, 0, "The socket has SO_REUSEADDR", 1 },
	{ "autobind-reuse", OPT_AUTOBIND, NULL, 0, "net.ipv4.ip_autobind_reuse is set", 1 },
	{ "offset", OPT_OFFSET, "N[,N...]", 0,
	  "The random draw of each half pass, the last one repeating (connect: the "
	  "perturbation slot's value plus the hash's upper 32 bits); default: random", 1 },
	{ NULL, 0, NULL, 0, "connect():", 2 },
	{ "connect", OPT_CONNECT, NULL, 0, "connect()'s walk: low's parity first, then the other", 2 },
	{ "one-sweep", OPT_ONE_SWEEP, NULL, 0,
	  "The socket set IP_LOCAL_PORT_RANGE (6.8+: one sweep in steps of 1)", 2 },
	{ "stride", OPT_STRIDE, "N", 0,
	  "net.ipv4.ip_local_port_step_width's random stride (7.x): each port tried is "
	  "N steps on; N shares no factor with the ports of a sweep", 2 },
	{ NULL, 0, NULL, 0, "UDP:", 3 },
	{ "udp", OPT_UDP, NULL, 0, "UDP's walk, slot by slot", 3 },
	{ "rand", OPT_RAND, "N", 0, "Its random draw; default: random", 3 },
	{ "slots", OPT_SLOTS, "N", 0,
	  "The hash table's slots, a power of 2 from 1 to 65536 (dmesg: 'UDP hash table "
	  "entries'); default 256", 3 },
	{ 0 }
};

static error_t parse_offsets(struct sim_args *s, const char *arg)
{
	char *copy = strdup(arg), *cursor = copy, *item;
	long value;

	s->sim.ndraws = 0;
	while (copy && (item = strsep(&cursor, ","))) {
		if (s->sim.ndraws == EPHPORT_MAX_HALF_PASSES ||
		    !ep_parse_long(item, 0, UINT_MAX, &value)) {
			free(copy);
			return ep_usage_error("--offset wants up to 4 numbers, not '%s'", arg),
			       EP_ARGP_SAID;
		}
		s->draws[s->sim.ndraws++] = (unsigned int)value;
	}
	free(copy);
	return 0;
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct sim_args *s = state->input;
	long value;

	switch (key) {
	case OPT_RANGE:
		if (!ep_parse_port_range(arg, &s->sim.low, &s->sim.high))
			return ep_usage_error("--range wants LO-HI within 1-65535, not '%s'", arg),
			       EP_ARGP_SAID;
		s->have_range = true;
		return 0;
	case OPT_REUSE:
		s->sim.reuse = true;
		return 0;
	case OPT_AUTOBIND:
		s->sim.autobind_reuse = true;
		return 0;
	case OPT_OFFSET:
		return parse_offsets(s, arg);
	case OPT_CONNECT:
		s->sim.kind = EP_SIM_CONNECT;
		return 0;
	case OPT_ONE_SWEEP:
		s->sim.sock_range = true;
		return 0;
	case OPT_STRIDE:
		if (!ep_parse_long(arg, 1, EP_PORTS, &value))
			return ep_usage_error("--stride wants a number from 1 to 65536, not '%s'", arg),
			       EP_ARGP_SAID;
		s->sim.stride = (unsigned int)value;
		return 0;
	case OPT_UDP:
		s->sim.kind = EP_SIM_UDP;
		return 0;
	case OPT_RAND:
		if (!ep_parse_long(arg, 0, UINT_MAX, &value))
			return ep_usage_error("--rand wants a number below 2^32, not '%s'", arg),
			       EP_ARGP_SAID;
		s->draws[0] = (unsigned int)value;
		s->have_rand = true;
		return 0;
	case OPT_SLOTS:
		if (!ep_parse_long(arg, 1, EP_PORTS, &value) || (value & (value - 1)))
			return ep_usage_error("--slots wants a power of 2 from 1 to 65536, not '%s'",
					      arg), EP_ARGP_SAID;
		s->sim.slots = (unsigned int)value;
		return 0;
	case OPT_USED:
	case OPT_RESERVED:
		if (!ep_parse_port_list(arg, (bool *)(key == OPT_USED ? s->sim.used :
								      s->sim.reserved)))
			return ep_usage_error("--%s wants ports like 40001,40010-40020, not '%s'",
					      key == OPT_USED ? "used" : "reserved", arg),
			       EP_ARGP_SAID;
		return 0;
	case OPT_CANDIDATES:
		s->candidates = true;
		return 0;
	case OPT_HUMAN:
		s->human = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Runs one of the kernel's searches on the same model the module uses and prints it in "
	"the module's record format: bind()'s (Linux 6.1 inet_csk_find_open_port, the "
	"default), connect()'s (__inet_hash_connect) or UDP's (udp_lib_get_port).\n"
	"\vExamples:\n"
	"  ephport simulate --range 32768-60999 --reuse --offset 4520\n"
	"  ephport simulate --range 40000-40009 --connect --used 40000-40004 --human\n"
	"  ephport simulate --range 40000-40019 --connect --stride 3 --candidates\n"
	"  ephport simulate --range 40000-40009 --udp --rand 12345 --slots 256 --candidates",
	NULL, NULL, NULL
};

/* Options that belong to another walk than the one chosen. */
static bool mixed(const struct sim_args *s)
{
	const struct ep_sim *sim = &s->sim;

	return ((sim->sock_range || sim->stride) && sim->kind != EP_SIM_CONNECT) ||
	       (s->have_rand && sim->kind != EP_SIM_UDP) ||
	       ((sim->reuse || sim->autobind_reuse) && sim->kind != EP_SIM_BIND) ||
	       (sim->ndraws > 1 && sim->kind != EP_SIM_BIND) ||
	       (sim->ndraws && sim->kind == EP_SIM_UDP);
}

/* Ports in one of connect()'s sweeps of the range. */
static unsigned int sweep_ports(const struct ep_sim *sim)
{
	struct ephport_half_pass hp;

	ephport_connect_begin(sim->low, sim->high, sim->sock_range, &hp);
	return hp.remaining / hp.step;
}

/* A stride the kernel can draw for this range: every port of a sweep once. */
static bool stride_fits(const struct ep_sim *sim)
{
	unsigned int ports = sweep_ports(sim);

	return sim->stride <= ports && ephport_gcd(sim->stride, ports) == 1;
}

/* The draws not given: random, as the kernel's. */
static void fill_draws(struct sim_args *s)
{
	struct ep_sim *sim = &s->sim;

	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	if (sim->kind == EP_SIM_UDP) {
		if (!s->have_rand)
			s->draws[0] = (unsigned int)rand();
		sim->ndraws = 1;
	} else if (sim->kind == EP_SIM_CONNECT) {
		sim->perturb = sim->ndraws ? s->draws[0] : (unsigned int)rand();
	} else if (!sim->ndraws) {
		for (sim->ndraws = 0; sim->ndraws < EPHPORT_MAX_HALF_PASSES; sim->ndraws++)
			s->draws[sim->ndraws] = (unsigned int)rand();
	}
}

static void print_record(const struct ep_record *rec, void *ctx)
{
	char line[512];

	(void)ctx;
	ep_record_format(rec, line, sizeof(line));
	fputs(line, stdout);
}

static void assemble_record(const struct ep_record *rec, void *ctx)
{
	ep_asm_record(ctx, rec);
}

static int run(int argc, char **argv)
{
	static bool used[EP_PORTS], reserved[EP_PORTS];
	static struct sim_args s;
	struct ep_session session;
	struct ep_assembler a;
	int code;

	s.sim.used = used;
	s.sim.reserved = reserved;
	s.sim.draws = s.draws;
	s.sim.slots = EP_SIM_UDP_SLOTS;
	code = ep_parse_args(&argp, argc, argv, &s);
	if (code)
		return code;
	if (!s.have_range)
		return ep_usage_error("simulate needs --range LO-HI");
	if (mixed(&s))
		return ep_usage_error("an option of another walk: see ephport simulate --help");
	if (s.sim.stride && !stride_fits(&s.sim))
		return ep_usage_error("--stride %u: a sweep of %d-%d has %u ports, and the kernel's stride is at most that and shares no factor with it",
				      s.sim.stride, s.sim.low, s.sim.high, sweep_ports(&s.sim));
	fill_draws(&s);
	if (!ep_cli.json && !s.human) {
		ep_simulate(&s.sim, s.candidates, print_record, NULL);
		return EP_EXIT_OK;
	}
	ep_session_init(&session, ep_cli.json ? EP_VIEW_JSON : EP_VIEW_HUMAN);
	ep_asm_init(&a, ep_show_search, NULL, &session);
	ep_simulate(&s.sim, s.candidates, assemble_record, &a);
	ep_asm_finish(&a, true);
	return EP_EXIT_OK;
}

const struct ep_command ep_cmd_simulate = {
	"simulate", "run one of the kernel's searches in userspace, without the module", run
};
