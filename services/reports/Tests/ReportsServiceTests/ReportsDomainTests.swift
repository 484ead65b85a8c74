import CRMDomain
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import ReportsDomain
import Testing

@Suite("The reports' rules: contributions, conversion rates, day buckets, charts", .timeLimit(.minutes(1)))
struct ReportsDomainTests {
    @Test("a change takes the old facts out and puts the new in; a change that moves nothing writes nothing")
    func contributions() {
        let before = LeadFacts(typeID: 1, statusID: 1, state: .pending, amountMinor: 10_000, currency: "EUR", probability: 25, ownerID: 3, createdAt: 0)
        var after = before
        after.statusID = 3
        after.state = .won
        let changes = Contribution.changes(from: Contribution.of(before), to: Contribution.of(after))
        #expect(changes.contains(Contribution(cell: .typeStatus(typeID: 1, statusID: 1), count: -1)))
        #expect(changes.contains(Contribution(cell: .typeStatus(typeID: 1, statusID: 3), count: 1)))
        #expect(changes.contains(Contribution(cell: .pipeline(state: .won, currency: "EUR"), count: 1, amountMinor: 10_000, weightedMinor: 2_500)))
        // A won lead is no longer open work for its owner.
        #expect(changes.contains(Contribution(cell: .openLeads(userID: 3), count: -1)))
        #expect(Contribution.changes(from: Contribution.of(before), to: Contribution.of(before)).isEmpty)
    }

    @Test("weighted amounts round half away from zero; the probability is clamped to 0-100")
    func weighted() {
        #expect(LeadFacts(typeID: 1, statusID: 1, state: .pending, amountMinor: 333, probability: 50).weightedMinor == 167)
        #expect(LeadFacts(typeID: 1, statusID: 1, state: .pending, amountMinor: 100, probability: 150).weightedMinor == 100)
    }

    @Test("a conversion rate is won over closed, in basis points, best first and stable")
    func rates() {
        #expect(ConversionTally(key: "a", won: 1, lost: 2).rateBasisPoints == 3_333)
        #expect(ConversionTally(key: "a", open: 9).rateBasisPoints == 0)
        let ranked = ConversionTally.ranked([ConversionTally(key: "b", won: 1, lost: 1), ConversionTally(key: "a", won: 1, lost: 1), ConversionTally(key: "c", won: 3)])
        #expect(ranked.map(\.key) == ["c", "a", "b"])
    }

    @Test("a created range uses the day buckets only when both ends are midnights UTC")
    func days() {
        #expect(Day.of(-1) == -1 && Day.of(0) == 0 && Day.of(86_399_999) == 0)
        #expect(Day.exactSpan(from: 86_400_000, to: 3 * 86_400_000)! == (first: 1, last: 2))
        #expect(Day.exactSpan(from: 0, to: 0)! == (first: nil, last: nil))
        #expect(Day.exactSpan(from: 1, to: 0) == nil)
    }

    @Test("a chart carries its data in words, escapes every label, and draws bars, a pie and a line")
    func charts() {
        let data = ChartData(title: "Leads <by> state", categoryTitle: "State", valueTitle: "Leads",
                             points: [.init("pending & new", 12), .init("won \"big\"", 3), .init("lost\u{1}", 0)])
        for style in ChartData.Style.allCases {
            let svg = SVGChart().draw(data, as: style)
            #expect(svg.hasPrefix("<?xml"))
            #expect(svg.contains("<title id=\"chart-title\">Leads &lt;by&gt; state</title>"))
            #expect(svg.contains("Leads by state: pending &amp; new: 12; won &quot;big&quot;: 3; lost : 0."))
            #expect(!svg.contains("<by>") && !svg.contains("\u{1}"))
            // Well-formed: an XML parser reads it.
            #expect(XMLParser(data: Data(svg.utf8)).parse(), "\(style)")
        }
        #expect(SVGChart().draw(data, as: .bar).contains("<rect"))
        #expect(SVGChart().draw(data, as: .pie).contains("<path") && SVGChart().draw(data, as: .pie).contains("80.0%"))
        #expect(SVGChart().draw(data, as: .line).contains("<polyline"))
        #expect(SVGChart().draw(ChartData(title: "Nothing", categoryTitle: "x", valueTitle: "y", points: []), as: .bar).contains("No data"))
    }

    @Test("axis ticks are round numbers that reach the largest value")
    func ticks() {
        #expect(SVGChart.ticks(upTo: 12) == [0, 5, 10, 15])
        for maximum in [1.0, 7, 99, 1_234_567, 0.03] {
            let ticks = SVGChart.ticks(upTo: maximum)
            #expect(ticks.first == 0 && ticks.last! >= maximum && ticks.count <= 12, "\(maximum): \(ticks)")
        }
        #expect(SVGChart.ticks(upTo: 0) == [0, 1])
    }
}
