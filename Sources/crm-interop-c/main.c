/*
 * crm-interop-c: a client written only from proto/ and docs/PROTOCOL.md, in C, with protoc-c
 * output and libprotobuf-c. It proves that a service in another language can call ours.
 *
 *   crm-interop-c HOST PORT
 *
 * It calls /crm.rpc.v1.Health/Check, /crm.testing.v1.Echo/Echo (two calls in flight at once,
 * answered by call id), /crm.testing.v1.Echo/EchoStream, and a method it does not serve, checks every
 * answer, prints one line per check and exits 0 when all passed.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crm/rpc/v1/rpc.pb-c.h"
#include "crm/testing/v1/testing.pb-c.h"

static int failures = 0;

static void check(int ok, const char *what) {
    printf("%s %s\n", ok ? "ok" : "FAILED", what);
    if (!ok) failures++;
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

static int read_all(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Sends an OPEN frame: | L | H | RequestHeader | body |. */
static int send_frame(int fd, uint64_t call_id, Crm__Rpc__V1__FrameKind kind, const char *method, const ProtobufCMessage *body) {
    Crm__Rpc__V1__RequestHeader header = CRM__RPC__V1__REQUEST_HEADER__INIT;
    header.call_id = call_id;
    header.kind = kind;
    header.method = (char *)method;
    header.timeout_ms = 5000;
    size_t h = protobuf_c_message_get_packed_size(&header.base);
    size_t b = body ? protobuf_c_message_get_packed_size(body) : 0;
    uint8_t *frame = malloc(8 + h + b);
    put_u32(frame, (uint32_t)(4 + h + b));
    put_u32(frame + 4, (uint32_t)h);
    protobuf_c_message_pack(&header.base, frame + 8);
    if (body) protobuf_c_message_pack(body, frame + 8 + h);
    int rc = write_all(fd, frame, 8 + h + b);
    free(frame);
    return rc;
}

static int send_call(int fd, uint64_t call_id, const char *method, const ProtobufCMessage *body) {
    return send_frame(fd, call_id, CRM__RPC__V1__FRAME_KIND__FRAME_KIND_OPEN, method, body);
}

/* Reads one frame; the caller frees *header (protobuf-c) and *body (malloc). */
static int read_frame(int fd, Crm__Rpc__V1__ResponseHeader **header, uint8_t **body, size_t *body_len) {
    uint8_t prefix[8];
    if (read_all(fd, prefix, 8) < 0) return -1;
    uint32_t l = get_u32(prefix), h = get_u32(prefix + 4);
    if (l < 4 || h > l - 4) return -1;
    uint8_t *rest = malloc(l - 4 + 1);
    if (read_all(fd, rest, l - 4) < 0) { free(rest); return -1; }
    *header = crm__rpc__v1__response_header__unpack(NULL, h, rest);
    *body_len = l - 4 - h;
    *body = malloc(*body_len + 1);
    memcpy(*body, rest + h, *body_len);
    free(rest);
    return *header ? 0 : -1;
}

static int status_code(const Crm__Rpc__V1__ResponseHeader *header) {
    return header->status ? (int)header->status->code : 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: crm-interop-c HOST PORT\n");
        return 2;
    }
    struct addrinfo hints = {0}, *addr = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(argv[1], argv[2], &hints, &addr) != 0) { perror("getaddrinfo"); return 2; }
    int fd = socket(addr->ai_family, addr->ai_socktype, 0);
    if (connect(fd, addr->ai_addr, addr->ai_addrlen) != 0) { perror("connect"); return 2; }
    freeaddrinfo(addr);

    Crm__Rpc__V1__ResponseHeader *header;
    uint8_t *body;
    size_t body_len;

    /* Health. */
    Crm__Rpc__V1__HealthCheckRequest health = CRM__RPC__V1__HEALTH_CHECK_REQUEST__INIT;
    send_call(fd, 1, "/crm.rpc.v1.Health/Check", &health.base);
    if (read_frame(fd, &header, &body, &body_len) != 0) { puts("FAILED no answer to Health"); return 1; }
    check(header->call_id == 1 && header->end_of_stream && status_code(header) == 0, "Health/Check answered OK");
    Crm__Rpc__V1__HealthCheckResponse *hr = crm__rpc__v1__health_check_response__unpack(NULL, body_len, body);
    check(hr && hr->status == CRM__RPC__V1__SERVING_STATUS__SERVING_STATUS_SERVING, "Health says SERVING");
    crm__rpc__v1__health_check_response__free_unpacked(hr, NULL);
    crm__rpc__v1__response_header__free_unpacked(header, NULL);
    free(body);

    /* Two Echo calls in flight at once. The first waits a minute, so the second must be answered
       while it waits; then the first is cancelled, and no answer to it may follow. */
    Crm__Testing__V1__EchoRequest slow = CRM__TESTING__V1__ECHO_REQUEST__INIT;
    slow.text = "slow from C";
    slow.delay_ms = 60000;
    Crm__Testing__V1__EchoRequest fast = CRM__TESTING__V1__ECHO_REQUEST__INIT;
    uint8_t payload[] = {0, 1, 2, 255};
    fast.text = "fast from C \xe2\x9c\x93";  /* a check mark, in UTF-8 */
    fast.payload.data = payload;
    fast.payload.len = sizeof payload;
    send_call(fd, 2, "/crm.testing.v1.Echo/Echo", &slow.base);
    send_call(fd, 3, "/crm.testing.v1.Echo/Echo", &fast.base);
    if (read_frame(fd, &header, &body, &body_len) != 0) { puts("FAILED no answer to Echo"); return 1; }
    Crm__Testing__V1__EchoResponse *er = crm__testing__v1__echo_response__unpack(NULL, body_len, body);
    check(header->call_id == 3, "a call is answered while an earlier one waits, by call id");
    check(er && strcmp(er->text, fast.text) == 0 && er->payload.len == 4 && er->payload.data[3] == 255,
          "Echo returns the text and the payload");
    crm__testing__v1__echo_response__free_unpacked(er, NULL);
    crm__rpc__v1__response_header__free_unpacked(header, NULL);
    free(body);
    send_frame(fd, 2, CRM__RPC__V1__FRAME_KIND__FRAME_KIND_CANCEL, "", NULL);

    /* A server-streaming call: three messages, then the final status. */
    Crm__Testing__V1__EchoRequest stream = CRM__TESTING__V1__ECHO_REQUEST__INIT;
    stream.text = "tick";
    stream.count = 3;
    send_call(fd, 4, "/crm.testing.v1.Echo/EchoStream", &stream.base);
    int messages = 0, ended_ok = 0, others = 0;
    while (read_frame(fd, &header, &body, &body_len) == 0) {
        if (header->call_id != 4) {  /* the cancelled call must stay silent */
            others++;
            crm__rpc__v1__response_header__free_unpacked(header, NULL);
            free(body);
            continue;
        }
        int done = header->end_of_stream;
        if (!done) {
            Crm__Testing__V1__EchoResponse *er = crm__testing__v1__echo_response__unpack(NULL, body_len, body);
            if (er && er->index == (uint32_t)messages) messages++;
            crm__testing__v1__echo_response__free_unpacked(er, NULL);
        } else {
            ended_ok = status_code(header) == 0;
        }
        crm__rpc__v1__response_header__free_unpacked(header, NULL);
        free(body);
        if (done) break;
    }
    check(messages == 3 && ended_ok, "EchoStream sends 3 messages in order, then OK");
    check(others == 0, "a cancelled call gets no answer");

    /* A method the server does not serve. */
    send_call(fd, 5, "/crm.testing.v1.Echo/Nope", NULL);
    if (read_frame(fd, &header, &body, &body_len) != 0) { puts("FAILED no answer to a method the server does not serve"); return 1; }
    check(header->call_id == 5 && status_code(header) == CRM__RPC__V1__CODE__CODE_UNIMPLEMENTED,
          "a method the server does not serve is UNIMPLEMENTED");
    crm__rpc__v1__response_header__free_unpacked(header, NULL);
    free(body);

    close(fd);
    printf("%s\n", failures == 0 ? "all interop checks passed" : "interop checks failed");
    return failures == 0 ? 0 : 1;
}
