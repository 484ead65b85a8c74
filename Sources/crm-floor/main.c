/*
 * crm-floor: the physical floor for the RPC benchmark. A plain loopback TCP ping-pong in C with
 * the same request and response sizes as the RPC frames, on one connection, server and client
 * in two threads of one process (as the Swift benchmark runs both in one process).
 *
 *   crm-floor REQUEST_BYTES RESPONSE_BYTES ITERATIONS DEPTH
 *
 * DEPTH 1 measures round trips one at a time (prints p50 and p99 in microseconds); a larger
 * DEPTH keeps that many requests in flight (prints requests per second).
 * Output: one line "p50_us=... p99_us=... rate=..." for the caller to parse.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static size_t request_bytes, response_bytes;
static long iterations;

static int read_all(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, 0);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void *serve(void *arg) {
    int fd = *(int *)arg;
    uint8_t *in = malloc(request_bytes), *out = calloc(1, response_bytes);
    while (read_all(fd, in, request_bytes) == 0) {
        if (write_all(fd, out, response_bytes) != 0) break;
    }
    free(in);
    free(out);
    close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: crm-floor REQUEST_BYTES RESPONSE_BYTES ITERATIONS DEPTH\n");
        return 2;
    }
    request_bytes = (size_t)atol(argv[1]);
    response_bytes = (size_t)atol(argv[2]);
    iterations = atol(argv[3]);
    long depth = atol(argv[4]);
    if (request_bytes == 0 || response_bytes == 0 || iterations <= 0 || depth <= 0) return 2;

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 1) != 0) { perror("listen"); return 1; }
    getsockname(listener, (struct sockaddr *)&addr, &len);

    int client = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(client, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 1; }
    int server = accept(listener, NULL, NULL);
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t thread;
    pthread_create(&thread, NULL, serve, &server);

    uint8_t *req = calloc((size_t)depth, request_bytes), *resp = malloc(response_bytes);
    if (depth == 1) {
        double *samples = malloc(sizeof(double) * (size_t)iterations);
        for (long i = 0; i < iterations; i++) {
            double t0 = now_us();
            write_all(client, req, request_bytes);
            read_all(client, resp, response_bytes);
            samples[i] = now_us() - t0;
        }
        qsort(samples, (size_t)iterations, sizeof(double), cmp);
        double total = 0;
        for (long i = 0; i < iterations; i++) total += samples[i];
        printf("p50_us=%.1f p99_us=%.1f rate=%.0f\n", samples[iterations / 2], samples[iterations * 99 / 100],
               iterations / (total / 1e6));
        free(samples);
    } else {
        /* Keep DEPTH requests in flight: send DEPTH, then one more per answer. */
        double t0 = now_us();
        long sent = depth < iterations ? depth : iterations, received = 0;
        write_all(client, req, request_bytes * (size_t)sent);
        while (received < iterations) {
            read_all(client, resp, response_bytes);
            received++;
            if (sent < iterations) { write_all(client, req, request_bytes); sent++; }
        }
        double seconds = (now_us() - t0) / 1e6;
        printf("p50_us=0 p99_us=0 rate=%.0f\n", iterations / seconds);
    }
    shutdown(client, SHUT_RDWR);
    close(client);
    pthread_join(thread, NULL);
    free(req);
    free(resp);
    return 0;
}
