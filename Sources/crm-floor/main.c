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
 *
 * For the peers benchmark, server and client in two processes, as every peer is measured:
 *   crm-floor serve PORT REQUEST_BYTES RESPONSE_BYTES      answers every connection until killed
 *   crm-floor client PORT REQUEST_BYTES RESPONSE_BYTES ROUND_TRIPS CALLS
 * The client prints "p50_us=... p99_us=... rate_1=... rate_16=... rate_256=... calls=... cpu_s=...".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* serve() for a connection whose descriptor was allocated for it. */
static void *serve_owned(void *arg) {
    int fd = *(int *)arg;
    free(arg);
    return serve(&fd);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* DEPTH requests in flight on `fd` until `count` are answered; requests per second. */
static double pipelined(int fd, long count, long depth) {
    uint8_t *req = calloc((size_t)depth, request_bytes), *resp = malloc(response_bytes);
    double t0 = now_us();
    long sent = depth < count ? depth : count, received = 0;
    write_all(fd, req, request_bytes * (size_t)sent);
    while (received < count) {
        if (read_all(fd, resp, response_bytes) != 0) break;
        received++;
        if (sent < count) { write_all(fd, req, request_bytes); sent++; }
    }
    double rate = received / ((now_us() - t0) / 1e6);
    free(req);
    free(resp);
    return rate;
}

static int serve_forever(int port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 64) != 0) { perror("listen"); return 1; }
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int *arg = malloc(sizeof(int));
        *arg = fd;
        pthread_t thread;
        pthread_create(&thread, NULL, serve_owned, arg);
        pthread_detach(thread);
    }
}

static int client(int port, long round_trips, long calls) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 1; }
    uint8_t *req = calloc(1, request_bytes), *resp = malloc(response_bytes);
    double *samples = malloc(sizeof(double) * (size_t)round_trips);
    for (long i = 0; i < 2000; i++) { write_all(fd, req, request_bytes); read_all(fd, resp, response_bytes); }
    for (long i = 0; i < round_trips; i++) {
        double t0 = now_us();
        write_all(fd, req, request_bytes);
        read_all(fd, resp, response_bytes);
        samples[i] = now_us() - t0;
    }
    qsort(samples, (size_t)round_trips, sizeof(double), cmp);
    double rate1 = pipelined(fd, round_trips, 1), rate16 = pipelined(fd, calls, 16), rate256 = pipelined(fd, calls, 256);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    printf("p50_us=%.1f p99_us=%.1f rate_1=%.0f rate_16=%.0f rate_256=%.0f calls=%ld cpu_s=%.3f\n", samples[round_trips / 2],
           samples[round_trips * 99 / 100], rate1, rate16, rate256, 2000 + 2 * round_trips + 2 * calls, cpu);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "serve") == 0) {
        request_bytes = (size_t)atol(argv[3]);
        response_bytes = (size_t)atol(argv[4]);
        return serve_forever(atoi(argv[2]));
    }
    if (argc == 7 && strcmp(argv[1], "client") == 0) {
        request_bytes = (size_t)atol(argv[3]);
        response_bytes = (size_t)atol(argv[4]);
        return client(atoi(argv[2]), atol(argv[5]), atol(argv[6]));
    }
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
