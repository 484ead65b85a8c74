import CRMDomain
import Foundation

/// What an attachment may be: a plain file name, a well-formed media type, and at most 3 MiB.
public enum AttachmentRules {
    /// The contract's limit.
    public static let maxBytes = 3 * 1024 * 1024
    public static let fileName = TextLimit(characters: 255, required: true)

    public static func check(fileName name: String, contentType: String, size: Int, into v: inout Violations) {
        fileName.check(name, field: "file_name", into: &v)
        if name.contains("/") || name.contains("\\") || name == "." || name == ".." {
            v.add("file_name", "must be a file name, not a path (no '/' or '\\', not '.' or '..')")
        }
        if !isMediaType(contentType) {
            v.add("content_type", "must be a media type such as application/pdf or image/png")
        }
        if size == 0 {
            v.add("content", "is empty")
        } else if size > maxBytes {
            v.add("content", "is \(size) bytes; at most \(maxBytes) bytes (3 MiB) may be attached")
        }
    }

    /// type "/" subtype, each of RFC 6838's restricted name characters, optional parameters.
    public static func isMediaType(_ text: String) -> Bool {
        guard text.utf8.count <= 255 else { return false }
        let essence = text.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+")
        return parts.allSatisfy { part in
            guard let first = part.first, part.count <= 127, first.isASCII, first.isLetter || first.isNumber else { return false }
            return part.allSatisfy(allowed.contains)
        }
    }
}
