import CRMFuzzTargets
import Foundation

// Without the fuzzer (a plain `swift build`), crm-fuzz replays inputs: `crm-fuzz TARGET FILE...`,
// or writes the seed corpus: `crm-fuzz --seeds fuzz/corpus`. The fuzzing build passes
// -D FUZZING, which leaves this `main` out: libFuzzer's own drives `LLVMFuzzerTestOneInput`.
#if !FUZZING
@main
enum Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "--seeds", let folder = arguments.dropFirst().first {
            for (target, seeds) in FuzzTargets.seeds() {
                let directory = URL(fileURLWithPath: folder).appendingPathComponent(target.rawValue)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                for seed in seeds { try Data(seed.bytes).write(to: directory.appendingPathComponent(seed.name)) }
            }
            return
        }
        guard let name = arguments.first, let target = FuzzTargets.Target(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: crm-fuzz frame|wire|json|csv FILE...  |  crm-fuzz --seeds FOLDER\n".utf8))
            exit(64)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("crm-fuzz: cannot read \(path)\n".utf8))
                exit(66)
            }
            FuzzTargets.run(target, [UInt8](data))
        }
        print("crm-fuzz: \(arguments.count - 1) inputs of \(name) ran without a crash")
    }
}
#endif
