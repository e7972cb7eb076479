// SPDX-License-Identifier: GPL-2.0
/*
 * The probe kit (probe.h): attaching one probe, finding an instruction
 * probe's place in its caller's code (x86-64's: a call, or a load from a
 * kernel variable's table), each probe's hits and misses.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/ftrace.h>
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
DEFINE_PER_CPU(u64[PROBE_COUNT], ephport_probe_hits_pcpu);
/* every probe attached and every extent known: searches may start */
static bool ready;

u64 ephport_probe_hits(const struct ephport_probe *p)
{
	u64 hits = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		hits += per_cpu(ephport_probe_hits_pcpu, cpu)[p->id];
	return hits;
}

unsigned long ephport_probe_missed(const struct ephport_probe *p)
{
	if (p->is_kretprobe)
		return READ_ONCE(p->rp.nmissed) + READ_ONCE(p->rp.kp.nmissed);
	/* a site_calls probe misses none: ftrace calls it for each call */
	return READ_ONCE(p->kp.nmissed);
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

/* A kprobe at @addr, which is in no symbol's name (0: none found), named @name. */
static int register_at(struct ephport_probe *p, unsigned long addr, const char *name)
{
	int err = -ENOENT;

	if (addr) {
		p->kp.symbol_name = NULL;
		p->kp.addr = (kprobe_opcode_t *)addr;
		p->kp.flags = 0;
		err = register_kprobe(&p->kp);
	}
	p->symbol = err ? NULL : name;
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

/* A call-depth thunk's padding symbol, just before its function. */
static const char thunk_pfx[] = "__pfx_";

/* Where the direct call at @insn (CALL_REL32_LEN bytes, returning to @site) goes. */
static unsigned long call_target(const u8 *insn, unsigned long site)
{
	s32 rel;

	memcpy(&rel, insn + 1, sizeof(rel));
	return site + rel;
}

/*
 * The call at @insn (CALL_REL32_LEN bytes, returning to @site) is a direct
 * call of the function @name (kallsyms names its start), or of a clone of
 * it with @clones, or of its call-depth thunk in the padding before it.
 */
static bool calls(const u8 *insn, unsigned long site, const char *name, bool clones)
{
	static const char start[] = "+0x0/";
	char sym[KSYM_SYMBOL_LEN];
	size_t len = strlen(name);
	const char *at = sym;

	if (insn[0] != CALL_REL32_OPCODE)
		return false;
	sprint_symbol(sym, call_target(insn, site));
	if (str_has_prefix(sym, thunk_pfx))
		at += strlen(thunk_pfx);
	if (strncmp(at, name, len))
		return false;
	at += len;
	/* GCC's clones of it with fewer arguments keep its place */
	if (clones && (str_has_prefix(at, ".constprop.") || str_has_prefix(at, ".isra.")))
		at = strchrnul(at, '+');
	/* the thunk is anywhere in the padding; the function, at its start */
	return str_has_prefix(sym, thunk_pfx) ? *at == '+' : str_has_prefix(at, start);
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
	bool wanted = p->site_calls ? n > 0 && n <= EPHPORT_SITES_MAX : n == 1;
	const char *want = p->site_calls ? "1 to " __stringify(EPHPORT_SITES_MAX) : "one";

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
 * gets back from its direct calls of @name (or of its clones, with
 * @clones), read from its code: up to
 * EPHPORT_SITES_MAX return addresses into @sites.  Returns how many there
 * are, or -1 when its code could not be read.  Registering a kprobe there
 * then checks that it is an instruction boundary.
 */
static int find_call_sites(const struct ephport_probe *in, const char *name, bool clones,
			   unsigned long *sites)
{
	struct text_extent e;
	u8 *code = code_of(in, &e);
	unsigned long off;
	int n = 0;

	if (!code)
		return -1;
	for (off = 0; off + CALL_REL32_LEN <= e.end - e.start; off++) {
		if (calls(code + off, e.start + off + CALL_REL32_LEN, name, clones)) {
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
 * The first place from @off on where @code (@e's) adds the variable @name
 * to a register, as takes_variable() reads it: its offset, or the code's
 * size when there is none.
 */
static unsigned long next_variable_use(const u8 *code, const struct text_extent *e,
				       unsigned long off, const char *name, u8 *reg,
				       unsigned long *addr)
{
	for (; off < e->end - e->start; off++)
		if (takes_variable(code + off, e->end - e->start - off,
				   e->start + off + RIP_INSN_LEN, name, reg, addr))
			break;
	return off;
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
	unsigned long found = 0, off, size;
	struct text_extent e;
	unsigned int n = 0;
	u8 *code = code_of(in, &e), base, dest;

	if (!code) {
		found_as_wanted(in, p, -1, p->site_load);
		return 0;
	}
	size = e.end - e.start;
	for (off = next_variable_use(code, &e, 0, p->site_load, &base, NULL); off < size;
	     off = next_variable_use(code, &e, off + 1, p->site_load, &base, NULL)) {
		if (loads_through(code + off + RIP_INSN_LEN, size - off - RIP_INSN_LEN, base,
				  &dest)) {
			found = e.start + off + RIP_INSN_LEN;
			p->site_base = base;
			p->site_dest = dest;
			n++;
		}
	}
	kfree(code);
	return found_as_wanted(in, p, n, p->site_load) ? found : 0;
}

/* more x86-64 encodings, for a call's first argument */
#define REX_X		0x02
#define OP_MOV_RM_REG	0x89
#define MODRM_DISP8	0x40
#define SIB_RSP		0x24	/* base %rsp, no index */
#define REG_BX		3
#define REG_BP		5
#define REG_DI		7
#define REG_R12		12
#define STORE_DISP8_LEN	4	/* mov reg, disp8(%rsp), without REX */
/* Bytes before a call looked through for the setting of its argument. */
#define ARG_CODE_BACK	32

/* The REX prefix at @insn, 0 when there is none; *@n counts it. */
static u8 rex_of(const u8 *insn, size_t len, unsigned int *n)
{
	*n = len && (insn[0] & 0xf0) == REX;
	return *n ? insn[0] : 0;
}

/* At @insn: "mov reg, %edi" (or %rdi, either encoding): its length, 0 if not. */
static unsigned int moves_to_di(const u8 *insn, size_t len, u8 *src)
{
	unsigned int n;
	u8 rex = rex_of(insn, len, &n), modrm;

	if (len < n + 2)
		return 0;
	modrm = insn[n + 1];
	if ((modrm & MODRM_MOD) != MODRM_MOD)
		return 0;
	if (insn[n] == OP_MOV_RM_REG && (modrm & MODRM_RM) == REG_DI && !(rex & REX_B)) {
		*src = MODRM_REG(modrm) | (rex & REX_R ? 8 : 0);
		return n + 2;
	}
	if (insn[n] == OP_MOV_REG_RM && MODRM_REG(modrm) == REG_DI && !(rex & REX_R)) {
		*src = (modrm & MODRM_RM) | (rex & REX_B ? 8 : 0);
		return n + 2;
	}
	return 0;
}

/*
 * At @insn: "mov reg, disp8(%rsp)" of 32 or 64 bits (*@width bytes), the
 * displacement signed: its length, 0 if not.
 */
static unsigned int stores_to_stack(const u8 *insn, size_t len, u8 *reg, int *disp, int *width)
{
	unsigned int n;
	u8 rex = rex_of(insn, len, &n);

	if (len < n + STORE_DISP8_LEN || insn[n] != OP_MOV_RM_REG ||
	    (insn[n + 1] & (MODRM_MOD | MODRM_RM)) != (MODRM_DISP8 | RM_SIB) ||
	    insn[n + 2] != SIB_RSP || (rex & (REX_B | REX_X)))
		return 0;
	*reg = MODRM_REG(insn[n + 1]) | (rex & REX_R ? 8 : 0);
	*disp = (s8)insn[n + 3];
	*width = rex & REX_W ? sizeof(u64) : sizeof(u32);
	return n + STORE_DISP8_LEN;
}

/* x86-64's callee-saved registers: %rbx, %rbp, %r12-%r15 */
static bool callee_saved(u8 reg)
{
	return reg == REG_BX || reg == REG_BP || reg >= REG_R12;
}

/* Where a call's argument is at its return: as in struct ephport_probe. */
struct arg_place {
	bool in_slot;
	u8 reg;
	u8 slot;
};

/*
 * The code from @code[@k] to the call at @code[@call] is "mov reg, %edi"
 * then only stores to the stack: where that register's value is at the
 * call's return, into @a.
 */
static bool arg_from(const u8 *code, unsigned long k, unsigned long call, struct arg_place *a)
{
	unsigned int n = moves_to_di(code + k, call - k, &a->reg);
	int disp, width, slot = -1;
	u8 reg;

	if (!n)
		return false;
	for (k += n; k < call; k += n) {
		n = stores_to_stack(code + k, call - k, &reg, &disp, &width);
		if (!n)
			return false;
		/* a later store over the slot takes it */
		if (slot >= 0 && disp < slot + (int)sizeof(u32) && slot < disp + width)
			slot = -1;
		if (reg == a->reg && disp >= 0)
			slot = disp;
	}
	if (k != call)
		return false;
	a->in_slot = !callee_saved(a->reg);
	a->slot = slot;
	return !a->in_slot || slot >= 0;
}

/*
 * An instruction starts at @addr, as the kprobes core decodes @addr's
 * function from its start: a kprobe registered disabled is not armed, so
 * no code changes.  Process context (it waits for RCU).
 */
static bool insn_starts_at(unsigned long addr)
{
	struct kprobe kp = {
		.addr = (kprobe_opcode_t *)addr,
		.flags = KPROBE_FLAG_DISABLED,
	};

	if (register_kprobe(&kp))
		return false;
	unregister_kprobe(&kp);
	return true;
}

/*
 * Where the argument of the call at @site - CALL_REL32_LEN in the code of
 * function probe @in is at @site, into @p: read from the bytes before the
 * call, where an instruction starts (a byte read alone could be a REX
 * prefix or the end of the instruction before).  It assumes no jump lands
 * between that instruction and the call, as none does in Debian's builds
 * of the three lines; one that did would bring another %edi, which the
 * searches' own checks of the bound (a half's width, a stride's bound)
 * would most likely refuse.
 */
static bool find_site_arg(const struct ephport_probe *in, struct ephport_probe *p,
			  unsigned long site)
{
	unsigned long call, k;
	struct text_extent e;
	struct arg_place a;
	u8 *code = code_of(in, &e);
	bool found = false;

	if (!code)
		return false;
	call = site - CALL_REL32_LEN - e.start;
	/* one reading at most starts at an instruction: the others are inside it */
	for (k = call > ARG_CODE_BACK ? call - ARG_CODE_BACK : 0; !found && k < call; k++)
		found = arg_from(code, k, call, &a) && insn_starts_at(e.start + k);
	kfree(code);
	if (!found) {
		pr_info("%s: where %s's argument is at its return is not known: not attached\n",
			in->symbol, p->site_call);
		return false;
	}
	p->site_arg_in_slot = a.in_slot;
	p->site_arg_reg = a.reg;
	p->site_arg_slot = a.slot;
	return true;
}

bool ephport_probe_site_arg(const struct ephport_probe *p, struct pt_regs *regs, u32 *arg)
{
	unsigned long at = kernel_stack_pointer(regs) + p->site_arg_slot;

	if (!p->site_arg_in_slot) {
		*arg = ephport_probe_reg(regs, p->site_arg_reg);
		return true;
	}
	if (!regs_within_kernel_stack(regs, at) ||
	    !regs_within_kernel_stack(regs, at + sizeof(*arg) - 1))
		return false;
	*arg = READ_ONCE(*(u32 *)at);
	return true;
}

unsigned long ephport_probe_variable(const struct ephport_probe *in, const char *name)
{
	unsigned long addr = 0;
	struct text_extent e;
	u8 *code = code_of(in, &e), reg;

	if (code)
		next_variable_use(code, &e, 0, name, &reg, &addr);
	kfree(code);
	return addr;
}

#ifdef CONFIG_DYNAMIC_FTRACE
/* The function the call returning to @site goes to: its start, past a call-depth thunk. */
static unsigned long callee_of(unsigned long site)
{
	char sym[KSYM_SYMBOL_LEN];
	u8 insn[CALL_REL32_LEN];
	struct text_extent e;
	unsigned long target;

	if (copy_from_kernel_nofault(insn, (void *)(site - CALL_REL32_LEN), sizeof(insn)))
		return 0;
	target = call_target(insn, site);
	sprint_symbol(sym, target);
	if (str_has_prefix(sym, thunk_pfx))
		target = text_extent_of(target, &e) ? 0 : e.end;
	return target;
}

/* ftrace's entry of a site_calls probe's function: its sites' calls only. */
static void notrace site_called(unsigned long ip, unsigned long parent_ip,
				struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	const struct ephport_probe *p = container_of(ops, struct ephport_probe, ops);
	unsigned int i;

	for (i = 0; i < p->nr_sites; i++)
		if (parent_ip == p->sites[i])
			p->called(p);
}

/* @p's ftrace entries of the functions its @n @sites (0: none found) call. */
static int register_calls(struct ephport_probe *p, const unsigned long *sites, unsigned int n,
			  const char *name)
{
	unsigned long callees[EPHPORT_SITES_MAX];
	int err = -ENOENT;
	unsigned int i;

	for (i = 0; i < n; i++) {
		callees[i] = callee_of(sites[i]);
		if (!callees[i])
			goto out;
	}
	if (n) {
		memcpy(p->sites, sites, n * sizeof(*sites));
		p->nr_sites = n;
		/*
		 * Without FTRACE_OPS_FL_RECURSION (flags left 0), called
		 * straight from the trampoline: nothing it calls is one of its
		 * functions.
		 */
		p->ops.func = site_called;
		err = ftrace_set_filter_ips(&p->ops, callees, n, 0, 1);
		if (!err)
			err = register_ftrace_function(&p->ops);
		if (err) {
			ftrace_free_filter(&p->ops);
			p->nr_sites = 0;
		}
	}
out:
	p->symbol = err ? NULL : name;
	p->err = err;
	return err;
}

static void unregister_calls(struct ephport_probe *p)
{
	/* waits until no task is in site_called() */
	int err = unregister_ftrace_function(&p->ops);

	/* only a dead ftrace refuses: its hash is still read, and our text goes */
	if (err)
		pr_crit("%s: ftrace would not unregister (%d): its next calls may oops\n",
			p->symbol, err);
	else
		ftrace_free_filter(&p->ops);
	p->nr_sites = 0;
}
#else
static int register_calls(struct ephport_probe *p, const unsigned long *sites, unsigned int n,
			  const char *name)
{
	p->err = -EOPNOTSUPP;
	return p->err;
}

static void unregister_calls(struct ephport_probe *p)
{
}
#endif

int ephport_probe_register(struct ephport_probe *p)
{
	unsigned long sites[EPHPORT_SITES_MAX];
	bool arg_unknown = false;
	int i, n, err;

	if (p->active_per_cpu)
		p->rp.maxactive = p->active_searches + p->active_per_cpu * num_possible_cpus();
	memset(&p->extent, 0, sizeof(p->extent));
	if (p->site_call) {
		const struct ephport_probe *in = listed[p->site_in];
		const char *name = p->symbols[0];

		if (p->site_has_inlined && !in->symbol) {
			in = listed[p->site_inlined];
			name = p->symbols[1];
		}
		/* a clone's arguments are not the function's */
		n = find_call_sites(in, p->site_call, !p->site_arg, sites);
		if (!found_as_wanted(in, p, n, p->site_call))
			n = 0;
		/* at a call's return only, where its argument was left */
		arg_unknown = n && p->site_arg &&
			      (p->site_at_call || !find_site_arg(in, p, sites[0]));
		if (arg_unknown)
			n = 0;
		for (i = 0; i < n && p->site_at_call; i++)
			sites[i] -= CALL_REL32_LEN;
		err = p->site_calls ? register_calls(p, sites, n, name) :
				      register_at(p, n ? sites[0] : 0, name);
		if (arg_unknown) {
			p->err = -ENOEXEC;
			err = p->err;
		}
	} else if (p->site_load) {
		sites[0] = find_load_site(listed[p->site_in], p);
		err = register_at(p, sites[0], p->symbols[0]);
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
	if (p->is_kretprobe)
		unregister_kretprobe(&p->rp);
	else if (p->site_calls)
		unregister_calls(p);
	else
		unregister_kprobe(&p->kp);
	p->symbol = NULL;
}
