import CRMFuzzTargets
import Foundation

/// libFuzzer's entry point: the target comes from CRM_FUZZ_TARGET (frame, wire, json, csv).
/// Built with `scripts/fuzz` (-sanitize=fuzzer,address), libFuzzer supplies `main`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.run(FuzzEntry.target, Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

enum FuzzEntry {
    static let target: FuzzTargets.Target = {
        let name = ProcessInfo.processInfo.environment["CRM_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTargets.Target(rawValue: name) else {
            FileHandle.standardError.write(Data("crm-fuzz: set CRM_FUZZ_TARGET to one of \(FuzzTargets.Target.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(64)
        }
        return target
    }()
}
