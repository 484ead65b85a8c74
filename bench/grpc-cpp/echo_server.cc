// The gRPC C++ peer of the RPC benchmark: Echo (the messages of crm.testing.v1) over HTTP/2 on
// 127.0.0.1:PORT with the callback API, until killed. Built by scripts/bench --only peers.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "crm/testing/v1/echo.grpc.pb.h"

using crm::testing::v1::Echo;
using crm::testing::v1::EchoRequest;
using crm::testing::v1::EchoResponse;

class EchoService final : public Echo::CallbackService {
    grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request, EchoResponse* response) override {
        response->set_text(request->text());
        response->set_payload(request->payload());
        auto* reactor = context->DefaultReactor();
        reactor->Finish(grpc::Status::OK);
        return reactor;
    }
};

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: echo_server PORT" << std::endl;
        return 2;
    }
    EchoService service;
    grpc::ServerBuilder builder;
    builder.AddListeningPort(std::string("127.0.0.1:") + argv[1], grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server) return 1;
    server->Wait();
    return 0;
}
