// SPDX-License-Identifier: GPL-2.0
/*
 * The blog post's two-servers.js without Node: two IPv6 servers listening
 * on port 0 with SO_REUSEADDR, as libuv creates them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int create_server(int id)
{
	struct sockaddr_in6 addr = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 511)) {
		printf("%d Error: listen %s: %s ::\n", id,
		       errno == EADDRINUSE ? "EADDRINUSE" : "error", strerror(errno));
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&addr, &len);
	printf("%d %d\n", id, ntohs(addr.sin6_port));
	return fd;
}

int main(void)
{
	int a = create_server(1), b = create_server(2);

	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return 0;
}
