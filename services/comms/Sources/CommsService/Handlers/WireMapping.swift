import CRMService
import CRMWire
import CommsDomain
import GRDB

extension BodyKind {
    init?(_ wire: CommsV1.BodyKind) {
        switch wire {
        case .unspecified, .plain: self = .plain
        case .html: self = .html
        case .unrecognized: return nil
        }
    }

    var wire: CommsV1.BodyKind { self == .html ? .html : .plain }
}

extension TemplateRecord {
    var wire: CommsV1.Template {
        CommsV1.Template(id: id, name: name, channel: .email, subject: subject, body: body, tags: tags, active: active, version: version,
                         createdBy: createdBy, createdAt: createdAt, updatedAt: updatedAt, bodyKind: bodyKind.wire)
    }
}

extension MessageRecord {
    var wire: CommsV1.Message {
        let status: CommsV1.DeliveryStatus = switch self.status {
        case .queued: .queued
        case .sending: .sending
        case .sent: .sent
        case .retrying: .retrying
        case .failed: .failed
        }
        return CommsV1.Message(id: id, leadId: leadID, templateId: templateID, channel: .email, to: recipient, subject: subject, body: body,
                               status: status, attempts: Int32(attempts), lastError: lastError, nextAttemptAt: nextAttemptAt, sentAt: sentAt,
                               createdBy: createdBy, createdAt: createdAt, messageId: messageID, bodyKind: bodyKind.wire)
    }
}

extension TemplateText.Problem {
    var wire: CommsV1.TagProblem { CommsV1.TagProblem(tag: tag, part: part, offset: Int32(offset), message: message) }
}

extension CommsV1.CommsEvent: FeedEvent {}

/// The comms event feed's rows.
enum CommsEvents {
    static func append(_ db: Database, _ type: CommsV1.CommsEventType, _ message: MessageRecord, at: Int64) throws {
        let event = CommsV1.CommsEvent(type: type, at: at, message: message.wire)
        try EventOutbox.append(db, event, type: type.protoValue, entityID: message.id, actorID: message.createdBy, at: at)
    }
}
