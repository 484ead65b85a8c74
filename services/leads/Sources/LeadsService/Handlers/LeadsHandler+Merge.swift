import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import GRDB

// Merging duplicates: one transaction moves notes, history and conversion links to the kept
// lead and closes the other.
extension LeadsHandler {
    func mergeLeads(request: LeadsV1.MergeLeadsRequest, context: ServerContext) async throws -> LeadsV1.Lead {
        let caller = try context.caller()
        var v = Violations()
        if request.keepId <= 0 { v.add("keep_id", "must be a lead's id") }
        if request.mergeId <= 0 { v.add("merge_id", "must be a lead's id") }
        if request.keepVersion <= 0 { v.add("keep_version", "must be the version you read") }
        if request.mergeVersion <= 0 { v.add("merge_version", "must be the version you read") }
        try v.check()
        let now = env.clock.millis()
        let lead = try await env.mutate(context, caller: caller) { db -> LeadsV1.Lead in
            let keep = try LeadStore.visibleLead(db, id: request.keepId, caller: caller)
            let other = try LeadStore.visibleLead(db, id: request.mergeId, caller: caller)
            try keep.requireVersion(request.keepVersion)
            try other.requireVersion(request.mergeVersion)
            let (kept, merged) = try LeadMerge(configuration: try env.database.configuration.load(db), now: now).merge(keep: keep, into: other, caller: caller)
            try LeadStore.moveNotesAndHistory(db, from: other.id, to: keep.id)
            if !other.conversion.isEmpty { try ConversionStore.relink(db, from: other.id, to: keep.id) }
            _ = try save(db, old: other, new: merged, actor: caller.userID, now: now, action: "merged",
                         reason: "merged into lead \(keep.id)", event: .merged)
            return try save(db, old: keep, new: kept, actor: caller.userID, now: now, action: "merged",
                            reason: "lead \(other.id) merged into this one").wire(now: now, unread: false)
        }
        return lead
    }
}
