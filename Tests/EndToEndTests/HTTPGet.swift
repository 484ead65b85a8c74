import Foundation

/// An HTTP/1.1 answer as a test reads it.
struct HTTPAnswer {
    var status: Int
    /// Header names lower-cased.
    var headers: [String: String]
    var body: String
}

/// A plain HTTP/1.1 request over a socket, with a time limit, the answer read to the end (the
/// servers close after answering): what a scraper, a browser's form post or a bot sends.
func httpRequest(_ method: String, host: String = "127.0.0.1", port: Int, path: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> HTTPAnswer {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ProcessError("no socket") }
    defer { close(fd) }
    var limit = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr(host)
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else { throw ProcessError("cannot connect to \(host):\(port)") }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
    let request = Array((head + "\r\n").utf8) + body
    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }  // the server may close early (a body over its cap); its answer is still read
        sent += n
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { break }
        received += buffer[..<count]
    }
    let text = String(decoding: received, as: UTF8.self)
    guard text.hasPrefix("HTTP/1."), let status = Int(text.dropFirst(9).prefix(3)) else { throw ProcessError("not an HTTP answer: \(text.prefix(100))") }
    let split = text.range(of: "\r\n\r\n")
    var fields: [String: String] = [:]
    for line in text[..<(split?.lowerBound ?? text.endIndex)].split(separator: "\r\n").dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return HTTPAnswer(status: status, headers: fields, body: split.map { String(text[$0.upperBound...]) } ?? "")
}

/// A plain HTTP/1.1 GET: what a Prometheus scraper sends.
func httpGet(host: String = "127.0.0.1", port: Int, path: String) throws -> (status: Int, body: String) {
    let answer = try httpRequest("GET", host: host, port: port, path: path)
    return (answer.status, answer.body)
}
