import Foundation

/// Where a service's Prometheus metrics are, when it serves them: `crm up` gives each service
/// the address of its RPC port plus 100.
enum MetricsProbe {
    static let portOffset = 100

    static func endpoint(of service: Endpoint) -> Endpoint {
        Endpoint(host: service.host, port: service.port + portOffset)
    }

    /// "http://HOST:PORT/metrics" when a GET there answers 200 within a second, else nil.
    static func url(_ endpoint: Endpoint) -> String? {
        guard let status = httpStatus(endpoint, path: "/metrics"), status == 200 else { return nil }
        return "http://\(endpoint.description)/metrics"
    }

    /// The status code of `GET path`, read with a plain socket and a one-second limit.
    static func httpStatus(_ endpoint: Endpoint, path: String) -> Int? {
        httpGet(endpoint, path: path, bodyLimit: 0)?.status
    }

    /// `GET path` over a plain socket with a one-second limit per read: the status and up to
    /// `bodyLimit` bytes of the body (the answer's end is the connection's: `Connection: close`).
    static func httpGet(_ endpoint: Endpoint, path: String, accept: String = "*/*", bodyLimit: Int = 1 << 20) -> (status: Int, body: [UInt8])? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list) == 0, let info = list else { return nil }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var limit = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(endpoint.description)\r\nAccept: \(accept)\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { return nil }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while answer.count < bodyLimit + 16 * 1024 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[..<count]
            if bodyLimit == 0 && answer.count > 12 { break }
        }
        guard answer.count > 12 else { return nil }
        let line = String(decoding: answer.prefix(16), as: UTF8.self)
        guard line.hasPrefix("HTTP/1."), let status = Int(line.dropFirst(9).prefix(3)) else { return nil }
        let separator: [UInt8] = [13, 10, 13, 10]
        let start = answer.indices.first { i in i + 4 <= answer.count && Array(answer[i..<(i + 4)]) == separator }.map { $0 + 4 } ?? answer.count
        return (status, Array(answer[start...].prefix(bodyLimit)))
    }
}
