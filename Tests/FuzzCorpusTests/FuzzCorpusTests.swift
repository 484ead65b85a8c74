import CRMFuzzTargets
import Foundation
import Testing

/// The fuzzer's seed corpus and every input it ever crashed on (fuzz/regressions/<target>/),
/// run through the same targets: a crash found once stays a test.
@Suite("fuzz corpus and regressions", .timeLimit(.minutes(2)))
struct FuzzCorpusTests {
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz")

    static func inputs(_ kind: String, _ target: FuzzTargets.Target) -> [URL] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []).filter { !$0.lastPathComponent.hasPrefix(".") }
    }

    @Test("every seed and every regression input runs through its target without a crash", arguments: FuzzTargets.Target.allCases)
    func replay(_ target: FuzzTargets.Target) throws {
        let seeds = Self.inputs("corpus", target)
        #expect(!seeds.isEmpty, "fuzz/corpus/\(target.rawValue) has no seeds")
        for file in seeds + Self.inputs("regressions", target) {
            FuzzTargets.run(target, [UInt8](try Data(contentsOf: file)))
        }
    }

    @Test("the committed seeds are the ones crm-fuzz --seeds writes")
    func seedsCurrent() throws {
        for (target, seeds) in FuzzTargets.seeds() {
            for seed in seeds {
                let file = Self.fuzzFolder.appendingPathComponent("corpus/\(target.rawValue)/\(seed.name)")
                #expect((try? Data(contentsOf: file)) == Data(seed.bytes), "\(file.path) is stale: run crm-fuzz --seeds fuzz/corpus")
            }
        }
    }
}
