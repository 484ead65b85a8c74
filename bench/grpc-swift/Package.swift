// swift-tools-version: 6.0
// The grpc-swift-2 peer of the RPC benchmark: an Echo server and client over HTTP/2, with the
// same messages as crm.testing.v1.Echo. A package of its own so that neither the main build nor
// CI builds gRPC; scripts/bench --only peers builds it (release) and runs it.
import PackageDescription

let package = Package(
    name: "grpc-swift-echo",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    ],
    targets: [
        // protoc's output for ../proto (bench/grpc-swift/generate), committed.
        .target(
            name: "EchoProto",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        .executableTarget(
            name: "grpc-swift-echo-server",
            dependencies: ["EchoProto", .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")]),
        .executableTarget(
            name: "grpc-swift-echo-client",
            dependencies: ["EchoProto", .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")]),
    ]
)
