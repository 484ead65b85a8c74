import ArgumentParser
import Foundation

/// Runs one of the C floor programs built beside crm-bench and returns the `key=value` numbers
/// of its output line.
func runFloorProgram(_ name: String, _ arguments: [String]) throws -> [String: Double] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent(name)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let values = keyValues(String(decoding: data, as: UTF8.self))
    guard process.terminationStatus == 0, values["rate"] != nil else {
        throw ValidationError("\(name) failed (is it built beside crm-bench?)")
    }
    return values
}

/// The numbers of a `key=value key=value` line, as the floor programs and the peers' clients print.
func keyValues(_ text: String) -> [String: Double] {
    var values: [String: Double] = [:]
    for pair in text.split(whereSeparator: \.isWhitespace) {
        let parts = pair.split(separator: "=")
        if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
    }
    return values
}
