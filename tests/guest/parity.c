// SPDX-License-Identifier: GPL-2.0
/*
 * The other side of the blog post: clients connect()ing while servers
 * listen on port 0.  Each round opens a server (IPv6, SO_REUSEADDR, as
 * Node.js does) and a client of a loopback listener, and keeps both, so
 * that every port comes from a search.  Prints the ports and their parity
 * by side.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROUNDS_MAX 500
#define LISTENER_PORT 5000

static int port_of(int fd)
{
	struct sockaddr_in6 addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len))
		return -1;
	return ntohs(addr.sin6_port);
}

static int server(void)
{
	struct sockaddr_in6 addr = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 16)) {
		perror("server");
		exit(1);
	}
	return fd;
}

static int client(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(fd, (const struct sockaddr *)to, sizeof(*to))) {
		perror("connect");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(LISTENER_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int rounds = argc > 1 ? atoi(argv[1]) : 20, i, one = 1;
	int servers[ROUNDS_MAX], clients[ROUNDS_MAX], odd[2] = { 0 }, n[2] = { 0 };
	int listener = socket(AF_INET, SOCK_STREAM, 0);

	if (rounds < 1 || rounds > ROUNDS_MAX) {
		fprintf(stderr, "usage: %s [ROUNDS, 1-%d]\n", argv[0], ROUNDS_MAX);
		return 2;
	}
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&to, sizeof(to)) || listen(listener, ROUNDS_MAX)) {
		perror("listener");
		return 1;
	}
	for (i = 0; i < rounds; i++) {
		servers[i] = server();
		clients[i] = client(&to);
		odd[0] += port_of(servers[i]) & 1;
		odd[1] += port_of(clients[i]) & 1;
		n[0]++;
		n[1]++;
	}
	printf("listen(0): %d of %d ports odd; connect(): %d of %d ports odd\n",
	       odd[0], n[0], odd[1], n[1]);
	for (i = 0; i < rounds; i++) {
		close(servers[i]);
		close(clients[i]);
	}
	close(listener);
	return 0;
}
