// The peers benchmark's phases (crm-bench's EchoPhases) with gRPC C++'s client on one channel:
// 2,000 warm-up calls, ROUND_TRIPS timed one at a time (blocking stub), ROUND_TRIPS with 1 in
// flight, CALLS with 16 and with 256 in flight (callback API); then one line of results.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include "crm/testing/v1/echo.grpc.pb.h"

using crm::testing::v1::Echo;
using crm::testing::v1::EchoRequest;
using crm::testing::v1::EchoResponse;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// `total` calls with `depth` in flight: each answer starts the next call.
static double in_flight(Echo::Stub* stub, const EchoRequest& request, long total, long depth) {
    std::mutex lock;
    std::condition_variable finished;
    std::atomic<long> started{0}, done{0};
    std::function<void()> launch = [&]() {
        if (started.fetch_add(1) >= total) return;
        auto* context = new grpc::ClientContext();
        auto* response = new EchoResponse();
        stub->async()->Echo(context, &request, response, [&, context, response](grpc::Status status) {
            if (!status.ok()) { std::fprintf(stderr, "call failed: %s\n", status.error_message().c_str()); std::exit(1); }
            delete context;
            delete response;
            if (done.fetch_add(1) + 1 == total) {
                std::lock_guard<std::mutex> guard(lock);
                finished.notify_one();
            } else {
                launch();
            }
        });
    };
    auto start = Clock::now();
    for (long i = 0; i < depth && i < total; i++) launch();
    std::unique_lock<std::mutex> guard(lock);
    finished.wait(guard, [&] { return done.load() >= total; });
    return total / seconds_since(start);
}

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: echo_client PORT PAYLOAD ROUND_TRIPS CALLS\n");
        return 2;
    }
    long payload = std::atol(argv[2]), round_trips = std::atol(argv[3]), calls = std::atol(argv[4]);
    auto channel = grpc::CreateChannel(std::string("127.0.0.1:") + argv[1], grpc::InsecureChannelCredentials());
    auto stub = Echo::NewStub(channel);
    EchoRequest request;
    request.set_text("ping");
    request.set_payload(std::string(payload, '\7'));
    auto call = [&]() {
        grpc::ClientContext context;
        EchoResponse response;
        grpc::Status status = stub->Echo(&context, request, &response);
        if (!status.ok()) { std::fprintf(stderr, "call failed: %s\n", status.error_message().c_str()); std::exit(1); }
    };
    for (int i = 0; i < 2000; i++) call();
    std::vector<double> samples;
    samples.reserve(round_trips);
    for (long i = 0; i < round_trips; i++) {
        auto start = Clock::now();
        call();
        samples.push_back(seconds_since(start) * 1e6);
    }
    std::sort(samples.begin(), samples.end());
    auto start = Clock::now();
    for (long i = 0; i < round_trips; i++) call();
    double rate1 = round_trips / seconds_since(start);
    double rate16 = in_flight(stub.get(), request, calls, 16);
    double rate256 = in_flight(stub.get(), request, calls, 256);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    std::printf("p50_us=%.1f p99_us=%.1f rate_1=%.0f rate_16=%.0f rate_256=%.0f calls=%ld cpu_s=%.3f\n", samples[round_trips / 2],
                samples[round_trips * 99 / 100], rate1, rate16, rate256, 2000 + 2 * round_trips + 2 * calls, cpu);
    std::fflush(stdout);
    std::_Exit(0);  // skip gRPC's teardown of threads still parked in the channel
}
