// SPDX-License-Identifier: GPL-2.0
/*
 * The probe kit (probe.h): attaching one probe, finding an instruction
 * probe's place in its caller's code (x86-64's: a call, or a load from a
 * kernel variable's table), each probe's hits and misses.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "probe.h"

static struct ephport_probe *const *listed;
static DEFINE_PER_CPU(u64[PROBE_COUNT], probe_hits);
/* every probe attached and every extent known: searches may start */
static bool ready;

void ephport_probe_hit(const struct ephport_probe *p)
{
	this_cpu_inc(probe_hits[p->id]);
}

u64 ephport_probe_hits(const struct ephport_probe *p)
{
	u64 hits = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		hits += per_cpu(probe_hits, cpu)[p->id];
	return hits;
}

unsigned long ephport_probe_missed(const struct ephport_probe *p)
{
	unsigned long missed;
	unsigned int i;

	if (p->is_kretprobe)
		return READ_ONCE(p->rp.nmissed) + READ_ONCE(p->rp.kp.nmissed);
	missed = READ_ONCE(p->kp.nmissed);
	for (i = 0; i < p->nr_more; i++)
		missed += READ_ONCE(p->site_more[i].nmissed);
	return missed;
}

void ephport_probe_list(struct ephport_probe *const *list)
{
	listed = list;
}

struct ephport_probe *ephport_probe_of(enum ephport_probe_id id)
{
	return listed[id];
}

bool ephport_probe_attached(enum ephport_probe_id id)
{
	return READ_ONCE(listed[id]->symbol);
}

bool ephport_probes_ready(void)
{
	/* pairs with the release in ephport_probes_set_ready() */
	return smp_load_acquire(&ready);
}

void ephport_probes_set_ready(bool now)
{
	/* the extents written before are seen by whoever reads it set */
	smp_store_release(&ready, now);
}

static int register_one(struct ephport_probe *p)
{
	const char *const *symbol;
	int err = -ENOENT;

	for (symbol = p->symbols; *symbol; symbol++) {
		if (p->is_kretprobe) {
			p->rp.kp.symbol_name = *symbol;
			p->rp.kp.addr = NULL;
			p->rp.kp.flags = 0;
			err = register_kretprobe(&p->rp);
		} else {
			p->kp.symbol_name = *symbol;
			p->kp.addr = NULL;
			p->kp.flags = 0;
			err = register_kprobe(&p->kp);
		}
		if (!err) {
			p->symbol = *symbol;
			p->err = 0;
			return 0;
		}
	}
	p->err = err;
	return err;
}

/* pt_regs' registers in x86-64's numbering: the ModRM and REX fields' */
static const unsigned int reg_offsets[] = {
	offsetof(struct pt_regs, ax), offsetof(struct pt_regs, cx),
	offsetof(struct pt_regs, dx), offsetof(struct pt_regs, bx),
	offsetof(struct pt_regs, sp), offsetof(struct pt_regs, bp),
	offsetof(struct pt_regs, si), offsetof(struct pt_regs, di),
	offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
	offsetof(struct pt_regs, r10), offsetof(struct pt_regs, r11),
	offsetof(struct pt_regs, r12), offsetof(struct pt_regs, r13),
	offsetof(struct pt_regs, r14), offsetof(struct pt_regs, r15),
};

unsigned long ephport_probe_reg(struct pt_regs *regs, u8 reg)
{
	return regs_get_register(regs, reg_offsets[reg & (ARRAY_SIZE(reg_offsets) - 1)]);
}

/* @p's kprobes: kp, then those of its site_more attached. */
static unsigned int kprobes_of(struct ephport_probe *p, struct kprobe **kps)
{
	unsigned int i;

	kps[0] = &p->kp;
	for (i = 0; i < p->nr_more; i++)
		kps[i + 1] = &p->site_more[i];
	return p->nr_more + 1;
}

/* Kprobes at the @n places @addrs, which are in no symbol's name (0: none found). */
static int register_at(struct ephport_probe *p, const unsigned long *addrs, unsigned int n)
{
	struct kprobe *kps[EPHPORT_SITES_MAX];
	int err = -ENOENT;
	unsigned int i;

	p->nr_more = 0;
	if (n && n <= EPHPORT_SITES_MAX) {
		p->nr_more = n - 1;
		kprobes_of(p, kps);
		for (i = 0; i < n; i++) {
			kps[i]->symbol_name = NULL;
			kps[i]->addr = (kprobe_opcode_t *)addrs[i];
			kps[i]->flags = 0;
			kps[i]->pre_handler = p->kp.pre_handler;
			kps[i]->post_handler = p->kp.post_handler;
		}
		/* all or none */
		err = register_kprobes(kps, n);
		if (err)
			p->nr_more = 0;
	}
	p->symbol = err ? NULL : p->symbols[0];
	p->err = err;
	return err;
}

/* Where @p is attached. */
static unsigned long probe_address(const struct ephport_probe *p)
{
	return (unsigned long)(p->is_kretprobe ? p->rp.kp.addr : p->kp.addr);
}

/* The function @addr is in, from "name+0xOFF/0xSIZE" as kallsyms prints it. */
static int text_extent_of(unsigned long addr, struct text_extent *e)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long offset, size;
	const char *plus;

	sprint_symbol(buf, addr);
	plus = strrchr(buf, '+');
	if (!plus || sscanf(plus, "+%lx/%lx", &offset, &size) != 2 ||
	    offset > addr)
		return -ENOENT;
	e->start = addr - offset;
	e->end = e->start + size;
	return 0;
}

/* A direct call: opcode and 32-bit displacement. */
#define CALL_REL32_OPCODE 0xe8
#define CALL_REL32_LEN 5
/* More code than the functions searched have (inet_csk_get_port(), 3 KiB at most) */
#define CALLER_CODE_MAX SZ_16K

/*
 * The call at @insn (CALL_REL32_LEN bytes, returning to @site) is a direct
 * call of the function @name (kallsyms names its start) or of a clone of
 * it, or of its call-depth thunk in the padding before it.
 */
static bool calls(const u8 *insn, unsigned long site, const char *name)
{
	static const char pfx[] = "__pfx_", start[] = "+0x0/";
	char sym[KSYM_SYMBOL_LEN];
	size_t len = strlen(name);
	const char *at = sym;
	s32 rel;

	if (insn[0] != CALL_REL32_OPCODE)
		return false;
	memcpy(&rel, insn + 1, sizeof(rel));
	sprint_symbol(sym, site + rel);
	if (str_has_prefix(sym, pfx))
		at += strlen(pfx);
	if (strncmp(at, name, len))
		return false;
	at += len;
	/* GCC's clones of it with fewer arguments keep its place */
	if (str_has_prefix(at, ".constprop.") || str_has_prefix(at, ".isra."))
		at = strchrnul(at, '+');
	/* the thunk is anywhere in the padding; the function, at its start */
	return str_has_prefix(sym, pfx) ? *at == '+' : str_has_prefix(at, start);
}

/*
 * A copy of the code of the function the probe @in is attached at (just
 * before), and where that code is: NULL when not attached, too large or
 * unreadable.  kfree() it.
 */
static u8 *code_of(const struct ephport_probe *in, struct text_extent *e)
{
	unsigned long at = in->symbol ? probe_address(in) : 0;
	u8 *code;

	if (!at || text_extent_of(at, e) || e->end - e->start > CALLER_CODE_MAX)
		return NULL;
	code = kmalloc(e->end - e->start, GFP_KERNEL);
	if (code && copy_from_kernel_nofault(code, (void *)e->start, e->end - e->start)) {
		kfree(code);
		return NULL;
	}
	return code;
}

/*
 * @n places in @in's code use @what (-1: its code was not read): say so
 * when that is not what @p wants.
 */
static bool found_as_wanted(const struct ephport_probe *in, const struct ephport_probe *p,
			    int n, const char *what)
{
	bool wanted = p->site_more ? n > 0 && n <= EPHPORT_SITES_MAX : n == 1;
	const char *want = p->site_more ? "1 to " __stringify(EPHPORT_SITES_MAX) : "one";

	if (n < 0)
		pr_info("%s: its code could not be read (not attached, or over %d bytes): no %s looked for\n",
			in->symbols[0], CALLER_CODE_MAX, what);
	else if (!wanted)
		pr_info("%s: %d places that use %s in its code (inlined, or another tracer's patch?), not %s\n",
			in->symbol, n, what, want);
	return wanted;
}

/*
 * Where the function probe @in is attached at (attached just before)
 * gets back from its direct calls of @name, read from its code: up to
 * EPHPORT_SITES_MAX return addresses into @sites.  Returns how many there
 * are, or -1 when its code could not be read.  Registering a kprobe there
 * then checks that it is an instruction boundary.
 */
static int find_call_sites(const struct ephport_probe *in, const char *name,
			   unsigned long *sites)
{
	struct text_extent e;
	u8 *code = code_of(in, &e);
	unsigned long off;
	int n = 0;

	if (!code)
		return -1;
	for (off = 0; off + CALL_REL32_LEN <= e.end - e.start; off++) {
		if (calls(code + off, e.start + off + CALL_REL32_LEN, name)) {
			if (n < EPHPORT_SITES_MAX)
				sites[n] = e.start + off + CALL_REL32_LEN;
			n++;
		}
	}
	kfree(code);
	return n;
}

/* x86-64's encodings read below */
#define REX		0x40
#define REX_W		0x08
#define REX_R		0x04
#define REX_B		0x01
#define OP_ADD_REG_RM	0x03
#define OP_MOV_REG_RM	0x8b
#define MODRM_MOD	0xc0
#define MODRM_RM	0x07
#define MODRM_REG(m)	(((m) >> 3) & 7)
#define RM_SIB		4
#define RM_RIP		5
/* REX.W add reg64, [rip + disp32] */
#define RIP_INSN_LEN	7

/* The byte at @insn is a REX prefix; with @w set, one that makes 64 bits. */
static bool rex(u8 insn, bool w)
{
	return (insn & 0xf0) == REX && !!(insn & REX_W) == w;
}

/*
 * At @insn, of @len bytes: "add reg64, [rip + disp32]" of the variable
 * @name (its own start, by kallsyms: not a module's), with the register
 * into @reg and the variable's address into @addr, if wanted; returning
 * to @next.  An add: the register held the index, scaled (a mov would make
 * it the table's first element).
 */
static bool takes_variable(const u8 *insn, size_t len, unsigned long next, const char *name,
			   u8 *reg, unsigned long *addr)
{
	char sym[KSYM_SYMBOL_LEN];
	size_t n = strlen(name);
	s32 disp;

	if (len < RIP_INSN_LEN || !rex(insn[0], true) || insn[1] != OP_ADD_REG_RM ||
	    (insn[2] & (MODRM_MOD | MODRM_RM)) != RM_RIP)
		return false;
	memcpy(&disp, insn + 3, sizeof(disp));
	sprint_symbol(sym, next + disp);
	if (strncmp(sym, name, n) || !str_has_prefix(sym + n, "+0x0/") || strchr(sym, ' '))
		return false;
	*reg = MODRM_REG(insn[2]) | (insn[0] & REX_R ? 8 : 0);
	if (addr)
		*addr = next + disp;
	return true;
}

/*
 * At @insn, of @len bytes: "mov reg32, [@base]", with the register
 * written into @dest.
 */
static bool loads_through(const u8 *insn, size_t len, u8 base, u8 *dest)
{
	u8 prefix = 0, modrm;

	if (len && rex(insn[0], false)) {
		prefix = insn[0];
		insn++;
		len--;
	}
	if (len < 2 || insn[0] != OP_MOV_REG_RM)
		return false;
	modrm = insn[1];
	if ((modrm & MODRM_MOD) || (modrm & MODRM_RM) == RM_SIB || (modrm & MODRM_RM) == RM_RIP ||
	    ((modrm & MODRM_RM) | (prefix & REX_B ? 8 : 0)) != base)
		return false;
	*dest = MODRM_REG(modrm) | (prefix & REX_R ? 8 : 0);
	return true;
}

/*
 * Where the function probe @in's code loads through the pointer it has
 * just added the variable @p->site_load to: "add reg64, [rip + variable]"
 * followed at once by "mov reg32, [reg64]" (an array's element read, the
 * index scaled beforehand).  Its address, with the registers
 * into @p, or 0 unless exactly one is found.
 */
static unsigned long find_load_site(const struct ephport_probe *in, struct ephport_probe *p)
{
	unsigned long found = 0, off;
	struct text_extent e;
	unsigned int n = 0;
	u8 *code = code_of(in, &e), base, dest;

	if (!code) {
		found_as_wanted(in, p, -1, p->site_load);
		return 0;
	}
	for (off = 0; off < e.end - e.start; off++) {
		size_t len = e.end - e.start - off;

		if (takes_variable(code + off, len, e.start + off + RIP_INSN_LEN, p->site_load,
				   &base, NULL) &&
		    loads_through(code + off + RIP_INSN_LEN, len - RIP_INSN_LEN, base, &dest)) {
			found = e.start + off + RIP_INSN_LEN;
			p->site_base = base;
			p->site_dest = dest;
			n++;
		}
	}
	kfree(code);
	return found_as_wanted(in, p, n, p->site_load) ? found : 0;
}

unsigned long ephport_probe_variable(const struct ephport_probe *in, const char *name)
{
	unsigned long addr = 0, off;
	struct text_extent e;
	u8 *code = code_of(in, &e), reg;

	for (off = 0; code && off < e.end - e.start; off++)
		if (takes_variable(code + off, e.end - e.start - off, e.start + off + RIP_INSN_LEN,
				   name, &reg, &addr))
			break;
	kfree(code);
	return addr;
}

int ephport_probe_register(struct ephport_probe *p)
{
	unsigned long sites[EPHPORT_SITES_MAX];
	int i, n, err;

	if (p->active_per_cpu)
		p->rp.maxactive = p->active_searches + p->active_per_cpu * num_possible_cpus();
	memset(&p->extent, 0, sizeof(p->extent));
	if (p->site_call) {
		n = find_call_sites(listed[p->site_in], p->site_call, sites);
		if (!found_as_wanted(listed[p->site_in], p, n, p->site_call))
			n = 0;
		for (i = 0; i < n && p->site_at_call; i++)
			sites[i] -= CALL_REL32_LEN;
		err = register_at(p, sites, n);
	} else if (p->site_load) {
		sites[0] = find_load_site(listed[p->site_in], p);
		err = register_at(p, sites, !!sites[0]);
	} else {
		err = register_one(p);
	}
	if (!err && p->wants_extent && text_extent_of(probe_address(p), &p->extent))
		pr_warn("%s: extent unknown, its calls are not followed\n", p->symbol);
	return err;
}

void ephport_probe_unregister(struct ephport_probe *p)
{
	if (!p->symbol)
		return;
	if (p->is_kretprobe) {
		unregister_kretprobe(&p->rp);
	} else {
		struct kprobe *kps[EPHPORT_SITES_MAX];

		unregister_kprobes(kps, kprobes_of(p, kps));
	}
	p->symbol = NULL;
}
