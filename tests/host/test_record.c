// SPDX-License-Identifier: GPL-2.0
/* The record parser and decoder: the module's lines and binary records, their round trip, and bad input. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "../../userspace/record.h"
#include "check.h"

/* Lines as module/record.c writes them. */
static const char *const good[] = {
	"seq=1 search=1 type=begin pid=120 tid=121 comm=node netns=4026531840 family=inet6 proto=tcp addr=:: reuse=1 reuseport=0 range=32768-60999 sockrange=none op=bind\n",
	"seq=2 search=1 type=pass pass=1 half=lower low=32768 high=46884 relax=0 parity=odd offset=4521 start=37289 examined=1\n",
	"seq=3 search=1 type=cand pass=1 port=37289 verdict=free\n",
	"seq=4 search=1 type=end port=37289 err=0 passes=1 examined=1 ns=48211 incomplete=0 probed=1 ts=1764921600123456789\n",
	"seq=5 search=2 type=begin pid=1 tid=1 comm=a?b netns=1 family=inet proto=dccp addr=10.0.0.1 reuse=0 reuseport=1 range=1024-65535 sockrange=50000-50099 op=bind\n",
	"seq=9 search=3 type=begin pid=1 tid=1 comm=curl netns=1 family=inet6 proto=tcp addr=:: reuse=0 reuseport=0 range=32768-60999 sockrange=none op=connect daddr=::1 dport=443 hash=18446744073709551615 slot=65535 perturb=4294967295\n",
	"seq=10 search=3 type=pass pass=1 half=whole low=32768 high=61000 relax=0 parity=even offset=0 start=32768 examined=1 step=2\n",
	"seq=11 search=4 type=begin pid=1 tid=1 comm=curl netns=1 family=inet proto=tcp addr=0.0.0.0 reuse=0 reuseport=0 range=32768-60999 sockrange=none op=connect daddr=10.0.0.1 dport=80 hash=1 slot=1 perturb=unknown\n",
	"seq=12 search=5 type=begin pid=1 tid=1 comm=dig netns=1 family=inet proto=udp addr=0.0.0.0 reuse=0 reuseport=0 range=32768-60999 sockrange=none op=bind\n",
	"seq=13 search=5 type=pass pass=1 half=whole low=32768 high=61000 relax=0 parity=odd offset=3 start=32771 examined=2 step=768 slots=256\n",
	"seq=6 search=2 type=pass pass=1 half=whole low=1024 high=65536 relax=1 parity=even offset=0 start=1024 examined=32256\n",
	"seq=7 search=2 type=end port=0 err=-98 passes=4 examined=8 ns=1 incomplete=1\n",
	"seq=20 search=0 type=clear cleared=12\n",
	"seq=8 search=2 type=end port=0 err=-98 passes=4 examined=8 ns=1 future=key\n",
};

static const char *const bad[] = {
	"",
	"\n",
	"garbage",
	"seq=1 search=1",
	"seq=1 search=1 type=bogus",
	"seq=x search=1 type=end port=1 err=0 passes=1 examined=1 ns=1",
	"seq=1 search=1 type=end port=1 err=0 passes=1 examined=1",
	"seq=1 search=1 type=end port=70000 err=0 passes=1 examined=1 ns=1",
	"seq=1 search=1 type=end port=1 err=5 passes=1 examined=1 ns=1",
	"seq=1 search=1 type=cand pass=1 port=5 verdict=",
	"seq=1 search=1 type=cand pass=1 port=5 verdict=a-word-far-too-long",
	"seq=1 search=1 type=cand pass=0 port=5 verdict=free",
	"seq=1 search=1 type=begin pid=1 comm=x family=inet proto=tcp reuse=1 range=5",
	"seq=1 search=1 type=begin pid=1 comm=x family=inet proto=tcp reuse=1 range=1-2-3",
	"seq=1 search=1 type=begin pid=1 comm=xxxxxxxxxxxxxxxxxxxxx family=inet proto=tcp reuse=1 range=1-2",
	"seq=1 search=1 type=pass pass=1 half=lower low=1 high=2 relax=0 parity=odd offset=-3 start=1",
	"seq=1 search=1 type=pass pass=1 half=lower low=1 high=2 relax=0 parity=unknown offset=1 start=1 examined=1",
	"seq=99999999999999999999999 search=1 type=end port=1 err=0 passes=1 examined=1 ns=1",
	"=1 seq=1 search=1 type=end port=1 err=0 passes=1 examined=1 ns=1",
	"seq=9 search=0 type=clear",
	"seq=9 search=0 type=clear cleared=-1",
	"seq=1 search=1 type=begin pid=1 comm=x family=inet proto=tcp reuse=1 range=1-2 op=",
	"seq=1 search=1 type=begin pid=1 comm=x family=inet proto=tcp reuse=1 range=1-2 hash=-1",
	"seq=1 search=1 type=begin pid=1 comm=x family=inet proto=tcp reuse=1 range=1-2 hash=18446744073709551616",
	"seq=1 search=1 type=begin pid=1 comm=x family=inet proto=tcp reuse=1 range=1-2 perturb=maybe",
	"seq=1 search=1 type=pass pass=1 half=whole low=1 high=2 relax=0 parity=odd offset=1 start=1 examined=1 slots=0",
};

/* The kernel's %pI6c of each address (lib/vsprintf.c, ip6_compressed_string). */
static const struct {
	unsigned char addr[16];
	const char *text;
} ip6[] = {
	{ { 0 }, "::" },
	{ { [15] = 1 }, "::1" },
	{ { [10] = 0xff, 0xff, 127, 0, 0, 1 }, "::ffff:127.0.0.1" },
	{ { 0x20, 0x01, 0x0d, 0xb8, [9] = 1, [15] = 1 }, "2001:db8::1:0:0:1" },
	{ { 0xfe, 0x80, [10] = 0x5e, 0xfe, 192, 0, 2, 1 }, "fe80::5efe:192.0.2.1" },
	{ { [12] = 1, 2, 3, 4 }, "::102:304" },
	{ { 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0 }, "1:0:2:0:3:0:4:0" },
	{ { 0, 1 }, "1::" },
	{ { 0xfe, 0x80, [15] = 1 }, "fe80::1" },
	{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 }, "2001:db8::1:0:0:1" },
	{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff }, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
};

/* Binary records as the module keeps them, and good[]'s line for each. */
static void check_decode(void)
{
	struct ephport_record w[] = {
		{ .seq = 1, .search = 1, .type = EPHPORT_REC_BEGIN,
		  .begin = { .pid = 120, .tid = 121, .comm = "node", .netns = 4026531840U,
			     .family = EPHPORT_INET6, .proto = EPHPORT_TCP, .reuse = 1,
			     .range_low = 32768, .range_high = 60999 } },
		{ .seq = 2, .search = 1, .type = EPHPORT_REC_PASS,
		  .pass = { .pass = 1, .half = EPHPORT_HALF_LOWER, .low = 32768, .high = 46884,
			    .offset = 4521, .start = 37289, .examined = 1 } },
		{ .seq = 3, .search = 1, .type = EPHPORT_REC_CAND,
		  .cand = { .pass = 1, .port = 37289, .verdict = EPHPORT_FREE } },
		{ .seq = 4, .search = 1, .type = EPHPORT_REC_END,
		  .end = { .port = 37289, .passes = 1, .examined = 1, .ns = 48211,
			   .probed = 1, .probed_valid = 1, .ts = 1764921600123456789ULL } },
		{ .seq = 5, .search = 2, .type = EPHPORT_REC_BEGIN,
		  .begin = { .pid = 1, .tid = 1, .comm = "a?b", .netns = 1,
			     .family = EPHPORT_INET, .proto = EPHPORT_DCCP, .addr = { 10, 0, 0, 1 },
			     .reuseport = 1, .range_low = 1024, .range_high = 65535,
			     .sock_low = 50000, .sock_high = 50099 } },
		{ .seq = 9, .search = 3, .type = EPHPORT_REC_BEGIN,
		  .begin = { .pid = 1, .tid = 1, .comm = "curl", .netns = 1,
			     .family = EPHPORT_INET6, .proto = EPHPORT_TCP,
			     .range_low = 32768, .range_high = 60999, .op = EPHPORT_OP_CONNECT,
			     .daddr = { [15] = 1 }, .dport = 443, .hash = ~0ULL, .slot = 65535,
			     .perturb = ~0U, .perturb_known = 1 } },
		{ .seq = 10, .search = 3, .type = EPHPORT_REC_PASS,
		  .pass = { .pass = 1, .half = EPHPORT_HALF_WHOLE, .low = 32768, .high = 61000,
			    .start = 32768, .examined = 1, .has_step = 1, .step = 2 } },
		{ .seq = 11, .search = 4, .type = EPHPORT_REC_BEGIN,
		  .begin = { .pid = 1, .tid = 1, .comm = "curl", .netns = 1,
			     .family = EPHPORT_INET, .proto = EPHPORT_TCP,
			     .range_low = 32768, .range_high = 60999, .op = EPHPORT_OP_CONNECT,
			     .daddr = { 10, 0, 0, 1 }, .dport = 80, .hash = 1, .slot = 1,
			     .perturb = 7 } },
	};
	struct ep_record rec;
	char line[512];
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		CHECK(!ep_record_decode(&w[i], &rec), "record %zu does not decode", i);
		ep_record_format(&rec, line, sizeof(line));
		CHECK(!strcmp(line, good[i]), "decoded differs:\n%s%s", good[i], line);
	}
	for (i = 0; i < sizeof(ip6) / sizeof(ip6[0]); i++) {
		memcpy(w[5].begin.daddr, ip6[i].addr, sizeof(ip6[i].addr));
		CHECK(!ep_record_decode(&w[5], &rec) && !strcmp(rec.daddr, ip6[i].text),
		      "%s written %s", ip6[i].text, rec.daddr);
	}
	/* packed records: whole, cut short, of another version, or larger (a newer module's) */
	{
		struct ephport_record out, cand = w[2];
		unsigned char buf[2 * sizeof(cand)] = { 0 };

		cand.size = ephport_record_bytes(EPHPORT_REC_CAND);
		cand.version = EPHPORT_RECORD_VERSION;
		memcpy(buf, &cand, cand.size);
		CHECK(ep_record_unpack(buf, sizeof(buf), &out) == cand.size &&
		      out.cand.port == 37289 && cand.size == 32, "a packed cand of %u bytes", cand.size);
		CHECK(ep_record_unpack(buf, cand.size - 1, &out) == 0, "a cand cut short");
		CHECK(ep_record_unpack(buf, 10, &out) == 0, "a header cut short");
		cand.size = EPHPORT_RECORD_SIZE;
		memcpy(buf, &cand, sizeof(cand));
		CHECK(ep_record_unpack(buf, sizeof(buf), &out) == EPHPORT_RECORD_SIZE &&
		      !ep_record_decode(&out, &rec) && rec.port == 37289, "a larger cand");
		cand.size = EPHPORT_RECORD_HEADER + 2;
		memcpy(buf, &cand, sizeof(cand));
		CHECK(ep_record_unpack(buf, sizeof(buf), &out) == -1, "a cand smaller than its fields");
		/* a newer module's type: only its header is needed, decoding skips it */
		cand.size = EPHPORT_RECORD_HEADER + 8;
		cand.type = EPHPORT_REC_COUNT;
		memcpy(buf, &cand, sizeof(cand));
		CHECK(ep_record_unpack(buf, sizeof(buf), &out) == EPHPORT_RECORD_HEADER + 8 &&
		      ep_record_decode(&out, &rec) == 1, "a type of a newer module");
		cand.type = EPHPORT_REC_CAND;
		cand.size = 32;
		cand.version = EPHPORT_RECORD_VERSION + 1;
		memcpy(buf, &cand, sizeof(cand));
		CHECK(ep_record_unpack(buf, sizeof(buf), &out) == -1, "another version");
	}
	w[0].begin.family = EPHPORT_FAMILY_COUNT;
	CHECK(ep_record_decode(&w[0], &rec) == -1, "a family beyond the vocabulary");
	/* a verdict a newer module added: passed through, by its number */
	static_assert(EPHPORT_VERDICT_COUNT < 9, "verdict 9 is a newer module's");
	w[2].cand.verdict = 9;
	CHECK(!ep_record_decode(&w[2], &rec) && rec.verdict == EPHPORT_VERDICT_COUNT &&
	      !strcmp(EP_NAME(&rec, verdict, ephport_verdict_words), "verdict9"), "a newer verdict's number: %s",
	      EP_NAME(&rec, verdict, ephport_verdict_words));
	/* newer values of the other word fields pass through too */
	w[1].pass.half = EPHPORT_HALF_COUNT + 1;
	CHECK(!ep_record_decode(&w[1], &rec) &&
	      !strcmp(EP_NAME(&rec, half, ephport_half_words), "half4"), "a newer half: %s",
	      EP_NAME(&rec, half, ephport_half_words));
	CHECK(!ep_record_parse("seq=1 search=1 type=begin pid=1 tid=1 comm=x netns=1 family=inet proto=sctp addr=0.0.0.0 reuse=0 reuseport=0 range=1-2 sockrange=none op=autobind", &rec) &&
	      !strcmp(EP_NAME(&rec, proto, ephport_proto_words), "sctp") &&
	      !strcmp(EP_NAME(&rec, op, ephport_op_words), "autobind"), "newer proto and op");
	w[3].type = EPHPORT_REC_COUNT;
	CHECK(ep_record_decode(&w[3], &rec) == 1, "a newer module's type is not skipped");
	strcpy(w[4].begin.comm, "a b");
	CHECK(ep_record_decode(&w[4], &rec) == -1, "a comm of two words");
	strcpy(w[4].begin.comm, "\033[2J");
	CHECK(ep_record_decode(&w[4], &rec) == -1, "a comm with a terminal escape");
	/* a comm of 16 bytes without its NUL stays within the record */
	memset(w[4].begin.comm, 'x', sizeof(w[4].begin.comm));
	CHECK(!ep_record_decode(&w[4], &rec) && strlen(rec.comm) == sizeof(w[4].begin.comm),
	      "a comm without NUL: %s", rec.comm);
}

int main(void)
{
	struct ep_record rec, again;
	char line[512];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(!ep_record_parse(good[i], &rec), "rejected: %s", good[i]);
		ep_record_format(&rec, line, sizeof(line));
		CHECK(!ep_record_parse(line, &again) &&
		      !memcmp(&rec, &again, sizeof(rec)),
		      "round trip changed: %s", good[i]);
		if (i < 13)
			CHECK(!strcmp(line, good[i]), "format differs:\n%s%s",
			      good[i], line);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ep_record_parse(bad[i], &rec), "accepted: %s", bad[i]);

	CHECK(!ep_record_parse(good[1], &rec) && rec.type == EP_PASS &&
	      rec.low == 32768 && rec.high == 46884 && rec.offset == 4521 &&
	      rec.half == EPHPORT_HALF_LOWER && rec.parity == EPHPORT_ODD,
	      "pass fields");
	CHECK(!ep_record_parse(good[4], &rec) && rec.sock_low == 50000 &&
	      rec.sock_high == 50099 && rec.proto == EPHPORT_DCCP,
	      "begin fields");
	CHECK(!ep_record_parse(good[10], &rec) && rec.relax == 1 &&
	      rec.examined == 32256 && rec.probed == -1, "relax pass fields");
	CHECK(ep_record_parse("seq=3 search=0 type=future x=1", &rec) == 1,
	      "a newer module's record type is not skipped");
	/* a newer module's verdict word: kept, printed back as it came */
	CHECK(!ep_record_parse("seq=3 search=1 type=cand pass=1 port=5 verdict=quarantined", &rec) &&
	      rec.verdict == EPHPORT_VERDICT_COUNT && !strcmp(EP_NAME(&rec, verdict, ephport_verdict_words), "quarantined"),
	      "a newer verdict's word");
	ep_record_format(&rec, line, sizeof(line));
	CHECK(strstr(line, "verdict=quarantined\n") != NULL, "its word printed back: %s", line);
	CHECK(ep_record_parse("seq=3 search=0 type=", &rec) == -1, "an empty type");
	CHECK(!ep_record_parse(good[5], &rec) && rec.op == EPHPORT_OP_CONNECT &&
	      rec.hash == 18446744073709551615ULL && rec.perturb == 4294967295LL &&
	      rec.dport == 443 && rec.slot == 65535 && !strcmp(rec.daddr, "::1"),
	      "connect begin fields");
	CHECK(!ep_record_parse(good[7], &rec) && rec.perturb == -1, "perturb unknown");
	CHECK(!ep_record_parse(good[9], &rec) && rec.step == 768 && rec.slots == 256,
	      "UDP pass fields");
	CHECK(!ep_record_parse(good[1], &rec) && rec.step == -1 && rec.slots == 0,
	      "bind's pass has no step");
	/* a module before connect() and UDP wrote no op: its searches are bind's */
	CHECK(!ep_record_parse("seq=1 search=1 type=begin pid=1 comm=x family=inet proto=tcp reuse=1 range=1-2", &rec) &&
	      rec.op == EPHPORT_OP_BIND, "no op is bind");
	CHECK(!ep_record_parse(good[12], &rec) && rec.type == EP_CLEAR &&
	      rec.cleared == 12, "clear fields");
	check_decode();
	return check_summary("record");
}
