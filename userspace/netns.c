// SPDX-License-Identifier: GPL-2.0
/* The namespace's port sysctls, read from its /proc/sys/net/ipv4. */
#include <stdio.h>
#include <string.h>

#include "capacity.h"
#include "cli.h"
#include "netns.h"

#define EP_PORTS_ALL 65536

static FILE *open_ipv4(const char *proc, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/sys/net/ipv4/%s", proc, name);
	return fopen(path, "r");
}

bool ep_netns_range(const char *proc, int *low, int *high)
{
	FILE *f = open_ipv4(proc, "ip_local_port_range");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%d %d", low, high) == 2 && *low > 0 && *low <= *high &&
	     *high < EP_PORTS_ALL;
	fclose(f);
	return ok;
}

bool ep_netns_reserved(const char *proc, bool *reserved)
{
	FILE *f = open_ipv4(proc, "ip_local_reserved_ports");
	/* the kernel writes at most 65535 ports, comma-separated */
	static char list[EP_PORTS_ALL * 7];
	bool ok;

	memset(reserved, 0, EP_PORTS_ALL * sizeof(*reserved));
	if (!f)
		return false;
	ok = fgets(list, sizeof(list), f) != NULL;
	fclose(f);
	list[strcspn(list, "\n")] = '\0';
	return ok && (!*list || ep_parse_port_list(list, reserved));
}

long ep_netns_ipv4(const char *proc, const char *name)
{
	FILE *f = open_ipv4(proc, name);
	long value;
	bool ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%ld", &value) == 1;
	fclose(f);
	return ok ? value : -1;
}

bool ep_netns_cap_config(const char *proc, struct ep_cap_config *c, bool *reserved)
{
	c->reserved = reserved;
	if (!ep_netns_range(proc, &c->low, &c->high) || !ep_netns_reserved(proc, reserved)) {
		ep_error("cannot read net.ipv4.ip_local_port_range and ip_local_reserved_ports "
			 "from %s/sys/net/ipv4", proc);
		return false;
	}
	c->tw_reuse = (int)ep_netns_ipv4(proc, "tcp_tw_reuse");
	c->autobind_reuse = ep_netns_ipv4(proc, "ip_autobind_reuse") > 0;
	c->step_width = (int)ep_netns_ipv4(proc, "ip_local_port_step_width");
	return true;
}
