import CRMWire

/// A list request: it pages by `page_size` and `page_token`.
protocol PagedRequest: WireMessage {
    var pageSize: Int32 { get set }
    var pageToken: String { get set }
}

extension ActivitiesV1.ListActivitiesRequest: PagedRequest {}
extension ActivitiesV1.ListTasksRequest: PagedRequest {}
extension ActivitiesV1.ListIncidentsRequest: PagedRequest {}
